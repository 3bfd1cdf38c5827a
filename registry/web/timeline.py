"""A patient's course as dated milestones, for the timeline on the patient page."""

from dataclasses import dataclass
from datetime import date, timedelta

from registry import choices
from registry.analytes import LYMPHODEPLETING_DRUGS
from registry.grading import SEVERE_GRADE
from registry.models import Patient
from registry.units import FIELD_UNITS


@dataclass(frozen=True)
class Milestone:
    date: date | None
    day: int | None  # days after the first infusion
    title: str
    detail: str = ""
    tone: str = ""  # "good", "warn" or "bad": how the badge beside it is coloured


def patient_timeline(patient: Patient) -> list[Milestone]:
    """Enrolment to last contact, in date order; expects the sections prefetched."""
    infusion = patient.first_infusion
    start = infusion.date if infusion else None
    milestones = [
        *_dated(patient, start),
        *_infusions(patient, start),
        *_toxicity_days(patient, start),
        *_responses(patient, start),
        *_events(patient, start),
    ]
    return sorted(milestones, key=lambda m: (m.date or date.max, m.day or 0))


def _day(start: date | None, when: date | None) -> int | None:
    return (when - start).days if start and when else None


def _on(start: date | None, day: int) -> date | None:
    return start + timedelta(days=day) if start else None


def _dated(patient: Patient, start: date | None):
    if patient.enrollment_date:
        yield Milestone(patient.enrollment_date, _day(start, patient.enrollment_date), "Enrolment")
    lymphodepletion = getattr(patient, "lymphodepletion", None)
    if lymphodepletion and lymphodepletion.start_date:
        when = lymphodepletion.start_date
        regimen = [
            f"{drug.lower()} {dose:g} {FIELD_UNITS[field].shown}"
            for field, drug in LYMPHODEPLETING_DRUGS.items()
            if (dose := getattr(lymphodepletion, field))
        ]
        if lymphodepletion.days:
            regimen.append(f"{lymphodepletion.days} days")
        yield Milestone(when, _day(start, when), "Lymphodepletion", ", ".join(regimen))
    if patient.last_contact_date:
        yield Milestone(
            patient.last_contact_date,
            _day(start, patient.last_contact_date),
            "Last contact",
        )


def _infusions(patient: Patient, start: date | None):
    for infusion in patient.infusions.all():
        yield Milestone(
            infusion.date,
            _day(start, infusion.date),
            f"Infusion: {infusion.get_product_display()}",
            f"{infusion.cells_per_kg:,} {FIELD_UNITS['cells_per_kg'].shown}, "
            f"{infusion.weight_kg:g} {FIELD_UNITS['weight_kg'].shown}",
        )


def _toxicity_days(patient: Patient, start: date | None):
    """The days with CRS or ICANS; days graded 0 stay in the assessments table."""
    age = patient.age_years
    for assessment in patient.daily_assessments.all():
        crs, icans = assessment.crs_grade(), assessment.icans_grade(age)
        worst = max(crs.grade, icans.grade)
        if not worst:
            continue
        yield Milestone(
            _on(start, assessment.day),
            assessment.day,
            f"CRS grade {crs.grade}, ICANS grade {icans.grade}",
            f"CRS {crs.reason}; ICANS {icans.reason}",
            tone="bad" if worst >= SEVERE_GRADE else "warn",
        )


def _responses(patient: Patient, start: date | None):
    for assessment in patient.response_assessments.all():
        detail = [f"MRD {assessment.get_mrd_display().lower()}"]
        if assessment.bm_blast_pct is not None:
            detail.insert(0, f"{assessment.bm_blast_pct:g}% marrow blasts")
        yield Milestone(
            _on(start, assessment.day),
            assessment.day,
            f"Response: {assessment.get_status_display()}",
            ", ".join(detail),
            tone="good" if assessment.is_response else "bad",
        )


EVENT_TONES = {
    choices.EventKind.RELAPSE: "bad",
    choices.EventKind.DEATH: "bad",
    choices.EventKind.ALLO_HCT: "good",
}


def _events(patient: Patient, start: date | None):
    for event in patient.events.all():
        detail = event.get_cd19_display() or event.get_cause_display() or event.description
        if event.kind == choices.EventKind.DEATH and detail:
            detail = f"cause: {detail.lower()}"
        yield Milestone(
            event.date,
            _day(start, event.date),
            event.get_kind_display(),
            detail,
            tone=EVENT_TONES.get(event.kind, ""),
        )
