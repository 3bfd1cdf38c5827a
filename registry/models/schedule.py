"""The follow-up schedule: a study's timepoints, and each patient's visits, the timepoints
as they fall for that patient (derived data: registry.schedule keeps them current)."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from registry.follow_up import DIED, WITHDRAWN, TimepointPlan, unknown_sections
from registry.models.patient import Patient
from registry.models.study import Site, Study, unique_in_study
from registry.sections import SECTIONS
from registry.validators import at_most, between, not_negative

SECTION_CHOICES = ", ".join(section.key for section in SECTIONS)


class Timepoint(models.Model):
    """A visit of the study's protocol, counted in days from the first infusion."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="timepoints")
    name = models.CharField(max_length=60, help_text="As the coordinators call it, e.g. Day 28")
    target_day = models.IntegerField(
        "target day after the infusion",
        validators=between(-365, 3650, "Target day"),
        help_text="Negative before the infusion (screening)",
    )
    window_before = models.IntegerField(
        "window before (days)",
        default=0,
        validators=[
            *not_negative("The window before the target day"),
            *at_most(3650, "The window before the target day (days)"),
        ],
        help_text="How many days before the target day the visit still counts",
    )
    window_after = models.IntegerField(
        "window after (days)",
        default=0,
        validators=[
            *not_negative("The window after the target day"),
            *at_most(3650, "The window after the target day (days)"),
        ],
        help_text="How many days after the target day the visit still counts",
    )
    sections = models.JSONField(
        "expected sections",
        default=list,
        help_text=f"The sections the visit records, among: {SECTION_CHOICES}",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "target_day", "name"]
        constraints = [unique_in_study("timepoint", "name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        sections = self.sections
        if not isinstance(sections, list) or not all(isinstance(k, str) for k in sections):
            raise ValidationError({"sections": "Give the expected sections as a list of names"})
        if not sections:
            raise ValidationError({"sections": "Name at least one section the visit records"})
        unknown = unknown_sections(sections)
        if unknown:
            raise ValidationError(
                {
                    "sections": f"Unknown section: {', '.join(unknown)}. "
                    f"Choose among: {SECTION_CHOICES}"
                }
            )
        if len(set(sections)) != len(sections):
            raise ValidationError({"sections": "Name each section once"})

    @property
    def plan(self) -> TimepointPlan:
        return TimepointPlan(
            self.target_day, self.window_before, self.window_after, tuple(self.sections)
        )


class Visit(models.Model):
    """A timepoint as it falls for one patient. The status (done, upcoming, due, overdue,
    not applicable) depends on the day it is read and the clinical cut-off, so it is not
    stored: registry.schedule reads it from these columns."""

    ENDED = [("", "—"), (DIED, "died"), (WITHDRAWN, "withdrawn")]

    # No index of their own for the patient and the study: visit_unique begins with the
    # patient, the indexes below with the study. Fewer indexes to write in an import.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="visits", db_index=False
    )
    timepoint = models.ForeignKey(Timepoint, on_delete=models.CASCADE, related_name="visits")
    # The patient's, here so that a site's list is read off one index.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    # Computed from the course (registry.schedule), never typed.
    window_opens = models.DateField(null=True, editable=False)
    due_date = models.DateField(null=True, editable=False)
    window_closes = models.DateField(null=True, editable=False)
    done = models.BooleanField(default=False)
    ended = models.CharField(max_length=9, choices=ENDED, blank=True)

    class Meta:
        ordering = ["due_date", "patient", "timepoint"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "timepoint"], name="visit_unique")
        ]
        indexes = [
            # The follow-up list by status: its filters and a count of them read this index
            # alone (the status is read from these columns: registry.schedule).
            models.Index(
                fields=["study", "done", "ended", "window_closes", "window_opens", "site"],
                name="visit_status_idx",
            ),
            # The list in its order (registry.schedule_list): a page is read off the index.
            # After the order's columns (a patient's timepoint is one visit, so they order
            # it whole), the columns the list filters on and the id it pages: a deep page,
            # which skips tens of thousands of visits, skips them in the index alone,
            # without reading each one's row.
            models.Index(
                fields=[
                    "study",
                    "due_date",
                    "patient",
                    "timepoint",
                    "site",
                    "done",
                    "ended",
                    "window_opens",
                    "window_closes",
                    "id",
                ],
                name="visit_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.timepoint} of patient {self.patient_id}"
