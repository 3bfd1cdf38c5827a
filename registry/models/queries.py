from django.conf import settings
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models

from registry.models.patient import Patient

# A question or an answer is a few sentences; a limit keeps a page of queries readable and
# a pasted document out of the database.
TEXT_MAX_LENGTH = 5000


def text_validators(what: str) -> list:
    too_long = (
        f"{what} has at most {TEXT_MAX_LENGTH:,} characters (it has %(show_value)d); "
        "refer to a document rather than pasting it"
    )
    return [MaxLengthValidator(TEXT_MAX_LENGTH, too_long), ProhibitNullCharactersValidator()]


class DataQuery(models.Model):
    """A monitor's question about one value of a patient's record, answered by the site."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered by the site"
        CLOSED = "closed", "Closed"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="data_queries")
    field = models.CharField(
        max_length=120, help_text="Where in the course, e.g. infusions[0].cells_per_kg"
    )
    question = models.TextField(validators=text_validators("The question"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_queries"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True, validators=text_validators("The answer"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_queries",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_queries",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = "data query"
        verbose_name_plural = "data queries"
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.patient}: {self.field} ({self.get_status_display()})"
