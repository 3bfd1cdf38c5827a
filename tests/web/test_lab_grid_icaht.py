"""The live ICAHT grade of an ANC value selected on the lab grid and changed there
(web:lab-value-icaht): the value as typed counts in place of its stored one, nothing is
saved, and only those who may change the patient get an answer."""

import pytest
from django.urls import reverse

from registry import models
from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.clients import page_client_of
from tests.htmx import HTMX

pytestmark = pytest.mark.django_db

# registry.icaht: ANC 2.0, 0.3 and 0.3 x10^9/L on days 0, 2 and 6, nothing known after day
# 13 (more than 7 days to day 30): ≤500/µL on days 2-6, 5 days, early grade 1.
# Day 6 changed to 2.0: from 300/µL on day 2 to 2000/µL on day 6, day 3 interpolates to
# 725/µL: ≤500/µL on day 2 alone, grade 1 for 1 day. Were the stored 0.3 of day 6 still
# counted beside it, the lower of the day's two values would keep days 2-6.
CHANGED = "Grade 1: ANC ≤500/µL for 1 day (day 2)"


@pytest.fixture
def patient(clinician) -> models.Patient:
    """Infused, with ANC 2.0, 0.3 and 0.3 x10^9/L on days 0, 2 and 6; the signed-in user
    coordinates the study."""
    patient = factories.PatientFactory(subject_id="P001")
    factories.InfusionFactory(patient=patient)
    for day, anc in ((0, 2.0), (2, 0.3), (6, 0.3)):
        factories.LabResultFactory(patient=patient, day=day, analyte="anc", value=anc)
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


def day_six(patient: models.Patient) -> models.LabResult:
    return patient.labs.get(day=6)


def live_url(patient: models.Patient, item: int) -> str:
    return reverse("web:lab-value-icaht", args=[patient.pk, item])


def typed(**changes) -> dict:
    return {"day": "6", "value": "2.0", "unit": "10^9/L", "specimen": "pb"} | changes


def test_the_value_as_typed_counts_in_place_of_the_stored_one(signed_in, patient):
    response = signed_in.post(live_url(patient, day_six(patient).pk), typed(), **HTMX)

    assert response.status_code == 200
    assert CHANGED in response.content.decode()
    assert day_six(patient).value == 0.3


def test_a_value_typed_in_another_unit_is_converted(signed_in, patient):
    # 300/µL (0.3 x10^9/L) moved to day 9: days 3-8 interpolate at 300/µL, ≤500/µL on days
    # 2-9, 8 days, grade 2. Unconverted, 300 x10^9/L would end the episode on day 2.
    changes = typed(day="9", value="300", unit="/uL")

    response = signed_in.post(live_url(patient, day_six(patient).pk), changes, **HTMX)

    assert "Grade 2: ANC ≤500/µL for 8 days (days 2–9)" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"value": "abc"},
        {"value": ""},
        {"day": "six", "value": "0.3"},
        {"unit": "g/L", "value": "0.3"},
        {"specimen": "bm", "value": "0.3"},
    ],
)
def test_a_value_not_yet_valid_counts_as_none(signed_in, patient, changes):
    # Without day 6: ≤500/µL on day 2 alone. Counted, 0.3 on day 6 would give days 2-6.
    response = signed_in.post(live_url(patient, day_six(patient).pk), typed(**changes), **HTMX)

    assert response.status_code == 200
    assert "Grade 1: ANC ≤500/µL for 1 day (day 2)" in response.content.decode()


def test_the_form_of_an_anc_value_shows_the_live_grade(signed_in, patient):
    url = reverse("web:section-item-edit", args=[patient.pk, "labs", day_six(patient).pk])

    form = signed_in.get(url, **HTMX).content.decode()

    assert 'data-testid="computed-icaht"' in form
    assert reverse("web:lab-value-icaht", args=[patient.pk, day_six(patient).pk]) in form
    assert "Grade 1: ANC ≤500/µL for 5 days (days 2–6)" in form


def test_the_form_of_another_analyte_shows_none(signed_in, patient):
    crp = factories.LabResultFactory(patient=patient, day=2, analyte="crp", value=4, unit="mg/L")
    url = reverse("web:section-item-edit", args=[patient.pk, "labs", crp.pk])

    form = signed_in.get(url, **HTMX).content.decode()

    assert 'data-testid="computed-icaht"' not in form


def test_a_value_of_another_patient_is_not_found(signed_in, patient):
    other = factories.PatientFactory(subject_id="P002")
    elsewhere = factories.LabResultFactory(patient=other, day=6, analyte="anc", value=0.3)

    assert signed_in.post(live_url(patient, elsewhere.pk), typed(), **HTMX).status_code == 404


def test_an_outsider_gets_nothing(outsider, patient):
    response = page_client_of(outsider).post(
        live_url(patient, day_six(patient).pk), typed(), **HTMX
    )

    assert response.status_code == 404


def test_a_clinician_of_another_site_gets_nothing(neighbour, patient):
    response = page_client_of(neighbour).post(
        live_url(patient, day_six(patient).pk), typed(), **HTMX
    )

    assert response.status_code == 404


def test_a_monitor_is_refused(teammate, patient):
    response = page_client_of(teammate).post(
        live_url(patient, day_six(patient).pk), typed(), **HTMX
    )

    assert response.status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client, patient):
    response = client.post(live_url(patient, day_six(patient).pk), typed())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
