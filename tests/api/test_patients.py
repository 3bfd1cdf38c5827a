"""/api/v1/patients/: the list, its filters and pages, one patient nested, patient writes."""

from datetime import date

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from registry import models
from registry.access import membership_grant
from registry.api import serializers as api_serializers
from registry.models import Role
from registry.models.patient import STUDY_ID_TAKEN
from registry.sections import BY_KEY
from tests import factories
from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

URL = "/api/v1/patients/"


def study_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [patient["study_id"] for patient in response.json()["results"]]


def infused(patient_fields: dict | None = None, *, on: date = date(2020, 1, 15), **infusion):
    patient = factories.PatientFactory(**(patient_fields or {}))
    factories.InfusionFactory(patient=patient, date=on, **infusion)
    return patient


def test_it_lists_patients_with_count_and_links(reader_client):
    for _ in range(3):
        infused()
    body = reader_client.get(URL, {"page_size": 2}).json()
    assert body["count"] == 3
    assert body["previous"] is None
    assert "page=2" in body["next"]
    assert len(body["results"]) == 2


def test_it_pages_up_to_500_per_page(reader_client):
    infused()
    assert reader_client.get(URL, {"page_size": 500}).status_code == 200


@pytest.mark.parametrize("page_size", ["501", "0", "-1", "abc", "2.5"])
def test_it_refuses_a_page_size_out_of_range(reader_client, page_size):
    response = reader_client.get(URL, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_it_refuses_a_page_that_is_not_a_number(reader_client):
    infused()
    response = reader_client.get(URL, {"page": "two"})
    assert response.status_code == 400
    assert "page" in response.json()
    assert reader_client.get(URL, {"page": "2"}).status_code == 404


def test_it_nests_every_section_in_one_patient(reader_client):
    patient = full_course()
    body = reader_client.get(f"{URL}{patient.pk}/").json()
    assert body["study_id"] == patient.subject_id
    assert body["study"] == "HCD19"
    assert body["site"] == "BOREN"
    assert set(BY_KEY) <= set(body)
    assert body["eligibility"]["extramedullary_sites"] == ["cns", "skin"]
    assert body["infusions"][0]["cells_per_kg"] == 240_000
    assert [event["kind"] for event in body["events"]] == ["relapse", "death"]
    assert body["age_years"] == 19
    assert body["first_infusion_date"] == "2020-01-15"
    assert body["d30_response"] == "cr"
    assert body["prior_allo_hct"] is True
    assert body["died"] is True


def test_it_shows_missing_one_to_one_sections_as_null(reader_client):
    patient = factories.PatientFactory()
    body = reader_client.get(f"{URL}{patient.pk}/").json()
    assert body["eligibility"] is None
    assert body["infusions"] == []
    assert body["d30_response"] is None


@pytest.mark.parametrize("size", [1, 50])
def test_it_lists_in_a_fixed_number_of_queries(reader_client, django_assert_num_queries, size):
    for _ in range(size):
        full_course()
    # the sites the reader reads and their studies' data version (the cache key), count,
    # the page's ids, their versions (the keys of their details), its patients (with their
    # study's and site's codes), one per section (registry.selectors.patient_courses)
    with django_assert_num_queries(18):
        response = reader_client.get(URL, {"page_size": 500})
    assert response.json()["count"] == size


def test_it_lists_patients_as_drf_represents_them(reader_client, monkeypatch):
    patients = [full_course(), factories.PatientFactory()]
    fast = reader_client.get(URL).json()["results"]
    # registry.api.serializers builds the representation its own faster way, and the list
    # reads the patients as rows (registry.selectors.patient_courses). DRF's own, from model
    # instances: a detail asked with a parameter is read so, and not cached.
    drf = serializers.ModelSerializer.to_representation
    monkeypatch.setattr(api_serializers.RegistrySerializer, "to_representation", drf)
    own = [reader_client.get(f"{URL}{patient.pk}/", {"format": "json"}) for patient in patients]
    assert [answer.json() for answer in own] == fast


def test_it_shows_one_patient_in_a_fixed_number_of_queries(
    reader_client, django_assert_num_queries
):
    patient = full_course()
    # the patient's version (the cache key), the patient, one per section
    with django_assert_num_queries(14):
        reader_client.get(f"{URL}{patient.pk}/")


def test_it_filters_by_study_code(reader_client):
    infused({"subject_id": "IN"})
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="BOREN")
    infused({"subject_id": "OUT", "site": other})
    assert study_ids(reader_client.get(URL, {"study": "HCD19"})) == ["IN"]


def test_it_filters_by_site_code(reader_client):
    infused({"subject_id": "IN"})
    infused({"subject_id": "OUT", "site": factories.SiteFactory(code="PKU")})
    assert study_ids(reader_client.get(URL, {"site": "BOREN"})) == ["IN"]


def test_it_refuses_a_site_the_user_does_not_read_naming_those_they_do(reader_client):
    infused({"subject_id": "IN"})
    factories.SiteFactory(code="PKU")
    factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="FAR")
    refused = reader_client.get(URL, {"site": "FAR"})
    assert refused.status_code == 400
    assert refused.json() == {"site": ["No site 'FAR' among yours: BOREN, PKU"]}


def test_it_quotes_a_site_as_typed_in_its_refusal(reader_client):
    # The message once went through a "%" format that a typed "%" broke: a server error.
    infused({"subject_id": "IN"})
    refused = reader_client.get(URL, {"site": "50%"})
    assert refused.status_code == 400
    assert refused.json() == {"site": ["No site '50%' among yours: BOREN"]}


def test_it_takes_a_site_of_the_study_given(reader, reader_client):
    far = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="FAR")
    membership_grant(user=reader, study=far.study, role=Role.MONITOR)
    infused({"subject_id": "HERE"})
    infused({"subject_id": "THERE", "site": far})
    assert study_ids(reader_client.get(URL, {"site": "FAR"})) == ["THERE"]
    refused = reader_client.get(URL, {"study": "HCD19", "site": "FAR"})
    assert refused.status_code == 400
    assert refused.json() == {"site": ["No site 'FAR' among yours: BOREN"]}


def test_it_refuses_a_study_the_user_has_no_role_in(reader_client):
    factories.StudyFactory(code="OTHER")
    refused = reader_client.get(URL, {"study": "OTHER"})
    assert refused.status_code == 400
    assert refused.json() == {"study": ["No study 'OTHER' among yours"]}


def test_it_filters_by_sex(reader_client):
    infused({"subject_id": "IN", "sex": "male"})
    infused({"subject_id": "OUT", "sex": "female"})
    assert study_ids(reader_client.get(URL, {"sex": "male"})) == ["IN"]


def test_it_filters_by_minimum_age_in_completed_years(reader_client):
    # Infused 2020-01-15: 20 on that very birthday, 19 one day short of it.
    infused({"subject_id": "IN", "birth_date": date(2000, 1, 15)})
    infused({"subject_id": "OUT", "birth_date": date(2000, 1, 16)})
    assert study_ids(reader_client.get(URL, {"age_min": 20})) == ["IN"]


def test_it_filters_by_maximum_age_in_completed_years(reader_client):
    infused({"subject_id": "OUT", "birth_date": date(2000, 1, 15)})
    infused({"subject_id": "IN", "birth_date": date(2000, 1, 16)})
    assert study_ids(reader_client.get(URL, {"age_max": 19})) == ["IN"]


def test_it_takes_age_at_the_first_infusion_not_a_later_one(reader_client):
    patient = infused({"subject_id": "P", "birth_date": date(2000, 1, 16)})
    factories.InfusionFactory(patient=patient, date=date(2020, 3, 1))
    assert study_ids(reader_client.get(URL, {"age_max": 19})) == ["P"]
    assert study_ids(reader_client.get(URL, {"age_min": 20})) == []


@pytest.mark.parametrize(
    ("born", "on"),
    [
        (date(2004, 2, 29), date(2021, 2, 28)),
        (date(2004, 2, 29), date(2021, 3, 1)),
        (date(2004, 2, 29), date(2024, 2, 29)),
        (date(1999, 12, 31), date(2020, 1, 1)),
        (date(2010, 6, 15), date(2020, 6, 14)),
        (date(2010, 6, 15), date(2020, 6, 15)),
        (date(2010, 6, 15), date(2020, 7, 1)),
    ],
)
def test_it_computes_age_in_the_database_as_the_model_does(reader_client, born, on):
    patient = infused({"birth_date": born}, on=on)
    age = patient.age_years
    assert study_ids(reader_client.get(URL, {"age_min": age, "age_max": age})) == [
        patient.subject_id
    ]
    assert study_ids(reader_client.get(URL, {"age_min": age + 1})) == []
    assert study_ids(reader_client.get(URL, {"age_max": age - 1})) == []


def test_it_takes_age_at_enrolment_before_any_infusion(reader_client):
    factories.PatientFactory(
        subject_id="P", birth_date=date(2000, 1, 2), enrollment_date=date(2020, 1, 2)
    )
    assert study_ids(reader_client.get(URL, {"age_min": 20, "age_max": 20})) == ["P"]


@pytest.mark.parametrize("parameter", ["prior_allo_hct", "prior_cd22_cart"])
def test_it_filters_by_prior_therapy(reader_client, parameter):
    kind = parameter.removeprefix("prior_")
    with_prior = infused({"subject_id": "WITH"})
    models.PriorTherapy.objects.create(patient=with_prior, kind=kind, date=date(2019, 1, 1))
    infused({"subject_id": "WITHOUT"})
    assert study_ids(reader_client.get(URL, {parameter: "true"})) == ["WITH"]
    assert study_ids(reader_client.get(URL, {parameter: "false"})) == ["WITHOUT"]


def test_it_filters_by_day_30_response(reader_client):
    for subject_id, status, day in [("CR", "cr", 28), ("NR", "nr", 30), ("LATE", "cr", 60)]:
        patient = infused({"subject_id": subject_id})
        factories.ResponseAssessmentFactory(patient=patient, day=day, status=status)
    infused({"subject_id": "NONE"})
    assert study_ids(reader_client.get(URL, {"d30_response": "cr"})) == ["CR"]
    assert study_ids(reader_client.get(URL, {"d30_response": "nr"})) == ["NR"]
    none = reader_client.get(URL, {"d30_response": "none", "ordering": "study_id"})
    assert study_ids(none) == ["LATE", "NONE"]


def test_it_filters_by_vital_status(reader_client):
    dead = infused({"subject_id": "DEAD"})
    factories.FollowUpEventFactory(patient=dead, kind="death", cause="disease")
    infused({"subject_id": "ALIVE"})
    assert study_ids(reader_client.get(URL, {"vital_status": "dead"})) == ["DEAD"]
    assert study_ids(reader_client.get(URL, {"vital_status": "alive"})) == ["ALIVE"]


def test_it_filters_by_first_infusion_on_or_after(reader_client):
    infused({"subject_id": "IN"}, on=date(2020, 3, 1))
    infused({"subject_id": "OUT"}, on=date(2020, 2, 29))
    assert study_ids(reader_client.get(URL, {"infused_after": "2020-03-01"})) == ["IN"]


def test_it_filters_by_first_infusion_on_or_before(reader_client):
    infused({"subject_id": "IN"}, on=date(2020, 3, 1))
    later = infused({"subject_id": "OUT"}, on=date(2020, 3, 2))
    factories.InfusionFactory(patient=later, date=date(2020, 6, 1))
    assert study_ids(reader_client.get(URL, {"infused_before": "2020-03-01"})) == ["IN"]


def test_it_searches_the_study_id(reader_client):
    infused({"subject_id": "HCD-017"})
    infused({"subject_id": "HCD-021"})
    assert study_ids(reader_client.get(URL, {"search": "d-01"})) == ["HCD-017"]


def test_it_orders_by_the_fields_it_names(reader_client):
    infused({"subject_id": "A"}, on=date(2020, 5, 1))
    infused({"subject_id": "B"}, on=date(2020, 4, 1))
    assert study_ids(reader_client.get(URL, {"ordering": "-study_id"})) == ["B", "A"]
    assert study_ids(reader_client.get(URL, {"ordering": "first_infusion_date"})) == ["B", "A"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("first_infusion_date", ["P-A", "P-B", "P-C"]),
        ("-first_infusion_date", ["P-C", "P-B", "P-A"]),
        ("enrollment_date,-first_infusion_date", ["P-C", "P-B", "P-A"]),
    ],
)
def test_it_orders_patients_alike_in_the_fields_named_by_study_id(
    reader_client, ordering, expected
):
    # Entered out of order, all infused the same day: without a last key the database gives
    # them in any order, and a page can show a patient the previous page showed.
    for subject_id in ("P-C", "P-A", "P-B"):
        infused({"subject_id": subject_id}, on=date(2020, 5, 1))

    assert study_ids(reader_client.get(URL, {"ordering": ordering})) == expected


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("age_min", "abc"),
        ("age_max", "-3"),
        ("age_min", "20.5"),
        ("d30_response", "maybe"),
        ("infused_after", "2020-13-45"),
        ("infused_before", "yesterday"),
        ("prior_allo_hct", "maybe"),
        ("prior_cd22_cart", "1"),
        ("vital_status", "unknown"),
        ("sex", "other"),
        ("study", "NO-SUCH-STUDY"),
        ("ordering", "name"),
    ],
)
def test_it_refuses_a_nonsense_filter_value_naming_the_parameter(reader_client, parameter, value):
    response = reader_client.get(URL, {parameter: value})
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_it_refuses_an_age_range_that_runs_backwards(reader_client):
    response = reader_client.get(URL, {"age_min": 50, "age_max": 20})
    assert response.status_code == 400
    assert response.json() == {
        "age_max": ["The highest age, 20, is below the lowest age, 50: give the lower age first."]
    }


def test_it_creates_a_patient(editor_client):
    factories.SiteFactory()
    response = editor_client.post(
        URL,
        {"study": "HCD19", "site": "BOREN", "study_id": "N01", "sex": "male"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["study_id"] == "N01"
    assert body["infusions"] == []
    assert body["died"] is False
    assert models.Patient.objects.get(subject_id="N01").site.code == "BOREN"


def test_it_refuses_a_site_of_another_study(editor_client):
    factories.SiteFactory()
    factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="PKU")
    response = editor_client.post(
        URL, {"study": "HCD19", "site": "PKU", "study_id": "N01"}, format="json"
    )
    assert response.status_code == 400
    assert "site" in response.json()
    assert not models.Patient.objects.exists()


def assert_enrolment_refused_as_taken(client, *, site: str, study_id: str) -> None:
    """Enrolling `study_id` at `site` is refused in the words for an id the study already has,
    and the patient the test made beforehand stays the only one."""
    response = client.post(
        URL, {"study": "HCD19", "site": site, "study_id": study_id}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [STUDY_ID_TAKEN]}
    assert models.Patient.objects.count() == 1


def test_it_refuses_a_study_id_used_in_the_study(editor_client):
    factories.PatientFactory(subject_id="P01")

    assert_enrolment_refused_as_taken(editor_client, site="BOREN", study_id="P01")


def test_it_tells_a_clinician_nothing_of_a_patient_at_a_site_they_do_not_see(neighbour):
    factories.PatientFactory(subject_id="P01")  # at BOREN; the neighbour works at PUMC
    client = APIClient()
    client.force_authenticate(neighbour)

    assert_enrolment_refused_as_taken(client, site="PUMC", study_id="P01")


def test_it_refuses_a_study_id_used_in_the_study_in_another_case(editor_client):
    factories.PatientFactory(subject_id="DEMO-061")

    assert_enrolment_refused_as_taken(editor_client, site="BOREN", study_id="demo-061")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"study_id": "Jane Doe"}, "study_id"),
        ({"sex": "unknown"}, "sex"),
        ({"birth_date": "2000-02-30"}, "birth_date"),
        ({"birth_date": 20000101}, "birth_date"),
        ({"study_id": 17}, "study_id"),
        ({"weight": 60}, "weight"),
        ({"infusions": []}, "infusions"),
        ({"died": True}, "died"),
    ],
)
def test_it_refuses_a_bad_patient_naming_the_field(editor_client, body, field):
    factories.SiteFactory()
    fields = {"study": "HCD19", "site": "BOREN", "study_id": "N01"} | body
    response = editor_client.post(URL, fields, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not models.Patient.objects.exists()


def test_it_applies_the_course_rules_to_a_patient_change(editor_client):
    patient = full_course()
    response = editor_client.patch(
        f"{URL}{patient.pk}/", {"last_contact_date": "2020-10-01"}, format="json"
    )
    assert response.status_code == 400
    assert "date of death" in response.json()["last_contact_date"][0]
    patient.refresh_from_db()
    assert patient.last_contact_date == date(2020, 9, 1)


def test_it_changes_a_patient(editor_client):
    patient = full_course()
    response = editor_client.patch(f"{URL}{patient.pk}/", {"sex": "male"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["sex"] == "male"
    assert response.json()["d30_response"] == "cr"


def test_it_deletes_a_patient_with_the_course(editor_client):
    patient = full_course()
    assert editor_client.delete(f"{URL}{patient.pk}/").status_code == 204
    assert not models.Patient.objects.exists()
    assert not models.Infusion.objects.exists()


def test_it_refuses_malformed_json(editor_client):
    factories.SiteFactory()
    response = editor_client.post(URL, '{"study": "HCD19",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_it_lets_a_reader_read_but_not_write(reader_client):
    patient = full_course()
    assert reader_client.get(f"{URL}{patient.pk}/").status_code == 200
    response = reader_client.patch(f"{URL}{patient.pk}/", {"sex": "male"}, format="json")
    assert response.status_code == 403
    assert reader_client.delete(f"{URL}{patient.pk}/").status_code == 403


def test_it_lists_studies_and_sites(reader_client):
    factories.SiteFactory(code="PKU", name="Peking University")
    studies = reader_client.get("/api/v1/studies/").json()
    assert [study["code"] for study in studies["results"]] == ["HCD19"]
    assert reader_client.get("/api/v1/studies/HCD19/").json()["dose_ceiling_per_kg"] == 5_000_000
    sites = reader_client.get("/api/v1/sites/", {"study": "HCD19"}).json()
    assert [(site["study"], site["code"]) for site in sites["results"]] == [("HCD19", "PKU")]


def test_it_filters_sites_by_study(reader, reader_client):
    factories.SiteFactory(code="PKU")
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="XYZ")
    membership_grant(user=reader, study=other.study, role=Role.MONITOR)
    sites = reader_client.get("/api/v1/sites/", {"study": "OTHER"}).json()["results"]
    assert [site["code"] for site in sites] == ["XYZ"]
