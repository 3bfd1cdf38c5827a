"""A re-import and a clinician's save of the same patient at once: one waits for the other,
so neither overwrites the other's write with the same version."""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from registry import models
from registry.interchange.importer import cohort_import
from tests.registry.test_interchange import cohort, patient

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite's IMMEDIATE transactions already let one writer at a time in",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_a_reimport_waits_for_a_patient_being_saved():
    document = cohort(patient("P01"))
    cohort_import(data=document)
    saving, done = threading.Event(), threading.Event()

    def clinician_saves() -> None:
        # What services.record_save does first: the patient's row, locked until it commits.
        try:
            with transaction.atomic():
                models.Patient.objects.select_for_update().get(subject_id="P01")
                saving.set()
                done.wait(timeout=10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=clinician_saves)
    thread.start()
    try:
        assert saving.wait(timeout=10)
        with pytest.raises(OperationalError, match="lock timeout"):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cohort_import(data=document)
    finally:
        done.set()
        thread.join()
