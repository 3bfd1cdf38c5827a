"""The patient page's casebook card: each section's status, the required data missing, the
signature, and what the user may do there (verify a section, sign)."""

from registry import access, casebook
from registry.models import Patient
from registry.required_fields import COMPLETE, SIGNATURE_MEANING


def casebook_context(patient: Patient, rights: access.PatientRights) -> dict:
    """What the patient page's casebook card shows, for a user of these `rights`
    (registry.access.patient_rights)."""
    signatures = list(patient.signatures.select_related("signed_by"))
    return {
        "casebook_sections": casebook.casebook_sections(patient),
        "signature": next((s for s in signatures if s.stands), None),
        "voided_signatures": [s for s in signatures if not s.stands],
        "can_verify": rights.verify,
        "can_sign": rights.sign,
        "signature_meaning": SIGNATURE_MEANING,
        "verifiable": COMPLETE,
    }
