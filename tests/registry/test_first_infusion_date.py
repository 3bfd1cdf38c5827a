"""`Patient.first_infusion_date`, kept from the infusions for the patient list to order and
filter by: every way an infusion or a patient is written leaves it right."""

import json
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db.models import Min

from registry import models, services
from registry.interchange.importer import cohort_import
from tests import factories
from tests.factories import INFUSION_DATE

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"


def kept(patient: models.Patient):
    return models.Patient.objects.values_list("first_infusion_date", flat=True).get(pk=patient.pk)


@pytest.fixture
def patient():
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    return patient


def infusion(patient: models.Patient, day) -> models.Infusion:
    fields = {"product": "humanized_cd19", "weight_kg": 60.0, "cells_per_kg": 240_000}
    return models.Infusion(patient=patient, date=day, **fields)


def test_it_follows_the_infusions_saved_and_deleted(patient):
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


def test_a_patient_saved_from_an_earlier_read_keeps_the_infusion_added_since(patient):
    read_before = models.Patient.objects.get(pk=patient.pk)
    factories.InfusionFactory(patient=patient)
    read_before.sex = "male"
    services.record_save(record=read_before, user=None, reason="Corrected", version=1)
    assert kept(patient) == INFUSION_DATE


def test_the_import_keeps_it_for_every_patient_it_writes():
    cohort_import(data=json.loads(PUBLISHED.read_text()))
    patients = models.Patient.objects.annotate(earliest=Min("infusions__date"))
    assert patients.filter(infusions__isnull=False).exists()
    for first, earliest in patients.values_list("first_infusion_date", "earliest"):
        assert first == earliest


def test_the_migration_fills_it_for_the_patients_already_there(patient):
    # Patients stored before the column came: the migration's step, with today's models.
    factories.InfusionFactory(patient=patient)
    factories.InfusionFactory(patient=patient, date=INFUSION_DATE - timedelta(days=3))
    never_infused = factories.PatientFactory()
    models.Patient.objects.update(first_infusion_date=None)
    migration = import_module("registry.migrations.0005_patient_first_infusion_date")
    migration.keep_first_infusion_dates(django_apps, schema_editor=None)
    assert kept(patient) == INFUSION_DATE - timedelta(days=3)
    assert kept(never_infused) is None
