"""A study as FHIR R4: one Bundle of type collection, or NDJSON (one resource a line, as
FHIR Bulk Data writes), streamed patient by patient; one patient as a Bundle.

The patients are those of the cohort document (registry.interchange.exporter): the same
patients and values, `as_of` and `cutoff` alike.
"""

from collections.abc import Iterable, Iterator
from datetime import date

import orjson
from django.utils import timezone

from registry import models as registry
from registry.interchange.exporter import patients_for_export, study_header
from registry.interchange.fhir.course import Naming
from registry.interchange.fhir.resources import patient_resources, research_study

IN_BUNDLE, ONE_A_LINE = Naming(in_bundle=True), Naming(in_bundle=False)


def _study_resource(study: registry.Study, as_of: date | None, naming: Naming) -> dict:
    return research_study(study, study_header(study, as_of)["study"], naming)


def _bundle_start() -> bytes:
    opening = {"resourceType": "Bundle", "type": "collection", "timestamp": _now()}
    return orjson.dumps(opening)[:-1] + b',"entry":['


def _entries(resources: Iterable[dict]) -> bytes:
    return b",".join(
        orjson.dumps({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
        for resource in resources
    )


def iter_bundle_json(
    study: registry.Study, as_of: date | None = None, cutoff: date | None = None
) -> Iterator[bytes]:
    """The study as one Bundle, JSON in pieces: the ResearchStudy, then each patient's
    resources, holding one chunk of patients at a time."""
    study_resource = _study_resource(study, as_of, IN_BUNDLE)
    yield _bundle_start() + _entries([study_resource])
    for patient in _patients(study, as_of, cutoff):
        yield b"," + _entries(patient_resources(patient, study_resource, IN_BUNDLE))
    yield b"]}\n"


def iter_ndjson(
    study: registry.Study, as_of: date | None = None, cutoff: date | None = None
) -> Iterator[bytes]:
    """The study as NDJSON: the ResearchStudy, then each patient's resources."""
    study_resource = _study_resource(study, as_of, ONE_A_LINE)
    yield orjson.dumps(study_resource) + b"\n"
    for patient in _patients(study, as_of, cutoff):
        resources = patient_resources(patient, study_resource, ONE_A_LINE)
        yield b"".join(orjson.dumps(resource) + b"\n" for resource in resources)


def patient_bundle(
    patient: registry.Patient, as_of: date | None = None, cutoff: date | None = None
) -> bytes | None:
    """The patient's resources and the study's as one Bundle; None when the patient was
    not there at `as_of` or the `cutoff` leaves the patient out."""
    study = patient.study
    found = next(_patients(study, as_of, cutoff, ids=[patient.pk]), None)
    if found is None:
        return None
    study_resource = _study_resource(study, as_of, IN_BUNDLE)
    resources = [study_resource, *patient_resources(found, study_resource, IN_BUNDLE)]
    return _bundle_start() + _entries(resources) + b"]}\n"


def _patients(
    study: registry.Study, as_of: date | None, cutoff: date | None, ids: list[int] | None = None
) -> Iterator[registry.Patient]:
    """The patients of the cohort document, each with its study: the eligibility verdict
    reads the study's criteria (registry.models.Eligibility.verdict)."""
    study_of_patient = registry.Patient._meta.get_field("study")
    for patient in patients_for_export(study, as_of, cutoff, ids):
        study_of_patient.set_cached_value(patient, study)
        yield patient


def _now() -> str:
    return timezone.localtime().isoformat(timespec="seconds")
