"""A patient's casebook: the status of each section (registry.required_fields gives the
rules) and the investigator's signatures. Derived data besides the signatures and the
monitors' checks: registry.casebook keeps the status current in the writing transaction."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from registry.models.fields import acting_user
from registry.models.patient import Patient
from registry.models.study import Site, Study
from registry.required_fields import COMPLETE, INCOMPLETE, SIGNATURE_MEANING, STATUSES


class SectionStatus(models.Model):
    """The status of one section of a patient's course, with its missing required fields."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="section_statuses")
    # The patient's, here so that a site's figures are read off one index.
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", db_index=False)
    section = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=STATUSES, default=COMPLETE)
    required = models.PositiveSmallIntegerField(default=0)
    missing = models.JSONField(default=list, blank=True)
    missing_count = models.PositiveSmallIntegerField(default=0)
    verified_by = acting_user("+")
    verified_at = models.DateTimeField(null=True, blank=True)
    # A row of history when the status moves (verified, signed, set back by a change),
    # with the reason; the counts move with every write and are not kept.
    history = HistoricalRecords(excluded_fields=["required", "missing", "missing_count"])

    class Meta:
        ordering = ["patient", "section"]
        verbose_name_plural = "section statuses"
        constraints = [
            models.UniqueConstraint(fields=["patient", "section"], name="section_status_unique")
        ]
        indexes = [
            # The study's figures by section and site: each section's required fields and
            # those missing, read off this index alone.
            models.Index(
                fields=["study", "site", "section", "required", "missing_count"],
                name="section_status_figures_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.section} of patient {self.patient_id}: {self.status}"

    @property
    def is_incomplete(self) -> bool:
        return self.status == INCOMPLETE


class CasebookSignature(models.Model):
    """An investigator's signature of a patient's casebook; a later change voids it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="signatures")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=200, default=SIGNATURE_MEANING)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(voided_at__isnull=True),
                name="casebook_one_standing_signature",
                violation_error_message="This casebook is already signed",
            )
        ]

    def __str__(self) -> str:
        return f"Signature of patient {self.patient_id} by {self.signed_by}"

    @property
    def stands(self) -> bool:
        return self.voided_at is None
