"""Fields that several models declare for the same reason, written once."""

from django.conf import settings
from django.db import models

from registry.validators import PlausibleDate, coded


def acting_user(related_name: str, **options) -> models.ForeignKey:
    """The user who did something to a record: empty when the registry did it, or nobody
    has yet. A user who did cannot be deleted (PROTECT): the record keeps who it was."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        **options,
    )


def coded_field(vocabulary, what: str, *, max_length: int, **options) -> models.CharField:
    """A field that holds one code of `vocabulary` (a TextChoices, or (code, label) pairs):
    any other value is refused in words that name the field as `what`, e.g. "MRD"."""
    return models.CharField(
        max_length=max_length, choices=vocabulary, error_messages=coded(what), **options
    )


def clinical_date(what: str, *, optional: bool = False, **options) -> models.DateField:
    """A date of a patient's course or of a study, plausible (PlausibleDate) or refused
    in words that name it as `what`, e.g. "Date of relapse"; an `optional` one may be
    left empty."""
    return models.DateField(
        null=optional, blank=optional, validators=[PlausibleDate(what)], **options
    )
