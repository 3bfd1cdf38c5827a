"""A visit of the follow-up schedule as the pages show it: its status in words, with a
mark and a colour that repeat the words (registry.schedule reads the status)."""

from dataclasses import dataclass

from django.utils import timezone

from registry import schedule
from registry.models import Patient
from registry.parameters import clinical_cutoff
from registry.schedule_list import visit_rows

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
    visit: dict  # registry.schedule_list.COLUMNS
    label: str
    mark: str
    tone: str

    @property
    def not_applicable(self) -> bool:
        """The visit no longer applies: `visit["reason"]` says why."""
        return self.visit["status"] == schedule.NOT_APPLICABLE


def shown(visit: dict) -> Shown:
    mark, tone = MARKS[visit["status"]]
    return Shown(visit, schedule.STATUS_LABELS[visit["status"]], mark, tone)


def patient_schedule(patient: Patient) -> list[Shown]:
    """The patient's timepoints in order, each with its status today."""
    cutoff = clinical_cutoff(None, patient.study.data_cutoff)
    visits = patient.visits.order_by("timepoint__target_day")
    visits = schedule.with_status(visits, cutoff, timezone.localdate())
    return [shown(row) for row in visit_rows(visits, stream=False)]
