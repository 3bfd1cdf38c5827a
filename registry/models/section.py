"""What every section of a patient's course is: a record of one patient, versioned, with
its history, checked against the rest of that course."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from registry.choices import DateFormat
from registry.course import validate_in_course


class Section(models.Model):
    """A part of one patient's course, validated against the rest of that course."""

    # The section's keys in a cohort document; where the section sits in one, and whether
    # it is a list, is registry.sections'.
    document_fields: tuple[str, ...] = ()
    # The fields that tell a patient's records of a list section apart, by which a
    # re-import finds the stored record a document's record stands for
    # (registry.interchange.matching); () where nothing does.
    natural_key: tuple[str, ...] = ()

    # Raised by one on every save; a form or an API client that read an older version is
    # told someone else changed the record in the meantime.
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        """A section a patient has one record of is named after the patient ("Genetics of
        DEMO-001"), by its plural name, which is its name; a list section names each record."""
        return f"{capfirst(self._meta.verbose_name_plural)} of {self.patient}"

    @property
    def date_format(self) -> str:
        """The format its name and messages write its dates in: its study's
        (Study.date_format), ISO before it has a patient."""
        return self.patient.study.date_format if self.patient_id else DateFormat.ISO

    def clean_fields(self, exclude=None) -> None:
        # The fields refused on their own, which the course rules then leave alone: "Day
        # after infusion must be between 0 and 365" is not followed by the day being too late.
        self.refused_fields = set()
        try:
            super().clean_fields(exclude)
        except ValidationError as refused:
            self.refused_fields = set(refused.error_dict)
            raise

    def clean(self) -> None:
        if self.patient_id:
            self.patient.study.check_unlocked()
        self.clean_fields_together()
        if self.patient_id:
            try:
                validate_in_course(self)
            except ValidationError as problems:
                refused = getattr(self, "refused_fields", set())
                left = {k: v for k, v in problems.error_dict.items() if k not in refused}
                if left:
                    raise ValidationError(left) from None

    def clean_fields_together(self) -> None:
        """Rules between fields of this one record; none by default."""


def one_a_day(section: str, refusal: str) -> models.UniqueConstraint:
    """A patient has at most one record of `section` (its name in the constraint's,
    e.g. "daily_assessment") on a day after the infusion; a second is refused in the
    words of `refusal`."""
    return models.UniqueConstraint(
        fields=["patient", "day"], name=f"{section}_day_unique", violation_error_message=refusal
    )
