"""The analytics and the dashboard take the patient list's filters on the casebook
(registry.patient_filters.CASEBOOK_FILTERS): an answer describes only the patients whose
casebook is signed, or those with required data missing, as the list selects them."""

import pytest
from django.test import Client

from registry.access import membership_grant
from registry.casebook import casebook_sign
from registry.models import Patient, Role, Study
from tests.analytics.conftest import STATISTICS
from tests.conftest import PASSWORD, user_with_role

DATASET = "/api/v1/studies/HCD19/analytics/dataset/"
DASHBOARD = "/studies/HCD19/dashboard/"
EMPTY = "No patients in this selection."


@pytest.fixture
def signed(published: Study) -> Patient:
    """A patient of the published cohort with every required field, its casebook signed by
    an investigator of its site."""
    patient = published.patients.filter(required_missing=0).order_by("subject_id").first()
    investigator = user_with_role("investigator", Role.CLINICIAN, patient.site, at_site=True)
    membership_grant(
        user=investigator,
        study=published,
        role=Role.CLINICIAN,
        sites=[patient.site],
        investigator=True,
    )
    casebook_sign(patient=patient, user=investigator, password=PASSWORD)
    return patient


def study_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["study_id"] for row in response.json()["results"]]


def test_the_dataset_has_only_the_signed_patients(api, signed):
    others = Patient.objects.filter(study=signed.study).exclude(pk=signed.pk)

    assert study_ids(api.get(DATASET, {"casebook_signed": "true"})) == [signed.subject_id]
    unsigned = study_ids(api.get(DATASET, {"casebook_signed": "false"}))
    assert sorted(unsigned) == sorted(others.values_list("subject_id", flat=True))


@pytest.mark.parametrize("statistic", STATISTICS)
def test_each_statistic_describes_only_the_signed_patients(analytics, signed, statistic):
    """The same answer as for the one signed patient found by its study id."""
    by_signature = analytics(statistic, casebook_signed="true")
    by_study_id = analytics(statistic, search=signed.subject_id)

    assert by_signature.status_code == 200, by_signature.content
    assert by_signature.json() == by_study_id.json()


def test_missing_data_selects_the_patients_the_list_does(api, reader, published):
    patient = published.patients.order_by("subject_id").first()
    patient.lymphodepletion.delete()
    missing = published.patients.filter(required_missing__gt=0)

    chosen = study_ids(api.get(DATASET, {"missing_data": "true"}))
    assert sorted(chosen) == sorted(missing.values_list("subject_id", flat=True))
    assert patient.subject_id in chosen
    assert patient.subject_id not in study_ids(api.get(DATASET, {"missing_data": "false"}))


def test_as_recorded_on_a_past_day_is_refused_naming_the_filter(api, published):
    response = api.get(DATASET, {"casebook_signed": "true", "as_of": "2022-01-01"})

    assert response.status_code == 400
    assert response.json() == {
        "casebook_signed": [
            "casebook_signed selects on the casebook as it stands today: it cannot be "
            "combined with as_of"
        ]
    }


def dashboard(user, **query):
    client = Client()
    client.force_login(user)
    response = client.get(DASHBOARD, query)
    assert response.status_code == 200
    return response


def test_the_dashboard_shows_the_signed_patients(reader, signed):
    chosen = dashboard(reader, casebook_signed="true")

    assert EMPTY not in chosen.content.decode()
    assert chosen.context["form"]["casebook_signed"].value() == "true"


def test_the_dashboard_shows_nobody_when_no_casebook_is_signed(reader, published):
    assert EMPTY in dashboard(reader, casebook_signed="true").content.decode()
    assert EMPTY not in dashboard(reader, casebook_signed="false").content.decode()
