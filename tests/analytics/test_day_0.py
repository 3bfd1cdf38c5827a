"""An event on the infusion day (day 0) is an event at time 0 (clinical-rules.md, "Survival
conventions"): in the analysis dataset, the survival and follow-up endpoints and the
patient list's vital status alike."""

import pytest

from analytics.dataset import analysis_rows
from registry import models
from tests import factories
from tests.factories import INFUSION_DATE

pytestmark = pytest.mark.django_db


def patient_with_event_on_day_0(kind: str, **fields) -> models.Patient:
    """An infused patient whose only follow-up is an event of `kind` on the infusion day."""
    patient = factories.PatientFactory(last_contact_date=INFUSION_DATE)
    factories.InfusionFactory(patient=patient)
    if kind == "relapse":
        # A relapse needs an earlier response (registry.rules): CR assessed on day 0.
        factories.ResponseAssessmentFactory(patient=patient, day=0)
    factories.FollowUpEventFactory(patient=patient, kind=kind, date=INFUSION_DATE, **fields)
    return patient


def row_of(patient: models.Patient) -> dict:
    (row,) = analysis_rows(models.Patient.objects.filter(pk=patient.pk))
    return row


def test_a_death_on_day_0_is_a_death_at_time_0():
    row = row_of(patient_with_event_on_day_0("death", cause="crs"))
    assert (row["death"], row["death_cause"], row["os_event"], row["efs_event"]) == (
        True,
        "crs",
        True,
        True,
    )
    assert row["os_months"] == row["efs_months"] == row["death_months"] == 0
    assert row["nrm"] is True


def test_a_relapse_on_day_0_is_a_relapse_at_time_0():
    row = row_of(patient_with_event_on_day_0("relapse", cd19="negative"))
    assert (row["relapse"], row["relapse_cd19"], row["efs_event"]) == (True, "negative", True)
    assert row["efs_months"] == row["relapse_months"] == 0


def test_a_transplant_on_day_0_is_a_transplant_at_time_0():
    row = row_of(patient_with_event_on_day_0("allo_hct"))
    assert (row["hct_after_infusion"], row["hct_months"]) == (True, 0)


@pytest.mark.parametrize(
    "kind, fields",
    [
        ("b_cell_recovery", {}),
        ("car_t_loss", {}),
        ("other_therapy", {"description": "Salvage chemotherapy"}),
    ],
)
def test_any_other_event_on_day_0_follows_the_patient_to_time_0(kind, fields):
    # Without a last contact the event is the only sign the patient was seen: followed up
    # to day 0, censored there.
    patient = patient_with_event_on_day_0(kind, **fields)
    models.Patient.objects.filter(pk=patient.pk).update(last_contact_date=None)
    row = row_of(patient)
    assert (row["efs_event"], row["os_event"]) == (False, False)
    assert row["followup_months"] == row["os_months"] == row["efs_months"] == 0


@pytest.fixture
def died_on_day_0(reader) -> models.Patient:
    """In the reader's study (HCD19), with a survivor followed for 100 days beside them."""
    survivor = factories.PatientFactory(last_contact_date=INFUSION_DATE.replace(month=4, day=24))
    factories.InfusionFactory(patient=survivor)
    return patient_with_event_on_day_0("death", cause="infection")


def test_overall_survival_counts_a_death_on_day_0(analytics, died_on_day_0):
    (group,) = analytics("survival", endpoint="os", times="0").json()["groups"]
    assert (group["n"], group["events"]) == (2, 1)
    assert group["estimates"][0]["survival"] == pytest.approx(0.5)
    assert group["curve"]["months"][0] == 0


def test_follow_up_counts_a_patient_dead_on_day_0_among_the_dead(analytics, died_on_day_0):
    result = analytics("follow-up").json()
    assert result["survivors"] == 1
    assert result["range_months"] == [pytest.approx(100 / 30.4375)] * 2


def test_the_patient_list_and_the_dataset_agree_on_a_death_on_day_0(api, died_on_day_0):
    dead = api.get("/api/v1/patients/", {"study": "HCD19", "vital_status": "dead"}).json()
    (row,) = [
        row
        for row in api.get("/api/v1/studies/HCD19/analytics/dataset/").json()["results"]
        if row["death"]
    ]
    assert [patient["study_id"] for patient in dead["results"]] == [row["study_id"]]
    assert row["study_id"] == died_on_day_0.subject_id
