"""FHIR R4 over HTTP: GET studies/{code}/export/fhir/ and fhir.ndjson, and
patients/{id}/fhir/: who may, the parameters, the media types, the study lock."""

import json
from datetime import date

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models, services
from tests import factories
from tests.clients import api_client_of
from tests.fhir import (
    bundle_resources,
    bundle_unresolved,
    ndjson_unresolved,
    of_type,
    validation_errors,
)
from tests.odm import imported_study

pytestmark = pytest.mark.django_db

BUNDLE = "/api/v1/studies/HCD19/export/fhir/"
NDJSON = "/api/v1/studies/HCD19/export/fhir.ndjson"


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def lines(response) -> list[dict]:
    return [json.loads(line) for line in body(response).decode().splitlines()]


def patient_url(subject_id: str) -> str:
    return f"/api/v1/patients/{models.Patient.objects.get(subject_id=subject_id).pk}/fhir/"


def test_a_coordinator_exports_the_study_as_one_valid_bundle(owner):
    imported_study()
    response = api_client_of(owner).get(BUNDLE)
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-fhir.json"'
    assert response.streaming
    bundle = json.loads(body(response))
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    resources = bundle_resources(bundle)
    assert [error for resource in resources for error in validation_errors(resource)] == []
    assert bundle_unresolved(bundle) == []
    assert len(of_type(resources, "Patient")) == 20


def test_the_ndjson_holds_the_bundles_resources_one_a_line(owner):
    imported_study()
    client = api_client_of(owner)
    response = client.get(NDJSON)
    assert response["Content-Type"] == "application/fhir+ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-fhir.ndjson"'
    resources = lines(response)
    assert [error for resource in resources for error in validation_errors(resource)] == []
    assert ndjson_unresolved(resources) == []
    in_bundle = bundle_resources(json.loads(body(client.get(BUNDLE))))
    assert [r["id"] for r in resources] == [r["id"] for r in in_bundle]
    # In NDJSON a resource names another by type and id, not by its Bundle entry.
    subject = of_type(resources, "ResearchSubject")[0]
    assert subject["individual"]["reference"].startswith("Patient/")


@pytest.mark.parametrize("url", [BUNDLE, NDJSON])
def test_only_the_studys_coordinators_and_administrators_export(url, teammate, neighbour, outsider):
    imported_study()
    assert api_client_of(teammate).get(url).status_code == 403  # monitor
    assert api_client_of(neighbour).get(url).status_code == 403  # clinician at one site
    assert api_client_of(outsider).get(url).status_code == 404  # no role in the study
    assert APIClient().get(url).status_code == 401


def test_a_patients_bundle_is_for_whoever_reads_the_patient(owner, teammate, outsider):
    imported_study()
    url = patient_url("P01")
    for reader in (owner, teammate):
        response = api_client_of(reader).get(url)
        assert response["Content-Type"] == "application/fhir+json"
        bundle = json.loads(body(response))
        resources = bundle_resources(bundle)
        assert [error for resource in resources for error in validation_errors(resource)] == []
        assert bundle_unresolved(bundle) == []
        [patient] = of_type(resources, "Patient")
        assert patient["identifier"][0]["value"] == "P01"
        assert len(of_type(resources, "ResearchStudy")) == 1
    assert api_client_of(outsider).get(url).status_code == 404
    assert APIClient().get(url).status_code == 401


def test_a_clinician_reads_the_bundles_of_their_sites_patients_only(neighbour):
    imported_study()
    pumc = models.Site.objects.get(code="PUMC")
    own = factories.PatientFactory(site=pumc, subject_id="PUMC-01")
    factories.InfusionFactory(patient=own)
    client = api_client_of(neighbour)
    bundle = json.loads(body(client.get(f"/api/v1/patients/{own.pk}/fhir/")))
    assert of_type(bundle_resources(bundle), "Patient")[0]["identifier"][0]["value"] == "PUMC-01"
    assert client.get(patient_url("P01")).status_code == 404  # at BOREN


def test_an_unknown_patient_is_a_404(owner):
    assert api_client_of(owner).get("/api/v1/patients/999999/fhir/").status_code == 404


@pytest.mark.parametrize("url", [BUNDLE, NDJSON, "patient"])
def test_the_cutoff_and_as_of_apply_and_are_said(owner, url):
    imported_study()
    url = patient_url("P19") if url == "patient" else url
    today = timezone.localdate().isoformat()
    client = api_client_of(owner)
    response = client.get(url, {"cutoff": "2020-12-29", "as_of": today})
    assert (response["X-Data-Cutoff"], response["X-Data-As-Of"]) == ("2020-12-29", today)
    assert "Warning" in response  # as recorded today: the day can still change
    cut, whole = body(response), body(client.get(url))
    # P19, infused 2020-11-30, was assessed on day 30, 2020-12-30: after the cut-off.
    assert b'"effectiveDateTime":"2020-12-30"' in whole
    assert b"2020-12-30" not in cut


def test_a_patient_left_out_by_the_cutoff_is_not_found_at_it(owner):
    imported_study()
    late = factories.PatientFactory(
        site=models.Site.objects.get(code="BOREN"), enrollment_date=date(2021, 8, 20)
    )
    factories.InfusionFactory(patient=late, date=date(2021, 9, 1))  # after the cut-off
    url = f"/api/v1/patients/{late.pk}/fhir/"
    client = api_client_of(owner)
    assert client.get(url).status_code == 200
    assert client.get(url, {"cutoff": "2021-07-31"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "name", "words"),
    [
        ({"cutoff": "31/07/2021"}, "cutoff", "YYYY-MM-DD"),
        ({"as_of": "2999-01-01"}, "as_of", "cannot be after today"),
        ({"format": "xml"}, "format", "Unknown parameter"),
    ],
)
@pytest.mark.parametrize("url", [BUNDLE, NDJSON, "patient"])
def test_a_bad_parameter_is_a_400_naming_it(owner, url, query, name, words):
    imported_study()
    url = patient_url("P01") if url == "patient" else url
    response = api_client_of(owner).get(url, query)
    assert response.status_code == 400
    assert words in " ".join(response.json()[name])


@pytest.mark.parametrize(
    ("url", "accept"),
    [
        (BUNDLE, "application/fhir+json"),
        (BUNDLE, "application/fhir+json; fhirVersion=4.0"),
        (BUNDLE, "application/json, text/plain;q=0.5"),
        (BUNDLE, "*/*"),
        (NDJSON, "application/fhir+ndjson"),
        (NDJSON, "application/*"),
        ("patient", "application/fhir+json"),
    ],
)
def test_it_answers_a_client_asking_for_fhir_json(owner, url, accept):
    imported_study()
    url = patient_url("P01") if url == "patient" else url
    response = api_client_of(owner).get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+")


@pytest.mark.parametrize(
    ("url", "accept"),
    [(BUNDLE, "application/xml"), (BUNDLE, "application/fhir+xml"), (NDJSON, "application/json")],
)
def test_a_type_it_does_not_give_is_a_406_naming_those_it_does(owner, url, accept):
    imported_study()
    response = api_client_of(owner).get(url, HTTP_ACCEPT=accept)
    assert response.status_code == 406
    detail = response.json()["detail"]
    assert accept in detail
    assert ("application/fhir+ndjson" if url == NDJSON else "application/fhir+json") in detail


def test_a_locked_study_still_exports_what_it_holds(owner):
    study = imported_study()
    client = api_client_of(owner)
    before = lines(client.get(NDJSON))
    services.study_lock(study=study)
    after = lines(client.get(NDJSON))
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert of_type(after, "Observation") == of_type(before, "Observation")
    assert client.get(patient_url("P01")).status_code == 200
