"""Rows computed from the records: the study's, and the grades and kinetics recounted up to
a clinical cut-off (analytics.cutoff)."""

from collections.abc import Collection, Mapping
from datetime import date, timedelta

from django.db.models import QuerySet

from analytics.dataset.columns import LABS, PARTS
from analytics.dataset.records import PART_SECTIONS, PATIENT_FIELDS, read_sections
from analytics.dataset.row_rules import (
    NOT_RECORDED,
    age_years,
    first_infusion_date,
    part_values,
    patient_row,
)
from config.routers import use_replica


def computed_rows(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> dict[int, dict]:
    """Each patient's row computed from its records, by patient id, in the queryset's order."""
    sections = read_sections(patients.values("id"), parts, as_of)
    return {
        patient["id"]: patient_row(
            patient, {name: found.get(patient["id"]) for name, found in sections.items()}, parts
        )
        for patient in patients.values(*PATIENT_FIELDS)
    }


@use_replica()
def parts_up_to(
    patients: QuerySet,
    recounted: Mapping[str, tuple[int, Collection[str]]],
    as_of: date | None = None,
) -> dict[str, dict]:
    """By study id, the columns of the patients in `recounted`, each given with the last
    day to count to (days from the first infusion) and its parts (PART_COLUMNS) to count:
    those parts computed from its records up to that day, its grades, kinetics and lab
    columns as known at a clinical cut-off (analytics.cutoff). The lab columns also read the
    events up to that day, which censor them, and take the patient as followed no further.
    `patients` holds them: the study's, from study_patients with the same `as_of`."""
    # Read once, and their records by their ids: not by a subquery naming every study id
    # again in each section's query, which the database would evaluate once for each.
    chosen = list(patients.filter(subject_id__in=list(recounted)).values(*PATIENT_FIELDS))
    parts = {part for _, its_parts in recounted.values() for part in its_parts}
    labs = not set(LABS).isdisjoint(parts)
    names = ("toxicities", "infusions", *(("events",) if labs else ()))
    sections = read_sections([patient["id"] for patient in chosen], parts, as_of, names)
    found = {}
    for patient in chosen:
        mine = {name: by_patient.get(patient["id"]) for name, by_patient in sections.items()}
        day, its_parts = recounted[patient["subject_id"]]
        for name in {PART_SECTIONS[part] for part in its_parts}:
            mine[name] = [record for record in mine[name] or [] if record[0] <= day]
        infused = first_infusion_date(mine)
        if labs and infused is not None:
            cutoff = infused + timedelta(days=day)
            mine["events"] = [event for event in mine["events"] or [] if event[1] <= cutoff]
            followed = min(filter(None, [patient["last_contact_date"], cutoff]))
            patient = {**patient, "last_contact_date": followed}
        recorded = mine["toxicities"] or NOT_RECORDED
        age = age_years(patient, infused)
        found[patient["subject_id"]] = part_values(patient, mine, recorded, age, its_parts)
    return found
