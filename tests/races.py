"""Another user's deletion of a patient landing between a request's read of the patient
and its write: made as the step of the registry that writes starts, after the read."""

from types import ModuleType

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
