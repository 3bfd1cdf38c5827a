"""A visit of the follow-up schedule as the pages show it: its status in words, with a
mark and a colour that repeat the words (registry.schedule reads the status)."""

from dataclasses import dataclass

from django.utils import timezone

from registry import schedule
from registry.models import Patient, Visit
from registry.parameters import clinical_cutoff

# Each status's mark and tone: the word is always shown, the mark and colour repeat it.
MARKS = {
    schedule.DONE: ("✓", "good"),
    schedule.UPCOMING: ("○", ""),
    schedule.DUE: ("◷", "warn"),
    schedule.OVERDUE: ("!", "bad"),
    schedule.NOT_APPLICABLE: ("–", ""),
}


@dataclass(frozen=True)
class Shown:
    visit: Visit
    label: str
    mark: str
    tone: str


def shown(visit: Visit) -> Shown:
    mark, tone = MARKS[visit.status]
    return Shown(visit, schedule.STATUS_LABELS[visit.status], mark, tone)


def patient_schedule(patient: Patient) -> list[Shown]:
    """The patient's timepoints in order, each with its status today."""
    cutoff = clinical_cutoff(None, patient.study.data_cutoff)
    visits = patient.visits.select_related("timepoint").order_by("timepoint__target_day")
    return [shown(v) for v in schedule.with_status(visits, cutoff, timezone.localdate())]
