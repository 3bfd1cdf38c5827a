"""Where each key of a cohort document lives in the registry's models: a patient's keys
are the patient's document fields and the sections of registry.sections, each section's
keys its model's document fields."""

from django.db import models

from registry import models as registry
from registry.analytes import PERIPHERAL_BLOOD
from registry.sections import BY_KEY

FORMAT_NAME = "cart-cohort"
# What the exporter writes. The reader takes both versions: 1 as the number, "1.1" as text.
FORMAT_VERSION = "1.1"
VERSION_1 = 1

# The keys version 1.1 added, by where they sit in a patient ("" for the patient's own); a
# version 1 document that uses one is refused. CAPD scores, which version 1.1 names too,
# were read in version 1 documents before 1.1 was written and still are.
ADDED_IN_1_1 = {
    "": {"diagnosis_date", "prior_therapies_complete", "labs", "toxicity_treatments"},
    "car_t_counts": {"copies_per_ug_dna", "specimen"},
    "toxicities": {"icaht_grade", "iec_hs"},
}

DOCUMENT_KEYS = {"format", "version", "study", "patients"}
STUDY_KEYS = {"code", "title", "data_cutoff", "car_t_kinetics_specimen"}
# The study's settings a document may carry (version 1.1), each left out of it when it
# holds the model's default, and left as it is in a stored study by a document without it.
STUDY_SETTINGS = ("car_t_kinetics_specimen",)
PATIENT_KEYS = {"study_id", "site", *registry.Patient.document_fields, *BY_KEY}

# Keys the exporter leaves out when they hold their default, so that a document that left
# them out comes back the same.
DEFAULTS = {"specimen": PERIPHERAL_BLOOD, "below_detection": False, "capd_unable": False}
# Lists of version 1.1 the exporter leaves out when empty, as a version 1 document has them.
LEFT_OUT_WHEN_EMPTY = {"labs", "toxicity_treatments"}


def is_default(key: str, value: object) -> bool:
    default = DEFAULTS.get(key)
    return default is not None and type(value) is type(default) and value == default


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
