"""Another user's deletion of a patient landing between a request's read of the patient
and its write: made as the step of the registry that writes starts, after the read; or
landing right after the write, before the request's answer is read."""

import threading
from types import ModuleType

from django.db import connections

from registry import models, services

DELETION_REASON = "Entered twice"


def patient_deleted_first(monkeypatch, module: ModuleType, step: str, patient, user) -> None:
    """`module.step` (e.g. registry.casebook's casebook_sign) finds `patient` deleted by
    `user` after the view read it."""
    write = getattr(module, step)

    def deleted_first(**arguments):
        stored = models.Patient.objects.get(pk=patient.pk)
        services.record_delete(record=stored, user=user, reason=DELETION_REASON)
        return write(**arguments)

    monkeypatch.setattr(module, step, deleted_first)


def patient_deleted_after(monkeypatch, module: ModuleType, step: str, patient, user):
    """`module.step` finds `patient` deleted by `user` as soon as it has written: by another
    request, a thread with a connection of its own, given as long as a deletion takes unless
    it waits for a lock the step's request still holds. The thread, for the test to join."""
    write = getattr(module, step)
    deletion = threading.Thread(target=_deleted, args=(patient.pk, user))

    def then_deleted(**arguments):
        written = write(**arguments)
        deletion.start()
        deletion.join(timeout=2)
        return written

    monkeypatch.setattr(module, step, then_deleted)
    return deletion


def _deleted(patient_pk: int, user) -> None:
    try:
        stored = models.Patient.objects.get(pk=patient_pk)
        services.record_delete(record=stored, user=user, reason=DELETION_REASON)
    finally:
        connections.close_all()
