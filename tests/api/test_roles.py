"""The API as each study role sees it (registry.access, registry.api.permissions): writes
need an editing role where the patient is, imports and exports the study's coordinators."""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from registry import models
from registry.interchange.exporter import cohort_document
from tests import factories
from tests.api.conftest import full_course
from tests.clients import api_client_of

pytestmark = pytest.mark.django_db
EXPORTS = [
    "/api/v1/studies/HCD19/export/",
    "/api/v1/studies/HCD19/export/patients.csv",
    "/api/v1/studies/HCD19/export/patients.xlsx",
    "/api/v1/studies/HCD19/export/deidentified.csv",
]


@pytest.fixture
def boren_patient(owner) -> models.Patient:
    return full_course(subject_id="B01")


def client_of(user) -> APIClient:
    return api_client_of(user, reason="Corrected from the source document")


def new_patient(site: str, study: str = "HCD19") -> dict:
    return {"study": study, "site": site, "study_id": "N01", "sex": "male"}


def test_a_monitor_reads_but_writes_nothing(teammate, boren_patient):
    client = client_of(teammate)
    infusion = boren_patient.infusions.get()
    factories.SiteFactory(code="PUMC")

    assert client.get(f"/api/v1/patients/{boren_patient.pk}/").status_code == 200
    refused = [
        client.patch(f"/api/v1/patients/{boren_patient.pk}/", {"sex": "male"}, format="json"),
        client.patch(f"/api/v1/infusions/{infusion.pk}/", {"weight_kg": 61.0}, format="json"),
        client.delete(f"/api/v1/patients/{boren_patient.pk}/genetics/"),
        client.post(
            f"/api/v1/patients/{boren_patient.pk}/events/",
            {"kind": "other_therapy", "date": "2020-08-01"},
            format="json",
        ),
        client.post("/api/v1/patients/", new_patient("PUMC"), format="json"),
    ]

    assert [response.status_code for response in refused] == [403] * len(refused)
    assert models.Patient.objects.count() == 1


def test_a_clinician_enters_patients_at_their_own_sites_only(neighbour, boren_patient):
    client = client_of(neighbour)

    at_boren = client.post("/api/v1/patients/", new_patient("BOREN"), format="json")
    at_pumc = client.post("/api/v1/patients/", new_patient("PUMC"), format="json")

    assert at_boren.status_code == 403
    assert "site BOREN" in at_boren.json()["detail"]
    assert at_pumc.status_code == 201, at_pumc.content


def test_a_clinician_cannot_move_a_patient_to_another_site(neighbour, boren_patient):
    pumc_patient = full_course(subject_id="U01", site=models.Site.objects.get(code="PUMC"))
    client = client_of(neighbour)

    response = client.patch(
        f"/api/v1/patients/{pumc_patient.pk}/", {"site": "BOREN"}, format="json"
    )

    assert response.status_code == 403
    pumc_patient.refresh_from_db()
    assert pumc_patient.site.code == "PUMC"


def test_a_study_without_a_role_there_does_not_exist_for_a_new_patient(outsider, boren_patient):
    response = client_of(outsider).post("/api/v1/patients/", new_patient("BOREN"), format="json")

    assert response.status_code == 400
    assert "does not exist" in response.json()["study"][0]


def test_a_clinician_lists_only_their_own_sites(neighbour, boren_patient):
    client = client_of(neighbour)

    sites = client.get("/api/v1/sites/").json()["results"]
    patients = client.get("/api/v1/patients/").json()["results"]

    assert [site["code"] for site in sites] == ["PUMC"]
    assert patients == []
    assert client.get("/api/v1/studies/HCD19/").status_code == 200


@pytest.mark.parametrize("url", EXPORTS)
def test_only_coordinators_and_administrators_export(owner, teammate, neighbour, url):
    full_course(subject_id="B01")

    assert client_of(owner).get(url).status_code == 200
    assert client_of(teammate).get(url).status_code == 403
    assert client_of(neighbour).get(url).status_code == 403


@pytest.mark.parametrize(
    "url", ["/api/v1/studies/HCD19/export/", "/api/v1/studies/HCD19/export/adam/ADSL.csv"]
)
def test_a_reader_who_may_not_export_is_told_who_may(teammate, url):
    # The registry's exports and the ADaM datasets find the exported study alike.
    response = client_of(teammate).get(url)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Exports are for the study's coordinators and administrators"
    }


def document_with_a_change(patient: models.Patient) -> dict:
    document = cohort_document(patient.study)
    document["patients"][0]["sex"] = "male"
    return document


def test_only_coordinators_and_administrators_import_into_their_study(
    owner, teammate, neighbour, outsider, boren_patient
):
    document = document_with_a_change(boren_patient)

    answers = [
        client_of(user).post("/api/v1/studies/import/", document, format="json").status_code
        for user in (teammate, neighbour, outsider, owner)
    ]

    assert answers == [403, 403, 403, 200]
    boren_patient.refresh_from_db()
    assert boren_patient.sex == "male"


def test_whoever_imports_a_new_study_administers_it(boren_patient):
    document = document_with_a_change(boren_patient)
    document["study"]["code"] = "NEW"
    newcomer = User.objects.create_user("newcomer")
    newcomer.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))

    response = client_of(newcomer).post("/api/v1/studies/import/", document, format="json")

    assert response.status_code == 200, response.content
    study = models.Study.objects.get(code="NEW")
    assert study.memberships.get(user=newcomer).role == models.Role.ADMIN
    assert client_of(newcomer).get("/api/v1/studies/NEW/export/").status_code == 200
