"""The patients a statistic is computed over: the study's, through the patient filters."""

from collections.abc import Collection, Mapping
from datetime import date

from django.db.models import QuerySet

from analytics.dataset.records import PATIENT_FIELDS, read_sections
from analytics.dataset.row_rules import age_years, first_infusion_date
from config.routers import use_replica
from registry import models
from registry.choices import EventKind, PriorTherapyKind
from registry.patient_filters import ALIVE, BY_NAME, DEAD, filter_patients, search_terms
from registry.snapshots import records


@use_replica()
def study_patients(
    study: models.Study,
    filters: Mapping[str, object] | None = None,
    search: str = "",
    scope: Collection[int] | None = None,
    as_of: date | None = None,
) -> QuerySet:
    """The study's patients that pass the patient filters (registry.patient_filters, their
    cleaned values by name) and the patient list's ?search= on the study id; only those of
    the sites in `scope` when given (the sites whose patients the user reads).

    With `as_of`, the patients as they stood at the end of that day (registry.snapshots),
    filtered by their data as it stood then.
    """
    patients = records(models.Patient, as_of).filter(study=study).order_by("subject_id")
    if scope is not None:
        patients = patients.filter(site__in=scope)
    filters, terms = filters or {}, search_terms(search)
    if not filters and not terms:
        return patients
    if as_of is not None:
        return patients.filter(id__in=_snapshot_matches(patients, filters, terms, as_of))
    chosen = filter_patients(patients, filters)
    for term in terms:
        chosen = chosen.filter(subject_id__icontains=term)
    # The filters' aliases (the age at the infusion) stay in the subquery; the dataset
    # reads plain patients.
    return patients.filter(pk__in=chosen.values("pk"))


def _snapshot_matches(
    patients: QuerySet, filters: Mapping[str, object], terms: list[str], as_of: date
) -> list[int]:
    """The ids of the snapshot's patients that pass the filters and every search term,
    where the database's filters cannot reach: each filter compares its column's value as
    it stood then (registry.patient_filters.PatientFilter.matches)."""
    sections = read_sections(patients.values("id"), (), as_of)
    matches = []
    for patient in patients.values(*PATIENT_FIELDS):
        facts = _snapshot_facts(
            patient, {name: found.get(patient["id"]) for name, found in sections.items()}
        )
        if all(
            BY_NAME[name].matches(facts[BY_NAME[name].column], value)
            for name, value in filters.items()
        ) and all(term.casefold() in patient["subject_id"].casefold() for term in terms):
            matches.append(patient["id"])
    return matches


def _snapshot_facts(patient: dict, sections: dict) -> dict:
    """The values of the filtered columns, by column (registry.patient_filters); the vital
    status as recorded, as the database's filter reads it."""
    infused = first_infusion_date(sections)
    priors = {kind for kind, _, _ in sections["prior_therapies"] or []}
    died = any(kind == EventKind.DEATH for kind, *_ in sections["events"] or [])
    return {
        "site": patient["site__code"],
        "sex": patient["sex"],
        "age_years": age_years(patient, infused),
        "prior_allo_hct": PriorTherapyKind.ALLO_HCT in priors,
        "prior_cd22_cart": PriorTherapyKind.CD22_CART in priors,
        "d30_response": sections["day_30"][0][0] if sections["day_30"] else None,
        "vital_status": DEAD if died else ALIVE,
        "infusion_date": infused,
    }
