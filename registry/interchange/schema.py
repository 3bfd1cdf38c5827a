"""Where each key of a cohort document lives in the registry's models: a patient's keys
are the patient's document fields and the sections of registry.sections, each section's
keys its model's document fields."""

from django.db import models

from registry import models as registry
from registry.sections import BY_KEY

FORMAT_NAME = "cart-cohort"
FORMAT_VERSION = 1

DOCUMENT_KEYS = {"format", "version", "study", "patients"}
STUDY_KEYS = {"code", "title", "data_cutoff"}
PATIENT_KEYS = {"study_id", "site", *registry.Patient.document_fields, *BY_KEY}

# Keys the registry writes only when they hold something: its extensions to version 1.
EXTENSION_KEYS = {"capd_score", "capd_unable"}


def json_type(field: models.Field) -> tuple[tuple[type, ...], str]:
    """The JSON types a field accepts, and how to say so to a person."""
    if isinstance(field, models.DateField):
        return (str,), "a date (YYYY-MM-DD)"
    if isinstance(field, models.BooleanField):
        return (bool,), "true or false"
    if isinstance(field, models.IntegerField):
        return (int,), "a whole number"
    if isinstance(field, models.FloatField):
        return (int, float), "a number"
    if isinstance(field, models.JSONField):
        return (list,), "a list"
    return (str,), "text"
