"""Filters on outcomes select on the values at the clinical cut-off (issue #17): a patient
who died after it was alive then, a day-30 response assessed after it was unknown."""

from datetime import timedelta

import pytest

from registry import models
from registry.access import membership_grant
from registry.models import Role, Study

DATASET = "/api/v1/studies/DEMO/analytics/dataset/"
FOLLOW_UP = "/api/v1/studies/DEMO/analytics/follow-up/"


def study_ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["study_id"] for row in response.json()["results"]}


@pytest.fixture
def varied(db, reader, varied_for_module) -> Study:
    membership_grant(user=reader, study=varied_for_module, role=Role.MONITOR)
    return Study.objects.get(pk=varied_for_module.pk)


@pytest.fixture
def died_later(varied) -> tuple[str, str]:
    """A patient infused who died, and a cut-off the day before the death."""
    death = (
        models.FollowUpEvent.objects.filter(patient__study=varied, kind="death")
        .exclude(patient__first_infusion_date=None)
        .select_related("patient")
        .first()
    )
    return death.patient.subject_id, (death.date - timedelta(days=1)).isoformat()


@pytest.fixture
def assessed_later(varied) -> tuple[str, str]:
    """A patient with a day-30 response, and a cut-off the day before it was assessed."""
    patient = models.Patient.objects.filter(study=varied).exclude(d30_status=None).first()
    day = patient.response_assessments.filter(day__range=(21, 45)).order_by("day").first().day
    assessed = patient.first_infusion_date + timedelta(days=day)
    return patient.subject_id, (assessed - timedelta(days=1)).isoformat()


def test_a_patient_who_died_after_the_cut_off_is_alive_at_it(api, died_later):
    study_id, cutoff = died_later

    alive = study_ids(api.get(DATASET, {"cutoff": cutoff, "vital_status": "alive"}))
    dead = study_ids(api.get(DATASET, {"cutoff": cutoff, "vital_status": "dead"}))

    assert study_id in alive and study_id not in dead


def test_without_a_cut_off_the_same_patient_is_dead(api, died_later):
    study_id, _ = died_later

    dead = study_ids(api.get(DATASET, {"cutoff": "none", "vital_status": "dead"}))

    assert study_id in dead


def test_the_statistics_count_the_patients_alive_at_the_cut_off(api, died_later):
    _, cutoff = died_later
    query = {"cutoff": cutoff, "vital_status": "alive"}

    survivors = api.get(FOLLOW_UP, query).json()["survivors"]

    # Everyone alive at the cut-off survives to it: the report and the rows agree.
    assert survivors == len(study_ids(api.get(DATASET, query))) > 0


def test_a_day_30_response_assessed_after_the_cut_off_is_none_at_it(api, assessed_later):
    study_id, cutoff = assessed_later
    recorded = models.Patient.objects.get(subject_id=study_id).d30_status

    at_cut = study_ids(api.get(DATASET, {"cutoff": cutoff, "d30_response": "none"}))
    as_recorded = study_ids(api.get(DATASET, {"cutoff": cutoff, "d30_response": recorded}))

    assert study_id in at_cut and study_id not in as_recorded


def test_a_patient_never_infused_has_no_vital_status_in_the_analyses(api, varied):
    # conftest's patient who died before any infusion: the analyses follow patients from
    # the infusion; the registry's list keeps the death recorded.
    never = models.Patient.objects.get(study=varied, first_infusion_date=None, died=True)
    query = {"cutoff": "none"}

    analysed = study_ids(api.get(DATASET, query))
    alive = study_ids(api.get(DATASET, {**query, "vital_status": "alive"}))
    dead = study_ids(api.get(DATASET, {**query, "vital_status": "dead"}))
    listed = api.get("/api/v1/patients/", {"study": "DEMO", "vital_status": "dead"}).json()

    assert never.subject_id in analysed
    assert never.subject_id not in alive | dead
    assert never.subject_id in {patient["study_id"] for patient in listed["results"]}
