"""The same three callers for every endpoint: an editor, a reader, and someone signed out."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from registry import models
from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.clients import api_client_of

CHANGE_REASON = "Corrected from the source document"
# The home study's exports, by name.
EXPORTS = {
    "cohort": "/api/v1/studies/HCD19/export/",
    "patients.csv": "/api/v1/studies/HCD19/export/patients.csv",
    "patients.xlsx": "/api/v1/studies/HCD19/export/patients.xlsx",
    "deidentified.csv": "/api/v1/studies/HCD19/export/deidentified.csv",
}


@pytest.fixture
def editor(db) -> User:
    """A coordinator who may add, change and delete every registry record."""
    user = User.objects.create_user("editor", password="editor-password-1")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    return user


@pytest.fixture
def reader(db) -> User:
    """A signed-in researcher with no permission to change anything."""
    return User.objects.create_user("reader", password="reader-password-1")


@pytest.fixture
def roles(editor, reader) -> models.Study:
    """The editor coordinates the factories' default study (HCD19); the reader monitors it."""
    study = factories.StudyFactory()
    membership_grant(user=editor, study=study, role=Role.COORDINATOR)
    membership_grant(user=reader, study=study, role=Role.MONITOR)
    return study


@pytest.fixture
def editor_client(editor) -> APIClient:
    """Gives a reason for every change (X-Change-Reason), as the API requires of a change."""
    return api_client_of(editor, reason=CHANGE_REASON)


@pytest.fixture
def reader_client(reader) -> APIClient:
    return api_client_of(reader)


def full_course(patient: models.Patient | None = None, **patient_fields) -> models.Patient:
    """A patient with a record in every section of the course."""
    with factories.derived_data_once():
        patient = patient or factories.PatientFactory(**patient_fields)
        models.Eligibility.objects.create(
            patient=patient,
            cd19_blast_pct=99,
            bm_blast_pct=40,
            extramedullary_sites=["cns", "skin"],
            ecog=1,
            adequate_organ_function=True,
        )
        models.Genetics.objects.create(
            patient=patient, bcr_abl1=False, ph_like=True, other="KMT2A-r"
        )
        factories.PriorTherapyFactory(patient=patient)
        models.PriorTherapy.objects.create(patient=patient, kind="allo_hct", date=date(2019, 11, 1))
        factories.LymphodepletionFactory(patient=patient)
        factories.InfusionFactory(patient=patient, lot="L-0001")
        factories.CarTCountFactory(patient=patient, day=7, cells_per_ul=5.2)
        factories.CarTCountFactory(patient=patient, day=14, cells_per_ul=80.5)
        factories.LabResultFactory(patient=patient, day=-5, analyte="crp", value=1.2, unit="mg/dL")
        models.ToxicityRecord.objects.create(
            patient=patient, crs_max_grade=2, icans_max_grade=0, crs_onset_day=1, tocilizumab=True
        )
        factories.ToxicityTreatmentFactory(patient=patient, day=1, treatment="tocilizumab")
        factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.9)
        factories.ResponseAssessmentFactory(patient=patient, day=28, mrd_level=0.00001)
        factories.FollowUpEventFactory(
            patient=patient, kind="relapse", date=date(2020, 6, 1), cd19="negative"
        )
        factories.FollowUpEventFactory(
            patient=patient, kind="death", date=date(2020, 9, 1), cause="disease"
        )
    return patient
