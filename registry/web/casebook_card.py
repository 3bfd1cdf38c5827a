"""The patient page's casebook card: each section's status, the required data missing, the
signature, and what the user may do there (verify a section, sign)."""

from registry import access, casebook
from registry.models import Patient
from registry.required_fields import COMPLETE, SIGNATURE_MEANING


def casebook_context(patient: Patient, user) -> dict:
    """What the patient page's casebook card shows, for `user`."""
    return {
        "casebook_sections": casebook.casebook_sections(patient),
        "signature": casebook.standing_signature(patient),
        "voided_signatures": casebook.voided_signatures(patient),
        "can_verify": access.can_verify(user, patient.study),
        "can_sign": access.can_sign(user, patient),
        "signature_meaning": SIGNATURE_MEANING,
        "verifiable": COMPLETE,
    }
