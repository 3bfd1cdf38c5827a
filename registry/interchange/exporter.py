"""Write a study as a cohort document; streamed patient by patient for large cohorts."""

import json
from collections.abc import Iterator
from datetime import date

from registry import models as registry
from registry.course import record_fields
from registry.interchange.schema import EXTENSION_KEYS, FORMAT_NAME, FORMAT_VERSION, SECTIONS

CHUNK = 500

ONE_TO_ONE = [key for key, (_model, is_list) in SECTIONS.items() if not is_list]
LISTS = [key for key, (_model, is_list) in SECTIONS.items() if is_list]


def patients_for_export(study: registry.Study):
    return (
        study.patients.select_related("site", *ONE_TO_ONE)
        .prefetch_related(*LISTS)
        .order_by("subject_id")
    )


def patient_document(patient: registry.Patient) -> dict:
    document = {"study_id": patient.subject_id, "site": patient.site.code}
    document |= _present(record_fields(patient))
    for key in SECTIONS:
        if key in LISTS:
            document[key] = [_present(record_fields(item)) for item in getattr(patient, key).all()]
        else:
            record = getattr(patient, key, None)
            if record is not None:
                document[key] = _present(record_fields(record))
    return document


def _present(fields: dict) -> dict:
    """Leave out what was left empty: blank text, unknowns, and unused extension keys."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in fields.items()
        if value is not None and value != "" and not (key in EXTENSION_KEYS and value is False)
    }


def study_header(study: registry.Study) -> dict:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "study": _present(
            {"code": study.code, "title": study.title, "data_cutoff": study.data_cutoff}
        ),
    }


def cohort_document(study: registry.Study) -> dict:
    return study_header(study) | {
        "patients": [patient_document(p) for p in patients_for_export(study)]
    }


def iter_cohort_json(study: registry.Study) -> Iterator[str]:
    """The document as JSON text in pieces, holding one chunk of patients at a time."""
    header = json.dumps(study_header(study), indent=2)
    yield header[:-2] + ',\n  "patients": ['
    separator = "\n"
    for patient in patients_for_export(study).iterator(chunk_size=CHUNK):
        yield separator + "    " + json.dumps(patient_document(patient))
        separator = ",\n"
    yield "\n  ]\n}\n"
