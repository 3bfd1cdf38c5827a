"""The outcome sections of a course: response assessments and follow-up events; field
names are the format's keys."""

from django.core.exceptions import ValidationError
from django.db import models

from registry import choices
from registry.date_formats import date_text
from registry.models.fields import clinical_date, coded_field
from registry.models.patient import Patient
from registry.models.section import Section, one_a_day
from registry.validators import between, percent


class ResponseAssessment(Section):
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="response_assessments"
    )
    day = models.PositiveIntegerField(
        "day after infusion", validators=between(0, 3650, "Day after infusion")
    )
    status = coded_field(choices.ResponseStatus, "Response", verbose_name="response", max_length=14)
    bm_blast_pct = models.FloatField(
        "marrow blasts (%)", null=True, blank=True, validators=percent("Marrow blasts")
    )
    mrd = coded_field(
        choices.Mrd, "MRD", verbose_name="MRD", max_length=14, default=choices.Mrd.UNKNOWN
    )
    mrd_level = models.FloatField(
        "MRD level (fraction)",
        null=True,
        blank=True,
        validators=between(0, 1, "MRD level (a fraction, e.g. 0.0001)"),
    )
    mrd_method = coded_field(
        choices.MrdMethod, "MRD method", verbose_name="MRD method", max_length=4, blank=True
    )

    natural_key = ("day",)
    document_fields = ("day", "status", "bm_blast_pct", "mrd", "mrd_level", "mrd_method")

    class Meta:
        ordering = ["day"]
        constraints = [
            one_a_day("response_assessment", "There is already a response assessment for this day")
        ]
        indexes = [models.Index(fields=["status", "day"])]

    def __str__(self) -> str:
        return f"Day {self.day}: {self.get_status_display()}"

    @property
    def is_response(self) -> bool:
        return self.status in choices.RESPONDER_STATUSES

    def clean_fields_together(self) -> None:
        errors = {}
        if self.is_response and self.bm_blast_pct is not None and self.bm_blast_pct >= 5:
            errors["bm_blast_pct"] = (
                f"CR and CRi need fewer than 5% marrow blasts; {self.bm_blast_pct}% was entered"
            )
        if self.mrd_level is not None:
            if self.mrd == choices.Mrd.NEGATIVE and self.mrd_level >= MRD_NEGATIVE_BELOW:
                errors["mrd_level"] = "MRD-negative means a level below 0.0001 (0.01%)"
            if self.mrd == choices.Mrd.POSITIVE and self.mrd_level < MRD_NEGATIVE_BELOW:
                errors["mrd_level"] = "A level below 0.0001 (0.01%) is MRD-negative, not positive"
        if errors:
            raise ValidationError(errors)


MRD_NEGATIVE_BELOW = 1e-4


class FollowUpEvent(Section):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="events")
    kind = coded_field(choices.EventKind, "Event", verbose_name="event", max_length=16)
    date = clinical_date("Event date")
    cd19 = coded_field(
        choices.Cd19Status,
        "CD19 status",
        verbose_name="CD19 status at relapse",
        max_length=8,
        blank=True,
    )
    cause = coded_field(
        choices.DeathCause,
        "Cause of death",
        verbose_name="cause of death",
        max_length=20,
        blank=True,
    )
    description = models.CharField(max_length=300, blank=True)

    natural_key = ("kind", "date")
    document_fields = ("kind", "date", "cd19", "cause", "description")
    # The one kind of event each of these fields is recorded with, and the refusal of it on
    # any other: the pages hide each field for the other kinds (static/js/relevance.js).
    recorded_only_with = {
        "cd19": (choices.EventKind.RELAPSE, "A CD19 status is recorded only with a relapse"),
        "cause": (choices.EventKind.DEATH, "A cause is recorded only with a death"),
        "description": (
            choices.EventKind.OTHER_THERAPY,
            "A description is recorded only with another therapy",
        ),
    }

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = "follow-up event"
        indexes = [models.Index(fields=["kind", "date"])]

    def __str__(self) -> str:
        return self.named(self.date_format)

    def named(self, date_format: str) -> str:
        """Its name, its date written in `date_format`."""
        return f"{self.get_kind_display()} on {date_text(self.date, date_format)}"

    def clean_fields_together(self) -> None:
        kind = choices.EventKind
        errors = {}
        if self.kind == kind.RELAPSE and not self.cd19:
            errors["cd19"] = "A relapse needs its CD19 status (positive, negative or unknown)"
        if self.kind == kind.DEATH and not self.cause:
            errors["cause"] = "A death needs its cause (use unknown when it is not known)"
        for name, (kind_recorded_with, refusal) in self.recorded_only_with.items():
            if getattr(self, name) and self.kind != kind_recorded_with:
                errors[name] = refusal
        if errors:
            raise ValidationError(errors)
