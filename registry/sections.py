"""The sections of a patient's course: the one table that the course rules, the cohort
format, the API, the pages, the snapshots, the exports and the analysis dataset read.

Each section is a key of a patient in a cohort document, which is also the section's path
in a course (registry.course) and the patient's related name for its records; the model
that stores it; and whether a patient has a list of its records or at most one. The
section's fields are its model's `document_fields`, written once, on the model.

The table names each model rather than importing it: the models validate a record
against its patient's course (`Section.clean`, registry.course), which reads this table,
so the table must be importable before the models are. A model is looked up when a
section's `model` is first read, once Django has loaded the models.

Adding a section, as the lab values of cohort format 1.1 were added:

1. its model in registry/models/ (labs.py holds those of format 1.1): a `Section` whose
   `patient` field has the section's key as its related name, with its
   `document_fields` (and `natural_key` for a list), and a migration;
2. one entry here, at the place the section takes in a cohort document:
   ``CourseSection("labs", "LabResult", "Laboratory values", many=True, by_day=True)``;
3. its nested field on PatientSerializer (registry/api/serializers/patients.py; its
   serializer is made from this table, with its coded fields' codes from FIELD_CODES
   below, unless it needs fields of its own: OWN_SERIALIZERS) and its description in the
   API's DESCRIPTIONS (registry/api/views/sections.py), which give it its addresses; its form
   (registry/web/forms.py: `section_form`, unless it needs fields of its own), its place
   on the patient page (registry/web/sections.py) and the template of its card (a list
   extends web/sections/record_table.html);
4. its phase of the course in the ODM export (`PHASES` in
   registry/interchange/odm/metadata.py).

The cohort import and export, the course rules, the snapshots, the flat exports, the
history, the admin's inlines on the patient page and the signals that keep each patient's
derived columns and the analytics' rows current then take it in from this table.
"""

import functools
import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from registry.analytes import ANALYTES, SPECIMENS, TOXICITY_TREATMENTS


@dataclass(frozen=True)
class CourseSection:
    key: str
    model_name: str
    # What the patient page, the casebook and their messages call the section.
    title: str
    many: bool
    # Whether each record carries its day after the first infusion (`day`).
    by_day: bool = False

    @property
    def model(self) -> type[Model]:
        return apps.get_model("registry", self.model_name)

    @property
    def fields(self) -> tuple[str, ...]:
        """The section's keys in a cohort document, which are its model's field names."""
        return self.model.document_fields

    @property
    def record_names(self) -> tuple[str, str]:
        """What a clinician calls one record of the section and several: its model's verbose
        names, as "daily assessment" and "daily assessments"."""
        meta = self.model._meta
        return str(meta.verbose_name), str(meta.verbose_name_plural)


# In the order of a patient's keys in a cohort document.
SECTIONS: tuple[CourseSection, ...] = (
    CourseSection("eligibility", "Eligibility", "Eligibility", many=False),
    CourseSection("genetics", "Genetics", "Genetics", many=False),
    CourseSection("prior_therapies", "PriorTherapy", "Prior therapies", many=True),
    CourseSection("lymphodepletion", "Lymphodepletion", "Lymphodepletion", many=False),
    CourseSection("infusions", "Infusion", "CAR-T infusions", many=True),
    CourseSection("car_t_counts", "CarTCount", "CAR-T cell counts", many=True, by_day=True),
    CourseSection("labs", "LabResult", "Laboratory values", many=True, by_day=True),
    CourseSection("toxicities", "ToxicityRecord", "Recorded toxicities", many=False),
    CourseSection(
        "toxicity_treatments", "ToxicityTreatment", "Toxicity treatments", many=True, by_day=True
    ),
    CourseSection(
        "daily_assessments",
        "DailyAssessment",
        "Daily CRS and ICANS assessments",
        many=True,
        by_day=True,
    ),
    CourseSection(
        "response_assessments", "ResponseAssessment", "Response assessments", many=True, by_day=True
    ),
    CourseSection("events", "FollowUpEvent", "Follow-up events", many=True),
)
BY_KEY: dict[str, CourseSection] = {section.key: section for section in SECTIONS}
ONE_TO_ONE_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS if not s.many)
LIST_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS if s.many)
DAY_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS if s.by_day)

_BY_MODEL_NAME = {section.model_name: section for section in SECTIONS}
# The patient's own fields, beside the sections: a casebook's, a required field's key.
PATIENT, PATIENT_TITLE = "patient", "Patient"

# The coded text fields whose codes are a vocabulary of their own rather than their model
# field's choices, by field name, each code with what it means: the API's serializers
# (listed in the OpenAPI schema), the ODM code lists and the data query form read them here.
FIELD_CODES: dict[str, dict[str, str]] = {
    "analyte": {code: analyte.label for code, analyte in ANALYTES.items()},
    "specimen": SPECIMENS,
    "treatment": TOXICITY_TREATMENTS,
    # Every unit of any analyte, each once: which of them an analyte takes the model checks.
    "unit": {unit: unit for analyte in ANALYTES.values() for unit in analyte.units},
}


def section_title(key: str) -> str:
    """The title of the section `key`, or of the patient's own fields ("patient")."""
    return PATIENT_TITLE if key == PATIENT else BY_KEY[key].title


# A place in a patient's course, as a data query names it: a field of the patient
# ("last_contact_date"), of a section it has one record of ("eligibility.ecog"), of a
# record of a list ("infusions[0].cells_per_kg"), or a section ("daily_assessments").
PLACE = re.compile(r"^(?P<section>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<name>[a-z_0-9]+))?$")


def place_title(place: str) -> str:
    """What a clinician calls a place in the course: "CAR-T infusions, record 1: dose
    (CAR-positive viable cells/kg)", "Patient: date of last contact"; the place as written
    where it names none."""
    match = PLACE.match(place)
    if match is None:
        return place
    key, index, name = match.group("section", "index", "name")
    if key in BY_KEY:
        model, title = BY_KEY[key].model, section_title(key)
    elif index is None and name is None:  # a field of the patient's own
        model, title, name = apps.get_model("registry", "Patient"), PATIENT_TITLE, key
    else:
        return place
    if index is not None:
        title += f", record {int(index) + 1}"
    if name is None:
        return title
    try:
        return f"{title}: {model._meta.get_field(name).verbose_name}"
    except FieldDoesNotExist:
        return place


def section_of(model: type[Model]) -> CourseSection | None:
    """The section a model stores; None for the patient's own model."""
    section = _BY_MODEL_NAME.get(model._meta.object_name)
    return section if section is not None and section.model is model else None


@functools.cache
def course_models() -> tuple[type[Model], ...]:
    """Every table a patient's data is stored in: the patient's own and each section's.
    Kept once the models are loaded: a request reads the data version of each of them."""
    return (apps.get_model("registry", "Patient"), *(section.model for section in SECTIONS))


def fields_by_section() -> dict[str, tuple[str, ...]]:
    """Each section's fields in a cohort document, the patient's own under "patient": the
    places a study's required fields name."""
    patient = apps.get_model("registry", "Patient")
    return {"patient": patient.document_fields, **{s.key: s.fields for s in SECTIONS}}
