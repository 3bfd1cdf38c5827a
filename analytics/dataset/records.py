"""Reading the records a row is computed from: ``values_list`` queries, one per table
whatever the cohort size, without building model instances. With ``as_of``, the same
queries read the audit trail (registry.snapshots)."""

from collections import defaultdict
from collections.abc import Collection
from datetime import date

import numpy as np
import pandas as pd
from django.db.models import Case, Model, Q, QuerySet, Value, When

from analytics.dataset.arrays import numeric_rows
from analytics.dataset.columns import (
    B_CELL_APLASIA,
    EARLY_ICAHT,
    GRADES,
    KINETICS,
    LABS,
    LATE_ICAHT,
    PEAK_ANALYTES,
    PEAKS,
)
from config.routers import use_replica
from registry import models
from registry.analytes import ANALYTES
from registry.biomarkers import PEAK_LAST_DAY
from registry.choices import PriorTherapyKind
from registry.icaht import EARLY_LAST_DAY, LATE_LAST_DAY
from registry.models.patient import DAY_30_WINDOW
from registry.snapshots import records

PRIOR_KINDS = (
    PriorTherapyKind.MURINE_CD19_CART,
    PriorTherapyKind.CD22_CART,
    PriorTherapyKind.ALLO_HCT,
)
CRS_FIELDS = models.DailyAssessment.crs_findings
ICANS_FIELDS = models.DailyAssessment.icans_findings
# The site's toxicity record as the dataset reads it: the format's fields but the IEC-HS
# flag, which no column of the dataset holds.
TOXICITY_FIELDS = tuple(name for name in models.ToxicityRecord.document_fields if name != "iec_hs")
# The section each part is computed from; its records are counted in days from the first
# infusion, and start with their day (see read_sections).
PART_SECTIONS = {
    GRADES: "daily_assessments",
    KINETICS: "car_t_counts",
    **dict.fromkeys(LABS, "lab_results"),
}
# The CAR-T counts are read in every specimen, each with its specimen, and those of the
# study's kinetics specimen kept for each patient (a count in another specimen is another
# series): not chosen by a join to the study, which a count as recorded on a past day
# (as_of) of a patient deleted since would not find.
KINETICS_SPECIMEN = "study__car_t_kinetics_specimen"
# The analytes each lab part is computed from, and the last day of their values its rule
# reads (None: every day): ANC for ICAHT (days 0-30 early, 31-100 late: registry.icaht),
# B cells for the aplasia (the whole series), the cytokine and inflammation peaks (the
# baseline and days 0-30: registry.biomarkers.peak). Other analytes, and later values,
# change no column and are not read: monthly blood counts for years after day 100 are
# most of a cohort's values.
PART_ANALYTES = {
    EARLY_ICAHT: (("anc",), EARLY_LAST_DAY),
    LATE_ICAHT: (("anc",), LATE_LAST_DAY),
    B_CELL_APLASIA: (("b_cells_pct",), None),
    PEAKS: (tuple(PEAK_ANALYTES), PEAK_LAST_DAY),
}


def lab_values_read(parts: Collection[str]) -> Q:
    """The lab values the lab parts among `parts` read: each analyte they read, up to the
    latest day any of them reads it."""
    last_days: dict[str, int | None] = {}
    for part in LABS:
        if part in parts:
            codes, last_day = PART_ANALYTES[part]
            for code in codes:
                known = last_days.get(code, last_day)
                last_days[code] = None if None in (known, last_day) else max(known, last_day)
    read = Q(pk__in=[])
    for last_day in dict.fromkeys(last_days.values()):
        codes = [code for code, its_last_day in last_days.items() if its_last_day == last_day]
        read |= (
            Q(analyte__in=codes) if last_day is None else Q(analyte__in=codes, day__lte=last_day)
        )
    return read


PATIENT_FIELDS = (
    "id",
    "subject_id",
    "site__code",
    "sex",
    "birth_date",
    "enrollment_date",
    "last_contact_date",
    # The study's B-cell aplasia setting, which the lab columns read.
    "study__b_cell_aplasia_threshold_pct",
    "study__b_cell_aplasia_specimen",
    # And its CAR-T kinetics specimen.
    KINETICS_SPECIMEN,
)


# The sections every row is computed from, besides those of its parts (PART_SECTIONS).
ROW_SECTIONS = (
    "eligibility",
    "genetics",
    "toxicities",
    "prior_therapies",
    "infusions",
    "day_30",
    "events",
)


# The table each section of read_sections is read from.
SECTION_MODELS = {
    "eligibility": models.Eligibility,
    "genetics": models.Genetics,
    "toxicities": models.ToxicityRecord,
    "prior_therapies": models.PriorTherapy,
    "infusions": models.Infusion,
    "day_30": models.ResponseAssessment,
    "events": models.FollowUpEvent,
    "daily_assessments": models.DailyAssessment,
    "car_t_counts": models.CarTCount,
    "lab_results": models.LabResult,
}


def tables_read(parts: Collection[str]) -> set[type[Model]]:
    """The tables of the sections that rows with these parts are computed from: what a
    result over them is filed under (analytics.caching), besides the patients' own rows
    and their study's setup, which every row reads."""
    names = [*ROW_SECTIONS, *(PART_SECTIONS[part] for part in parts)]
    return {SECTION_MODELS[name] for name in names}


def read_sections(
    patient_ids: QuerySet | list[int],
    parts: Collection[str],
    as_of: date | None = None,
    names: Collection[str] = ROW_SECTIONS,
) -> dict[str, dict[int, object]]:
    """Each section's values by patient id: a tuple for one-to-one sections, else a list.
    The sections named, and those of `parts`."""
    mine = {"patient_id__in": patient_ids}

    def one(model, *fields: str) -> dict[int, tuple]:
        rows = records(model, as_of).filter(**mine).values_list("patient_id", *fields)
        return {row[0]: row[1:] for row in rows}

    def many(model, *fields: str, where: Q | None = None, order: str = "") -> dict:
        # Unordered unless asked: sorting a hundred thousand rows the models' default way
        # costs the database more than the rows cost to send.
        orders = ("patient_id", order, "id") if order else ()
        rows = (
            records(model, as_of)
            .filter(where or Q(), **mine)
            .values_list("patient_id", *fields)
            .order_by(*orders)
        )
        found = defaultdict(list)
        for row in rows:
            found[row[0]].append(row[1:])
        return found

    readers = {
        "eligibility": lambda model: one(model, "bm_blast_pct", "extramedullary_sites"),
        "genetics": lambda model: one(model, "bcr_abl1", "ph_like", "tp53_mutation"),
        "toxicities": lambda model: one(model, *TOXICITY_FIELDS),
        "prior_therapies": lambda model: many(
            model, "kind", "date", "best_response", where=Q(kind__in=PRIOR_KINDS)
        ),
        "infusions": lambda model: many(model, "date", "cells_per_kg", "product", order="date"),
        "day_30": lambda model: many(
            model, "status", "mrd", "day", where=Q(day__range=DAY_30_WINDOW), order="day"
        ),
        "events": lambda model: many(model, "kind", "date", "cd19", "cause", order="date"),
        "daily_assessments": lambda model: many(model, "day", *CRS_FIELDS, *ICANS_FIELDS),
        # Both series, by flow cytometry and by qPCR, with their specimen: the kinetics of
        # each in the study's kinetics specimen (row_rules).
        "car_t_counts": lambda model: many(
            model, "day", "cells_per_ul", "copies_per_ug_dna", "specimen"
        ),
        "lab_results": lambda model: many(
            model,
            "day",
            "analyte",
            "value",
            "unit",
            "specimen",
            "below_detection",
            where=lab_values_read(parts),
        ),
    }
    # Once each: the lab parts share one section.
    read = dict.fromkeys([*names, *(PART_SECTIONS[part] for part in parts)])
    return {name: readers[name](SECTION_MODELS[name]) for name in read}


@use_replica()
def car_t_counts(
    patients: QuerySet, as_of: date | None = None
) -> dict[str, list[tuple[int, float]]]:
    """Each patient's CAR-T counts in the study's kinetics specimen (blood unless it says
    otherwise) as (day, cells/µL) in day order, by study id: the points of the expansion
    curves, which the rows only summarise."""
    chosen = patients.values_list("id", "subject_id", KINETICS_SPECIMEN)
    study_ids = {pk: study_id for pk, study_id, _ in chosen}
    specimens = {pk: specimen for pk, _, specimen in chosen}
    # By flow cytometry: a qPCR measurement is another series.
    rows = (
        records(models.CarTCount, as_of)
        .filter(patient_id__in=patients.values("id"), cells_per_ul__isnull=False)
        .values_list("patient_id", "day", "cells_per_ul", "specimen")
        .order_by("patient_id", "day")
    )
    found = defaultdict(list)
    for patient_id, day, cells_per_ul, specimen in rows:
        if specimen == specimens[patient_id]:
            found[study_ids[patient_id]].append((day, cells_per_ul))
    return dict(found)


# A lab value as lab_values reads it: its unit as its place among the analyte's units
# (-1: another unit), a number per value rather than a string made for each.
LAB_VALUE = np.dtype(
    [
        ("patient_id", np.int64),
        ("day", np.int32),
        ("value", np.float64),
        ("unit", np.int16),
        ("below_detection", np.bool_),
    ]
)


@use_replica()
def lab_values(
    study_ids: pd.Series, *, analyte: str, specimen: str, as_of: date | None = None
) -> pd.DataFrame:
    """The values of one analyte in one specimen of the patients `study_ids` names (study
    ids by patient id, as a study's data frame holds them), as recorded, one row a value in
    no order: study_id, day, value, unit and below_detection, the study id and the unit
    categorical (a unit not among the analyte's missing). One query, whatever the number of
    patients, read into arrays at once (analytics.dataset.arrays)."""
    rows = lab_rows(id_range(study_ids.index), analyte, specimen, as_of)
    return named_lab_values(rows, study_ids, analyte)


def id_range(patient_ids: pd.Index) -> range:
    """The patient ids from the least of `patient_ids` to the greatest."""
    return range(patient_ids.min(), patient_ids.max() + 1) if len(patient_ids) else range(0)


@use_replica()
def lab_rows(
    patient_ids: range | Collection[int], analyte: str, specimen: str, as_of: date | None = None
) -> np.ndarray:
    """The LAB_VALUE rows of one analyte in one specimen of the patients whose ids lie in
    the range `patient_ids` (or of those listed), in no order."""
    return numeric_rows(lab_values_query(patient_ids, analyte, specimen, as_of), LAB_VALUE)


def named_lab_values(rows: np.ndarray, study_ids: pd.Series, analyte: str) -> pd.DataFrame:
    """The LAB_VALUE `rows` of the patients `study_ids` names, as lab_values returns them;
    the rows of other patients left out."""
    # Categorical: a study id per patient, not per value, and compared by its code.
    patient = pd.Categorical(rows["patient_id"])
    named = study_ids.reindex(patient.categories)
    known = named.notna().to_numpy()
    kept = known[patient.codes]
    return pd.DataFrame(
        {
            "study_id": pd.Categorical.from_codes(
                (np.cumsum(known) - 1)[patient.codes[kept]], categories=named[known].to_numpy()
            ),
            "day": rows["day"][kept].astype(np.int64),
            "value": rows["value"][kept],
            "unit": pd.Categorical.from_codes(
                rows["unit"][kept], categories=list(ANALYTES[analyte].units)
            ),
            "below_detection": rows["below_detection"][kept],
        }
    )


def lab_values_query(
    patient_ids: range | Collection[int], analyte: str, specimen: str, as_of: date | None = None
) -> QuerySet:
    """The query of lab_rows: patient id, day, value, the unit's place and below
    detection, on PostgreSQL answered from the analyte's index alone. The values of the
    patients whose ids lie in the range `patient_ids`: a range of the index, where a list
    of a hundred thousand patients would be joined value by value. A study's patients,
    enrolled or imported together, take ids close together; the values of other studies'
    patients between them are read too, and left out when the values are named
    (named_lab_values). A short list of patients (those whose values changed) is read as
    a list."""
    units = list(ANALYTES[analyte].units)
    unit_place = Case(
        *(When(unit=unit, then=Value(place)) for place, unit in enumerate(units)),
        default=Value(-1),
    )
    if isinstance(patient_ids, range):
        patients = Q(patient_id__gte=patient_ids.start, patient_id__lt=patient_ids.stop)
    else:
        patients = Q(patient_id__in=patient_ids)
    return (
        records(models.LabResult, as_of)
        .filter(patients, analyte=analyte, specimen=specimen)
        .annotate(unit_place=unit_place)
        .values_list("patient_id", "day", "value", "unit_place", "below_detection")
        .order_by()
    )
