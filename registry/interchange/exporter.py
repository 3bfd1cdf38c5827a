"""Write a study as a cohort document; streamed patient by patient for large cohorts.

Every export can be of the data as recorded on a past day (`as_of`, see
registry.snapshots): the document a published analysis was made from; and, when asked, of
the courses as known at a clinical cut-off (`cutoff`, see registry.cutoff). Without either
it is lossless: everything recorded, as it stands.
"""

import json
from collections.abc import Collection, Iterator
from datetime import date

from registry import models as registry
from registry.course import record_fields
from registry.cutoff import courses_at_cutoff
from registry.interchange.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    LEFT_OUT_WHEN_EMPTY,
    STUDY_SETTINGS,
    is_default,
)
from registry.sections import SECTIONS
from registry.snapshots import courses, records


def patients_for_export(
    study: registry.Study,
    as_of: date | None = None,
    cutoff: date | None = None,
    ids: Collection[int] | None = None,
) -> Iterator:
    """The study's patients by study id, with their sites and sections loaded, a chunk at a
    time (registry.snapshots.courses); as they stood at the end of `as_of` if given, and as
    known at the clinical `cutoff` if given (registry.cutoff); only those of `ids` if given."""
    patients = records(registry.Patient, as_of).filter(study=study).order_by("subject_id")
    if ids is not None:
        patients = patients.filter(id__in=ids)
    return courses_at_cutoff(courses(patients, as_of), cutoff)


def patient_document(patient: registry.Patient) -> dict:
    document = {"study_id": patient.subject_id, "site": patient.site.code}
    document |= present_fields(record_fields(patient))
    for section in SECTIONS:
        key = section.key
        if section.many:
            items = [present_fields(record_fields(item)) for item in getattr(patient, key).all()]
            if items or key not in LEFT_OUT_WHEN_EMPTY:
                document[key] = items
        else:
            record = getattr(patient, key, None)
            if record is not None:
                document[key] = present_fields(record_fields(record))
    return document


def present_fields(fields: dict) -> dict:
    """Leave out what was left empty: blank text, unknowns, and defaults (schema.DEFAULTS)."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in fields.items()
        if value is not None and value != "" and not is_default(key, value)
    }


def study_header(study: registry.Study, as_of: date | None = None) -> dict:
    """The format and the study, its title and data cut-off as they stood at `as_of`."""
    if as_of is not None:
        study = records(registry.Study, as_of).filter(id=study.id).first() or study
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "study": present_fields(
            {"code": study.code, "title": study.title, "data_cutoff": study.data_cutoff}
        )
        | _settings(study),
    }


def _settings(study: registry.Study) -> dict:
    """The study's settings of the document, those that differ from the model's default."""
    return {
        key: getattr(study, key)
        for key in STUDY_SETTINGS
        if getattr(study, key) != registry.Study._meta.get_field(key).default
    }


def cohort_document(
    study: registry.Study, as_of: date | None = None, cutoff: date | None = None
) -> dict:
    return study_header(study, as_of) | {
        "patients": [patient_document(p) for p in patients_for_export(study, as_of, cutoff)]
    }


def iter_cohort_json(
    study: registry.Study, as_of: date | None = None, cutoff: date | None = None
) -> Iterator[str]:
    """The document as JSON text in pieces, holding one chunk of patients at a time."""
    header = json.dumps(study_header(study, as_of), indent=2)
    yield header[:-2] + ',\n  "patients": ['
    separator = "\n"
    for patient in patients_for_export(study, as_of, cutoff):
        yield separator + "    " + json.dumps(patient_document(patient))
        separator = ",\n"
    yield "\n  ]\n}\n"
