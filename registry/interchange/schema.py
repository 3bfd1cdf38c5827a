"""Where each key of a cohort document lives in the registry's models."""

from django.db import models

from registry import models as registry

FORMAT_NAME = "cart-cohort"
FORMAT_VERSION = 1

DOCUMENT_KEYS = {"format", "version", "study", "patients"}
STUDY_KEYS = {"code", "title", "data_cutoff"}
PATIENT_KEYS = {"study_id", "site", *registry.Patient.document_fields}

# Section key in a patient → (model, whether the section is a list).
SECTIONS: dict[str, tuple[type[models.Model], bool]] = {
    "eligibility": (registry.Eligibility, False),
    "genetics": (registry.Genetics, False),
    "prior_therapies": (registry.PriorTherapy, True),
    "lymphodepletion": (registry.Lymphodepletion, False),
    "infusions": (registry.Infusion, True),
    "car_t_counts": (registry.CarTCount, True),
    "toxicities": (registry.ToxicityRecord, False),
    "daily_assessments": (registry.DailyAssessment, True),
    "response_assessments": (registry.ResponseAssessment, True),
    "events": (registry.FollowUpEvent, True),
}
# Every table a patient's data is stored in: the patient's own and each section's.
COURSE_MODELS: tuple[type[models.Model], ...] = (
    registry.Patient,
    *(model for model, _is_list in SECTIONS.values()),
)

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
