"""The status badges of a patient, the same in the patient list and on the patient page."""

from dataclasses import dataclass

from registry.choices import RESPONDER_STATUSES, ResponseStatus
from registry.models import Patient


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # "good", "warn" or "bad"
    title: str = ""  # the detail shown on hover and read by screen readers


def status_badges(patient: Patient, assessments: list[dict] | None = None) -> list[Badge]:
    """The patient's badges; `assessments`: its daily assessments as rows, where a page of
    patients read them so (Patient.grade_discrepancies)."""
    badges = []
    if patient.d30_status in RESPONDER_STATUSES:
        badges.append(Badge("Responder", "good", "CR or CRi at day 30"))
    if patient.relapsed:
        badges.append(Badge("Relapsed", "bad"))
    if patient.died:
        badges.append(Badge("Deceased", "bad"))
    if patient.casebook_signed:
        badges.append(Badge("Signed", "good", "An investigator's signature of the casebook stands"))
    elif patient.required_missing:
        missing = patient.required_missing
        title = f"{missing} of {patient.required_total} required fields missing"
        badges.append(Badge("Missing data", "warn", title))
    discrepancies = patient.grade_discrepancies(assessments)
    if discrepancies:
        badges.append(Badge("Grade discrepancy", "warn", "; ".join(discrepancies)))
    return badges


def response_label(status: str | None) -> str:
    return ResponseStatus(status).label if status else ""
