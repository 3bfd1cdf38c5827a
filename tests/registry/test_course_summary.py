"""The summary of a patient's course (Patient.SUMMARY_FROM: the first infusion date, the
day-30 response, a prior allo-HCT or CD22 CAR-T, a relapse, a death), for the patient
list to filter and order by: every way a record or a patient is written leaves it right."""

import json
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from registry import models, services
from registry.interchange.importer import cohort_import
from tests import factories
from tests.factories import INFUSION_DATE

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"
KEPT = [name for names in models.Patient.SUMMARY_FROM.values() for name in names]


def kept(patient: models.Patient, name: str = "first_infusion_date"):
    return models.Patient.objects.values_list(name, flat=True).get(pk=patient.pk)


def from_records(patient: models.Patient) -> dict:
    """The kept columns worked out in Python from the patient's records as stored."""
    infusions = sorted(infusion.date for infusion in patient.infusions.all())
    in_window = [a for a in patient.response_assessments.all() if 21 <= a.day <= 45]
    priors = {therapy.kind for therapy in patient.prior_therapies.all()}
    events = {event.kind for event in patient.events.all()}
    return {
        "first_infusion_date": infusions[0] if infusions else None,
        "d30_status": min(in_window, key=lambda a: a.day).status if in_window else None,
        "prior_allo_hct": "allo_hct" in priors,
        "prior_cd22_cart": "cd22_cart" in priors,
        "relapsed": "relapse" in events,
        "died": "death" in events,
    }


def stored(patient: models.Patient) -> dict:
    return models.Patient.objects.values(*KEPT).get(pk=patient.pk)


@pytest.fixture
def patient():
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    return patient


def infusion(patient: models.Patient, day) -> models.Infusion:
    fields = {"product": "humanized_cd19", "weight_kg": 60.0, "cells_per_kg": 240_000}
    return models.Infusion(patient=patient, date=day, **fields)


def test_the_first_infusion_date_follows_the_infusions_saved_and_deleted(patient):
    assert kept(patient) is None
    first = infusion(patient, INFUSION_DATE)
    services.record_save(record=first, user=None)
    assert kept(patient) == INFUSION_DATE

    second = infusion(patient, INFUSION_DATE + timedelta(days=60))
    services.record_save(record=second, user=None)
    assert kept(patient) == INFUSION_DATE

    first.date = INFUSION_DATE + timedelta(days=1)
    services.record_save(record=first, user=None, reason="Date corrected", version=1)
    assert kept(patient) == INFUSION_DATE + timedelta(days=1)

    services.record_delete(record=first, user=None, reason="Entered twice", check_course=False)
    assert kept(patient) == INFUSION_DATE + timedelta(days=60)
    services.record_delete(record=second, user=None, reason="Entered twice", check_course=False)
    assert kept(patient) is None


def test_the_day_30_response_is_the_earliest_assessment_from_day_21_to_45(patient):
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient, day=20, status="cr")
    assert kept(patient, "d30_status") is None  # the day before the window

    late = factories.ResponseAssessmentFactory(patient=patient, day=28, status="nr")
    assert kept(patient, "d30_status") == "nr"
    early = factories.ResponseAssessmentFactory(patient=patient, day=21, status="cri")
    assert kept(patient, "d30_status") == "cri"

    services.record_delete(record=early, user=None, reason="Wrong patient", check_course=False)
    assert kept(patient, "d30_status") == "nr"
    late.day = 46  # the day after the window
    services.record_save(record=late, user=None, reason="Day corrected", version=1, clean=False)
    assert kept(patient, "d30_status") is None


def test_the_prior_therapies_and_the_events_follow_their_records(patient):
    factories.InfusionFactory(patient=patient)
    transplant = factories.PriorTherapyFactory(patient=patient, kind="allo_hct")
    factories.PriorTherapyFactory(patient=patient, kind="murine_cd19_cart")
    relapse = factories.FollowUpEventFactory(patient=patient, kind="relapse")
    assert stored(patient) == from_records(patient)
    assert kept(patient, "prior_allo_hct") and kept(patient, "relapsed")
    assert not kept(patient, "prior_cd22_cart") and not kept(patient, "died")
    factories.PriorTherapyFactory(patient=patient, kind="cd22_cart")
    factories.FollowUpEventFactory(patient=patient, kind="death", cause="infection")
    assert kept(patient, "prior_cd22_cart") and kept(patient, "died")

    services.record_delete(record=transplant, user=None, reason="Wrong patient", check_course=False)
    services.record_delete(record=relapse, user=None, reason="Wrong patient", check_course=False)
    assert not kept(patient, "prior_allo_hct")
    assert not kept(patient, "relapsed")
    assert stored(patient) == from_records(patient)


def test_a_patient_saved_from_an_earlier_read_keeps_the_records_added_since(patient):
    read_before = models.Patient.objects.get(pk=patient.pk)
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    factories.PriorTherapyFactory(patient=patient, kind="allo_hct")
    factories.FollowUpEventFactory(patient=patient, kind="relapse")
    read_before.sex = "male"
    services.record_save(record=read_before, user=None, reason="Corrected", version=1)
    assert stored(patient) == {
        "first_infusion_date": INFUSION_DATE,
        "d30_status": "cr",
        "prior_allo_hct": True,
        "prior_cd22_cart": False,
        "relapsed": True,
        "died": False,
    }


def test_the_import_keeps_them_for_every_patient_it_writes():
    cohort_import(data=json.loads(PUBLISHED.read_text()))
    patients = models.Patient.objects.prefetch_related(*models.Patient.SUMMARY_FROM)
    assert patients.count() == 19
    for patient in patients:
        assert stored(patient) == from_records(patient), patient.subject_id
    # The published cohort has each of them both ways.
    for name in KEPT:
        assert len(set(patients.values_list(name, flat=True))) > 1, name


def test_the_migrations_fill_them_for_the_patients_already_there():
    # Patients stored before the columns came: the migrations' steps, with today's models.
    cohort_import(data=json.loads(PUBLISHED.read_text()))
    expected = {patient.pk: from_records(patient) for patient in models.Patient.objects.all()}
    models.Patient.objects.update(
        first_infusion_date=None,
        d30_status=None,
        prior_allo_hct=False,
        prior_cd22_cart=False,
        relapsed=False,
        died=False,
    )
    first_infusion = import_module("registry.migrations.0005_patient_first_infusion_date")
    first_infusion.keep_first_infusion_dates(django_apps, schema_editor=None)
    status = import_module("registry.migrations.0006_patient_kept_status")
    status.keep_from_course(django_apps, schema_editor=None)
    for patient in models.Patient.objects.all():
        assert stored(patient) == expected[patient.pk], patient.subject_id
