from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.utils import timezone

from registry.models.fields import acting_user
from registry.models.patient import Patient
from registry.sections import place_title

# A question or an answer is a few sentences; a limit keeps a page of queries readable and
# a pasted document out of the database.
TEXT_MAX_LENGTH = 5000


def text_validators(what: str) -> list:
    too_long = (
        f"{what} has at most {TEXT_MAX_LENGTH:,} characters (it has %(show_value)d); "
        "refer to a document rather than pasting it"
    )
    return [MaxLengthValidator(TEXT_MAX_LENGTH, too_long), ProhibitNullCharactersValidator()]


# Why a query was closed when the registry closed it: its rule no longer finds the value.
CORRECTED = "corrected"


class DataQuery(models.Model):
    """A question about one value of a patient's record, answered by the site: asked by a
    monitor, or by the registry itself when one of its data-quality rules
    (registry.quality_rules) finds the value (`rule` names the rule; `raised_by` is empty).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered by the site"
        CLOSED = "closed", "Closed"
        # A monitor's word that an unusual value is right: the rule that found it does not
        # open the query again while the value stays as it is.
        CONFIRMED = "confirmed", "Confirmed as correct"

    # Awaiting someone: the site's answer or the monitor's decision.
    UNRESOLVED = (Status.OPEN, Status.ANSWERED)

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="data_queries")
    field = models.CharField(
        max_length=120, help_text="Where in the course, e.g. infusions[0].cells_per_kg"
    )
    question = models.TextField(validators=text_validators("The question"))
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.OPEN)
    rule = models.CharField(
        max_length=40,
        blank=True,
        help_text="The data-quality rule that opened the query; empty when a person did",
    )
    raised_by = acting_user(
        "raised_queries", help_text="Who opened the query; empty when the registry did"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True, validators=text_validators("The answer"))
    answered_by = acting_user("answered_queries")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = acting_user("closed_queries")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(
        max_length=40, blank=True, help_text="Why the registry closed it: corrected"
    )

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = "data query"
        verbose_name_plural = "data queries"
        indexes = [
            models.Index(fields=["patient", "status"]),
            # The registry's queries by rule (the list and the dashboard's counts).
            models.Index(fields=["rule", "status"], name="data_query_rule_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.field} ({self.get_status_display()})"

    @property
    def answerable(self) -> bool:
        """The site may answer it: only an open query is answered."""
        return self.status == self.Status.OPEN

    @property
    def unresolved(self) -> bool:
        """Awaiting the site's answer or the monitor's decision: it may be closed or
        confirmed."""
        return self.status in self.UNRESOLVED

    @property
    def field_name(self) -> str:
        """The place it is about, as a clinician calls it: "CAR-T infusions, record 1: dose
        (CAR-positive viable cells/kg)" for infusions[0].cells_per_kg."""
        return place_title(self.field)

    @property
    def age_days(self) -> int:
        """Whole days since the query was opened, up to now or to its closing."""
        return ((self.closed_at or timezone.now()) - self.raised_at).days

    @property
    def raiser(self) -> str:
        """Who opened the query, as the pages and the API name them."""
        return "the registry" if self.rule else str(self.raised_by)

    @property
    def closer(self) -> str | None:
        """Who closed or confirmed the query; None while it is not."""
        if self.closed_at is None:
            return None
        return "the registry" if self.closed_by_id is None else str(self.closed_by)
