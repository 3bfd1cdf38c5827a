"""Fixtures of the analytics tests: a signed-in reader, someone signed out, the published
cohort (tests/data/hcd19-published-cohort.json, built to reproduce An et al., BMC Cancer
2022). The cache is emptied around every test (tests/conftest.py)."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry import models
from registry.access import membership_grant
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.importer import cohort_import
from registry.models import Role, Study
from tests import factories
from tests.clients import api_client_of
from tests.factories import StudyFactory
from tests.trail import SECTION_MODELS

PUBLISHED = json.loads((Path(__file__).parents[1] / "data/hcd19-published-cohort.json").read_text())
# Every statistic of a study, by its address under /api/v1/studies/{code}/analytics/.
STATISTICS = (
    "response",
    "survival",
    "follow-up",
    "cumulative-incidence",
    "toxicity",
    "kinetics",
    "tables/characteristics",
    "tables/outcomes",
)
# What every statistic's answer says of the dates it was computed at (analytics.results).
ANSWER_DATES = {"cutoff", "as_of", "left_out_infused_after_cutoff", "warnings"}
# The patient list's filters, each with a value that picks some of the `varied` study's
# patients and not all: where the analytics select patients other than by the database's
# filters, they must pick the same ones.
FILTER_EXAMPLES = [
    {"site": "SITE-A"},
    {"site": "SITE-B"},
    {"sex": "female"},
    {"sex": "male"},
    {"age_min": "18"},
    {"age_max": "17"},
    {"age_min": "10", "age_max": "30"},
    {"prior_allo_hct": "true"},
    {"prior_allo_hct": "false"},
    {"prior_cd22_cart": "true"},
    {"prior_cd22_cart": "false"},
    {"d30_response": "cr"},
    {"d30_response": "cri"},
    {"d30_response": "nr"},
    {"d30_response": "none"},
    {"vital_status": "alive"},
    {"vital_status": "dead"},
    {"infused_after": "2020-06-01"},
    {"infused_before": "2020-06-01"},
    {"missing_data": "true"},
    {"missing_data": "false"},
    {"search": "07"},
    {"search": "demo-0 5"},
    {"sex": "female", "age_min": "18", "search": "demo"},
]


@pytest.fixture
def reader(db) -> User:
    """Monitors the published cohort's study (HCD19), which its imports fill."""
    reader = User.objects.create_user("reader", password="reader-password-1")
    membership_grant(user=reader, study=StudyFactory(code="HCD19"), role=Role.MONITOR)
    return reader


@pytest.fixture
def api(reader) -> APIClient:
    return api_client_of(reader)


@pytest.fixture
def document() -> dict:
    """A copy of the published cohort's document, to change before importing."""
    return copy.deepcopy(PUBLISHED)


def import_with_a_non_responder_not_evaluable(document: dict) -> None:
    """Imports the document with one non-responder's day-30 assessment made not evaluable:
    still assessed, still no CR."""
    patient = next(
        patient
        for patient in document["patients"]
        if patient["response_assessments"][0]["status"] == "nr"
    )
    patient["response_assessments"][0] = {"day": 30, "status": "not_evaluable"}
    cohort_import(data=document)


@pytest.fixture
def published(db) -> Study:
    return cohort_import(data=copy.deepcopy(PUBLISHED)).study


@pytest.fixture(scope="module")
def published_for_module(module_transaction, django_db_blocker) -> Study:
    """The published cohort imported once, for a module whose every test reads it: such a
    module's own `published` returns this study afresh (each test's changes are rolled
    back)."""
    with django_db_blocker.unblock():
        return cohort_import(data=copy.deepcopy(PUBLISHED)).study


@pytest.fixture
def analytics(api):
    """GET an analytics endpoint of a study (HCD19 unless `code` is given)."""

    def get(path: str, /, code: str = "HCD19", **params):
        return api.get(f"/api/v1/studies/{code}/analytics/{path}/", params)

    return get


def discrepancy(study_id: str, *, crs: tuple[int, int], icans: tuple[int, int]) -> dict:
    """A patient of the toxicity answer's discrepancies, each grade given as (recorded,
    computed)."""
    return {
        "study_id": study_id,
        "crs_grade_recorded": crs[0],
        "crs_grade_computed": crs[1],
        "icans_grade_recorded": icans[0],
        "icans_grade_computed": icans[1],
    }


def varied_study() -> Study:
    """A synthetic study of 80 patients (DEMO) with every kind of patient."""
    study = synthetic_cohort_import(data=synthetic_cohort(code="DEMO", patients=80)).study
    # A patient who died before any infusion: no time keys, no day-30 response; "dead" to
    # the patient list's vital status filter, neither alive nor dead to the analyses'.
    patient = models.Patient.objects.filter(study=study).exclude(events__kind="death").first()
    for section in SECTION_MODELS:
        section.objects.filter(patient=patient).delete()
    models.FollowUpEvent.objects.create(patient=patient, kind="death", date=date(2020, 3, 1))
    return study


@pytest.fixture
def varied(db, reader) -> Study:
    """The varied study (varied_study), the reader a monitor of it."""
    study = varied_study()
    membership_grant(user=reader, study=study, role=Role.MONITOR)
    return study


@pytest.fixture(scope="module")
def varied_for_module(module_transaction, django_db_blocker) -> Study:
    """The varied study made once, for a module whose every test reads it: such a module's
    own `varied` makes the reader a monitor of it and returns it afresh."""
    with django_db_blocker.unblock():
        return varied_study()


@pytest.fixture
def varied_of_module(db, reader, varied_for_module) -> Study:
    """The module's varied study (varied_for_module), the reader a monitor of it, read
    afresh: for a module whose tests only read the varied study."""
    membership_grant(user=reader, study=varied_for_module, role=Role.MONITOR)
    return Study.objects.get(pk=varied_for_module.pk)


LAB_INFUSION = date(2021, 7, 10)  # the study's cut-off, 2021-07-31, is day 21


def lab_value(
    patient: models.Patient,
    day: int,
    analyte: str,
    value: float | tuple[str, float],
    unit: str,
    specimen: str = "pb",
) -> None:
    """Records a lab value of the patient; a value given as ("<", limit) is below detection
    at that limit."""
    below = isinstance(value, tuple)
    factories.LabResultFactory(
        patient=patient,
        day=day,
        analyte=analyte,
        value=value[1] if below else value,
        unit=unit,
        specimen=specimen,
        below_detection=below,
    )


@pytest.fixture
def lab_patient(reader):
    """Makes a patient of HCD19 infused on LAB_INFUSION with lab values given as (day,
    analyte, value, unit), each value as lab_value takes it."""

    def make(subject_id: str, labs, sex: str = "female") -> models.Patient:
        patient = factories.PatientFactory(
            subject_id=subject_id, sex=sex, last_contact_date=date(2021, 12, 1)
        )
        factories.InfusionFactory(patient=patient, date=LAB_INFUSION)
        for day, analyte, value, unit in labs:
            lab_value(patient, day, analyte, value, unit)
        return patient

    return make
