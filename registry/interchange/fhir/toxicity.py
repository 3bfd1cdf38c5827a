"""The toxicity of a course after the infusion as FHIR resources: each day's CRS and ICANS
findings, and each dated treatment of a toxicity.

A day's assessment is two Observations, CRS and ICANS: the findings each grade is read
from are its components (registry.grading.CRS_FINDINGS, ICANS_FINDINGS), and its value is
the day's ASTCT grade as registry.grading computes it from them. The site's own maximum
grades are the AdverseEvents (resources._adverse_events).
"""

from collections.abc import Iterator
from functools import cache, lru_cache

import orjson

from registry import grading
from registry import models as registry
from registry.analytes import TOXICITY_TREATMENTS
from registry.grading import Grade
from registry.interchange.fhir import codes
from registry.interchange.fhir.course import (
    COMPLETED,
    MEASUREMENTS,
    Course,
    component,
    observation,
)

# A treatment given by a machine rather than as a drug: a Procedure, not an administration.
PROCEDURE_TREATMENTS = {"plasmapheresis"}


def daily_assessments(patient: registry.Patient, course: Course) -> Iterator[dict]:
    """Each day's CRS and ICANS Observations; ICANS is graded by the age at the first
    infusion (ICE from 12 years, CAPD under), as the registry grades it everywhere."""
    age = patient.age_years
    for record in patient.daily_assessments.all():
        crs = tuple(getattr(record, name) for name in grading.CRS_FINDINGS)
        yield _graded_day(record, "crs", _crs_day(crs), course)
        icans = tuple(getattr(record, name) for name in grading.ICANS_FINDINGS)
        yield _graded_day(record, "icans", _icans_day(age, icans), course)


def _graded_day(
    record: registry.DailyAssessment, toxicity: str, graded: dict, course: Course
) -> dict:
    code = f"{toxicity}-day"
    day = observation(course, f"{code}/{record.pk}", "exam", MEASUREMENTS[code], record.day)
    day.update(graded)
    return day


# Most days repeat a few sets of findings: each set is graded, and its part of the
# observation written as JSON, once (nothing changes a part once it is made). Bounded, as
# temperatures make the sets of a large study many.
@lru_cache(maxsize=4096)
def _crs_day(findings: tuple) -> dict:
    grade = grading.crs_grade(**dict(zip(grading.CRS_FINDINGS, findings, strict=True)))
    return _graded(grade, grading.CRS_FINDINGS, findings)


@lru_cache(maxsize=4096)
def _icans_day(age_years: int | None, findings: tuple) -> dict:
    values = dict(zip(grading.ICANS_FINDINGS, findings, strict=True))
    return _graded(
        grading.icans_grade(age_years=age_years, **values), grading.ICANS_FINDINGS, findings
    )


def _graded(grade: Grade, names: tuple[str, ...], findings: tuple) -> dict:
    """The day's ASTCT grade as the value, its reason as a note, and each finding recorded
    as a component (a finding left empty, no temperature, ICE or CAPD taken, is none)."""
    parts = [
        component(registry.DailyAssessment, name, value)
        for name, value in zip(names, findings, strict=True)
        if value is not None
    ]
    return {
        "valueInteger": grade.grade,
        "note": [{"text": grade.reason}],
        "component": orjson.Fragment(orjson.dumps(parts)),
    }


def toxicity_treatments(patient: registry.Patient, course: Course) -> Iterator[dict]:
    for record in patient.toxicity_treatments.all():
        yield _treatment(record, course)


@cache
def _treatment_coding(treatment: str) -> list[dict]:
    system = codes.registry_system("toxicity-treatment")
    return [{"system": system, "code": treatment, "display": TOXICITY_TREATMENTS[treatment]}]


def _treatment(record: registry.ToxicityTreatment, course: Course) -> dict:
    """A drug given on a day after the infusion as a MedicationAdministration with its dose
    in mg, plasmapheresis as a Procedure. Without an infusion the day has no date, which an
    administration must have: the drug is then a MedicationStatement saying the day."""
    given = {"coding": _treatment_coding(record.treatment), "text": record.treatment_name}
    when = course.date_of_day(record.day)
    key = f"toxicity-treatment/{record.pk}"
    if record.treatment in PROCEDURE_TREATMENTS:
        procedure = {
            "resourceType": "Procedure",
            "id": course.naming.id("Procedure", key),
            "status": COMPLETED,
            "code": given,
            "subject": course.subject,
        }
        if when is not None:
            procedure["performedDateTime"] = when
        return procedure
    dose = None if record.dose_mg is None else codes.quantity(record.dose_mg, "mg", "mg")
    if when is not None:
        administration = {
            "resourceType": "MedicationAdministration",
            "id": course.naming.id("MedicationAdministration", key),
            "status": COMPLETED,
            "medicationCodeableConcept": given,
            "subject": course.subject,
            "effectiveDateTime": when,
        }
        if dose is not None:
            administration["dosage"] = {"dose": dose}
        return administration
    statement = {
        "resourceType": "MedicationStatement",
        "id": course.naming.id("MedicationStatement", key),
        "status": COMPLETED,
        "medicationCodeableConcept": given,
        "subject": course.subject,
        "note": [{"text": f"Day {record.day} after an infusion that is not recorded"}],
    }
    if dose is not None:
        statement["dosage"] = [{"doseAndRate": [{"doseQuantity": dose}]}]
    return statement
