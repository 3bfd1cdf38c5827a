"""The analysis dataset: one flat row per patient. The only analytics module that reads the ORM.

Every statistic is computed from these rows, so a figure can always be traced back to the
row values a user can download (GET .../analytics/dataset/, also as CSV).

Rows are computed from ``values_list`` queries, one per table whatever the cohort size,
and without building model instances: a 10,000-patient study has some 300,000 section
rows. On the data as it stands, computed rows are kept (analytics.models.AnalysisRow) and
served until their patient changes: a written patient's row is computed as the write
commits, an import's rows as it commits, and a statistic computes only the rows still
stale (a write made some other way, or whose row failed). As recorded on a past day
(``as_of``), the same queries read the audit trail instead, so the rows are those of the
data as it stood at the end of that day (registry.snapshots), and are not kept.
The ASTCT grades still come from the model layer (``DailyAssessment.crs_grade`` and
``icans_grade``), called once per distinct combination of a day's findings.

Keys of a row (``COLUMNS``, in order):

- study_id, site (site code), sex; age_years: completed years at the first infusion (at
  enrolment before any infusion); age_group: "child" under 18, else "adult".
- prior_allo_hct, prior_cd22_cart; mcd19_infusions: number of murine CD19 CAR-T;
  mcd19_primary_resistant: every murine CD19 CAR-T had best response "nr";
  mcd19_interval_months: from the last murine CD19 CAR-T to the first infusion.
- disease_status at enrolment: "isolated_bm" (no extramedullary site), "bm_and_emd"
  (sites and marrow blasts > 5%), "emd_only" (sites and marrow blasts <= 5%); None when
  the eligibility record or the marrow count it needs is missing. cns_involvement,
  emd_sites (number of sites); bcr_abl1, ph_like, tp53_mutation.
- dose_cells_per_kg: the first infusion's dose.
- crs_grade, icans_grade: the site's recorded maximum where present, else computed;
  crs_grade_computed, icans_grade_computed: worst daily ASTCT grade (None without daily
  assessments); grade_discrepancy: a recorded grade differs from the computed one (None
  when nothing can be compared).
- car_t_detected, car_t_cmax_cells_per_ul, car_t_tmax_day, car_t_auc_0_28,
  car_t_last_detected_day: see ``analytics.stats.car_t_kinetics``; None without counts.
- d30_response: status of the earliest response assessment on days 21-45
  (``registry.models.patient.DAY_30_WINDOW``), None if there is none; responder: CR or CRi
  (None without a day-30 assessment); mrd: MRD of that assessment.
- hct_after_infusion: an allo-HCT event on or after the infusion day; consolidative_hct:
  one while in response (a responder, transplanted before any relapse).
- relapse, relapse_cd19 (CD19 status of the first relapse), death, death_cause. Events
  count from the infusion day on: one on that day (day 0) is an event at time 0.
- efs_event, efs_months: relapse or death from the infusion, censored at last contact (the
  analyses add non-response as an event at day 0 when all patients are analysed);
  os_event, os_months: death from any cause; followup_months: to last contact or death.

Extra keys, for landmark and competing-risk analyses, tables and the toxicity report:
hct_months, relapse_months, death_months (months from infusion to the first such event,
None if none); nrm (non-relapse mortality: death without an earlier relapse, from a cause
other than the disease; a death from the disease counts as its progression even when no
relapse was recorded, as in refractory patients); infusion_date (the first);
bm_blast_pct (marrow blasts at enrolment); crs_grade_recorded, icans_grade_recorded,
crs_onset_day, tocilizumab, corticosteroids, plasmapheresis (the site's toxicity record);
d30_response_day (the day of the day-30 assessment, which a clinical cut-off compares:
analytics.cutoff); daily_assessment_last_day, car_t_count_last_day: the latest day of the
daily assessments the grades are computed from, and of the CAR-T counts the kinetics are
(None without any), which tell a clinical cut-off whose grades and kinetics it changes;
left_out: None, or why the patient is left out of every analysis, as a warning naming the
patient and the field: a date outside EARLIEST_DATE to tomorrow, which only data written
past the model's validation can hold (older rows, a direct database write). Such a row has
only study_id and site besides; the analyses drop it and pass its warning on
(analytics.cohort.analysed). A row kept for a date after tomorrow stays left out until its
patient is written again.

Months are days / 30.4375. Time keys are None for a patient without an infusion.

The reads go to the read replica when one is configured (config.routers), as does the data
version the results are cached under (analytics.caching).
"""

import hashlib
import sys
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import orjson
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Case, F, QuerySet, When

from analytics import stats
from analytics.models import AnalysisRow
from analytics.stats import MONTH_DAYS, Kinetics, car_t_kinetics
from config.routers import use_replica
from registry import choices, grading, models
from registry.analytes import PERIPHERAL_BLOOD
from registry.choices import (
    RESPONDER_STATUSES,
    DeathCause,
    EventKind,
    PriorResponse,
    PriorTherapyKind,
)
from registry.grading import Grade
from registry.models.patient import DAY_30_WINDOW
from registry.patient_filters import ALIVE, BY_NAME, DEAD, filter_patients, search_terms
from registry.services import deleted_with_patient
from registry.snapshots import records
from registry.validators import EARLIEST_DATE, completed_years, latest_date

ADULT_FROM_YEARS = 18
# Without any CAR-T count nothing is known, not even whether cells were detected.
NO_COUNTS = Kinetics(None, None, None, None, None)
# Marrow blasts above this with extramedullary sites is "bm_and_emd" (the paper's 5%).
BM_INVOLVED_ABOVE_PCT = 5.0

COLUMNS = (
    "study_id",
    "site",
    "sex",
    "age_years",
    "age_group",
    "prior_allo_hct",
    "prior_cd22_cart",
    "mcd19_infusions",
    "mcd19_primary_resistant",
    "mcd19_interval_months",
    "disease_status",
    "cns_involvement",
    "emd_sites",
    "bcr_abl1",
    "ph_like",
    "tp53_mutation",
    "dose_cells_per_kg",
    "crs_grade",
    "icans_grade",
    "crs_grade_computed",
    "icans_grade_computed",
    "grade_discrepancy",
    "car_t_detected",
    "car_t_cmax_cells_per_ul",
    "car_t_tmax_day",
    "car_t_auc_0_28",
    "car_t_last_detected_day",
    "d30_response",
    "responder",
    "mrd",
    "hct_after_infusion",
    "consolidative_hct",
    "relapse",
    "relapse_cd19",
    "death",
    "death_cause",
    "efs_event",
    "efs_months",
    "os_event",
    "os_months",
    "followup_months",
    # Extra keys (see the module docstring).
    "hct_months",
    "relapse_months",
    "death_months",
    "nrm",
    "infusion_date",
    "bm_blast_pct",
    "crs_grade_recorded",
    "icans_grade_recorded",
    "crs_onset_day",
    "tocilizumab",
    "corticosteroids",
    "plasmapheresis",
    "d30_response_day",
    "daily_assessment_last_day",
    "car_t_count_last_day",
    "left_out",
)
# The columns of the rows served (GET .../analytics/dataset/): those left out are not served.
DATASET_COLUMNS = COLUMNS[:-1]


def _source_digest(*modules) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


# The code a kept row was computed by (analytics.models.AnalysisRow): the dataset's rules
# and the grading, kinetics and choices they call. Changing any of them makes every kept
# row stale, so no row of an older version of the rules is ever served.
ROW_CODE = _source_digest(
    sys.modules[__name__], stats, grading, choices, models.sections, models.patient
)


PRIOR_KINDS = (
    PriorTherapyKind.MURINE_CD19_CART,
    PriorTherapyKind.CD22_CART,
    PriorTherapyKind.ALLO_HCT,
)
CRS_FIELDS = models.DailyAssessment.crs_findings
ICANS_FIELDS = models.DailyAssessment.icans_findings
TOXICITY_FIELDS = (
    "crs_max_grade",
    "icans_max_grade",
    "crs_onset_day",
    "tocilizumab",
    "corticosteroids",
    "plasmapheresis",
)
NOT_RECORDED = (None,) * len(TOXICITY_FIELDS)  # a patient without a toxicity record
# The site's toxicity record, under the dataset's names (TOXICITY_FIELDS in that order).
RECORDED_TOXICITY_COLUMNS = (
    "crs_grade_recorded",
    "icans_grade_recorded",
    "crs_onset_day",
    "tocilizumab",
    "corticosteroids",
    "plasmapheresis",
)

# Column groups that cost most to read, filled in only when asked for (see analysis_rows).
GRADES, KINETICS = "grades", "kinetics"
PART_COLUMNS = {
    GRADES: (
        "crs_grade",
        "icans_grade",
        "crs_grade_computed",
        "icans_grade_computed",
        "grade_discrepancy",
        "daily_assessment_last_day",
    ),
    KINETICS: (
        "car_t_detected",
        "car_t_cmax_cells_per_ul",
        "car_t_tmax_day",
        "car_t_auc_0_28",
        "car_t_last_detected_day",
        "car_t_count_last_day",
    ),
}
PARTS = tuple(PART_COLUMNS)
# The section each part is computed from; its records are counted in days from the first
# infusion, and start with their day (see _read_sections).
PART_SECTIONS = {GRADES: "daily_assessments", KINETICS: "car_t_counts"}


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


@use_replica()
def analysis_rows(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> list[dict]:
    """One row per patient of the queryset, in its order.

    On the data as it stands, the rows kept between requests (analytics.models.AnalysisRow):
    only those of patients changed since they were computed are computed again, so a
    statistic after an edit does not read the whole cohort's records again. Kept rows have
    every column, whatever `parts` asks.

    With `as_of`, `patients` come from study_patients with the same date, and their rows are
    computed from the records as they stood then, in a constant number of queries. `parts`
    names the costlier column groups to fill in (all by default; see PARTS): a statistic
    that needs neither grades nor kinetics does not read a hundred thousand daily
    assessments and CAR-T counts.
    """
    if as_of is not None:
        return list(_computed_rows(patients, parts, as_of).values())
    return [dict(zip(COLUMNS, values, strict=True)) for values in _kept_values(patients)]


@use_replica()
def analysis_values(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> list[list]:
    """The rows of analysis_rows as lists of their values in COLUMNS order (None in the
    columns of a part not asked for): what a data frame is built from, without a dict per
    patient."""
    if as_of is not None:
        rows = _computed_rows(patients, parts, as_of).values()
        return [[row.get(column) for column in COLUMNS] for row in rows]
    return _kept_values(patients)


def _computed_rows(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> dict[int, dict]:
    """Each patient's row computed from its records, by patient id, in the queryset's order."""
    sections = _read_sections(patients.values("id"), parts, as_of)
    return {
        patient["id"]: _row(
            patient, {name: found.get(patient["id"]) for name, found in sections.items()}, parts
        )
        for patient in patients.values(*PATIENT_FIELDS)
    }


def _kept_values(patients: QuerySet) -> list[list]:
    return list(kept_rows(patients).values())


def kept_rows(patients: QuerySet) -> dict[int, list]:
    """The patients' kept rows by patient id, in the queryset's order; those missing or
    stale computed, returned and kept. A patient deleted meanwhile has none."""
    # The order first: sorting the patients with their rows would make the database sort
    # tens of megabytes, on disk.
    order = list(patients.values_list("id", flat=True))
    # Each patient's site's code (a site's code can change, which its patients' `updated`
    # does not show, so a kept row's site is read fresh) and its kept row where that row is
    # current: compared in the database, the stamps cost nothing to read. Compared in the
    # select list, not in the join: just after the rows were computed again for a new
    # ROW_CODE, PostgreSQL's statistics still count none of that code, and a join on it
    # was planned as a nested loop of a hundred thousand scans.
    current = Case(
        When(
            analysis_row__code=ROW_CODE,
            analysis_row__stamp=F("updated"),
            then=F("analysis_row__values"),
        )
    )
    found = patients.order_by().annotate(current=current)
    rows, stale = {}, []
    for pk, site, values in found.values_list("id", "site__code", "current").iterator(
        chunk_size=CHUNK
    ):
        if values is None:
            stale.append(pk)
        else:
            rows[pk] = _loaded(values, site)
    if len(stale) > CHUNK:
        # Most of a large cohort, as after a first import: all at once, in a constant
        # number of queries, rather than a few thousand patients at a time.
        rows |= _computed_and_kept(patients)
    elif stale:
        rows |= _computed_and_kept(models.Patient.objects.filter(pk__in=stale))
    # Without any patient deleted while its row was computed.
    return {pk: rows[pk] for pk in order if pk in rows}


def study_imported(sender, study: models.Study, **kwargs) -> None:
    """After a cohort import (registry.signals.cohort_imported): the rows of the study's
    patients changed by it computed and kept now, so that the first statistic after an
    import does not wait for them."""
    _kept_values(study.patients.all())


def patient_written(sender, instance, origin=None, **kwargs) -> None:
    """post_save and post_delete of a patient or a section of its course: once the write
    commits, the patient's row is computed and kept, so that the first statistic after it
    reads the row rather than computing it (some 16 queries). A failure is logged, not
    raised: the write stands, and the next statistic computes the row.

    Not for a patient deleted, nor for the sections deleted with it: it has no row."""
    if deleted_with_patient(origin):
        return
    patient_id = instance.pk if isinstance(instance, models.Patient) else instance.patient_id

    # A function with a name, which Django logs a failure with (a partial has none).
    def keep_row() -> None:
        kept_rows(models.Patient.objects.filter(pk=patient_id))

    transaction.on_commit(keep_row, robust=True)


def _computed_and_kept(patients: QuerySet) -> dict[int, list]:
    # The stamps are read before any record: a row computed from records newer than its
    # stamp is found stale at the next read and computed again, never the other way round.
    stamps = dict(patients.values_list("id", "updated"))
    rows = {pk: [row[column] for column in COLUMNS] for pk, row in _computed_rows(patients).items()}
    _keep(rows, stamps)
    return rows


CHUNK = 2000
SITE, INFUSION_DATE = COLUMNS.index("site"), COLUMNS.index("infusion_date")


def _loaded(text: str, site: str) -> list:
    values = orjson.loads(text)
    values[SITE] = site
    if values[INFUSION_DATE] is not None:
        values[INFUSION_DATE] = date.fromisoformat(values[INFUSION_DATE])
    return values


def _keep(rows: dict[int, list], stamps: dict[int, datetime]) -> None:
    """Store the rows with the stamps they were computed at, over any kept before."""
    computed = sorted(pk for pk in rows if pk in stamps)
    for start in range(0, len(computed), CHUNK):
        chunk = computed[start : start + CHUNK]
        # Not those of patients deleted since (on the primary: the reads may be the replica's).
        present = models.Patient.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=chunk)
        kept = [
            AnalysisRow(
                patient_id=pk,
                stamp=stamps[pk],
                code=ROW_CODE,
                values=orjson.dumps(rows[pk]).decode(),
            )
            for pk in present.order_by("pk").values_list("pk", flat=True)
        ]
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                AnalysisRow.objects.bulk_create(
                    kept,
                    update_conflicts=True,
                    unique_fields=["patient"],
                    update_fields=["stamp", "code", "values"],
                )
        except IntegrityError:
            # A patient deleted in the meantime: the rows are still this request's answer,
            # and the others are kept at the next read.
            pass


# The CAR-T counts the expansion is read from: by flow cytometry, in peripheral blood (a
# qPCR measurement or a marrow count is another series).
FLOW_IN_BLOOD = {"cells_per_ul__isnull": False, "specimen": PERIPHERAL_BLOOD}


@use_replica()
def car_t_counts(
    patients: QuerySet, as_of: date | None = None
) -> dict[str, list[tuple[int, float]]]:
    """Each patient's CAR-T counts in blood as (day, cells/µL) in day order, by study id:
    the points of the expansion curves, which the rows only summarise."""
    study_ids = dict(patients.values_list("id", "subject_id"))
    rows = (
        records(models.CarTCount, as_of)
        .filter(patient_id__in=patients.values("id"), **FLOW_IN_BLOOD)
        .values_list("patient_id", "day", "cells_per_ul")
        .order_by("patient_id", "day")
    )
    found = defaultdict(list)
    for patient_id, day, cells_per_ul in rows:
        found[study_ids[patient_id]].append((day, cells_per_ul))
    return dict(found)


@use_replica()
def parts_up_to(
    patients: QuerySet,
    last_days: Mapping[str, int],
    parts: Collection[str],
    as_of: date | None = None,
) -> dict[str, dict]:
    """By study id, the columns of `parts` (PART_COLUMNS) of the patients in `last_days`,
    computed from their daily assessments and CAR-T counts up to the last day given for
    each (days from the first infusion): their grades and kinetics as known at a clinical
    cut-off (analytics.cutoff). `patients` holds them: the study's, from study_patients
    with the same `as_of`."""
    chosen = patients.filter(subject_id__in=list(last_days))
    sections = _read_sections(chosen.values("id"), parts, as_of, ("toxicities", "infusions"))
    found = {}
    for patient in chosen.values(*PATIENT_FIELDS):
        mine = {name: by_patient.get(patient["id"]) for name, by_patient in sections.items()}
        day = last_days[patient["subject_id"]]
        for part in parts:
            name = PART_SECTIONS[part]
            mine[name] = [record for record in mine[name] or [] if record[0] <= day]
        recorded = mine["toxicities"] or NOT_RECORDED
        age = _age(patient, _first_infusion_date(mine))
        found[patient["subject_id"]] = _part_values(mine, recorded, age, parts)
    return found


PATIENT_FIELDS = (
    "id",
    "subject_id",
    "site__code",
    "sex",
    "birth_date",
    "enrollment_date",
    "last_contact_date",
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


def _read_sections(
    patient_ids: QuerySet,
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

    def many(model, *fields: str, where: dict | None = None, order: str = "") -> dict:
        # Unordered unless asked: sorting a hundred thousand rows the models' default way
        # costs the database more than the rows cost to send.
        orders = ("patient_id", order, "id") if order else ()
        rows = (
            records(model, as_of)
            .filter(**mine, **(where or {}))
            .values_list("patient_id", *fields)
            .order_by(*orders)
        )
        found = defaultdict(list)
        for row in rows:
            found[row[0]].append(row[1:])
        return found

    readers = {
        "eligibility": lambda: one(models.Eligibility, "bm_blast_pct", "extramedullary_sites"),
        "genetics": lambda: one(models.Genetics, "bcr_abl1", "ph_like", "tp53_mutation"),
        "toxicities": lambda: one(models.ToxicityRecord, *TOXICITY_FIELDS),
        "prior_therapies": lambda: many(
            models.PriorTherapy, "kind", "date", "best_response", where={"kind__in": PRIOR_KINDS}
        ),
        "infusions": lambda: many(models.Infusion, "date", "cells_per_kg", order="date"),
        "day_30": lambda: many(
            models.ResponseAssessment,
            "status",
            "mrd",
            "day",
            where={"day__range": DAY_30_WINDOW},
            order="day",
        ),
        "events": lambda: many(models.FollowUpEvent, "kind", "date", "cd19", "cause", order="date"),
        "daily_assessments": lambda: many(
            models.DailyAssessment, "day", *CRS_FIELDS, *ICANS_FIELDS
        ),
        "car_t_counts": lambda: many(models.CarTCount, "day", "cells_per_ul", where=FLOW_IN_BLOOD),
    }
    read = [*names, *(PART_SECTIONS[part] for part in parts)]
    return {name: readers[name]() for name in read}


def _snapshot_matches(
    patients: QuerySet, filters: Mapping[str, object], terms: list[str], as_of: date
) -> list[int]:
    """The ids of the snapshot's patients that pass the filters and every search term,
    where the database's filters cannot reach: each filter compares its column's value as
    it stood then (registry.patient_filters.PatientFilter.matches)."""
    sections = _read_sections(patients.values("id"), (), as_of)
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
    infused = _first_infusion_date(sections)
    priors = {kind for kind, _, _ in sections["prior_therapies"] or []}
    died = any(kind == EventKind.DEATH for kind, *_ in sections["events"] or [])
    return {
        "site": patient["site__code"],
        "sex": patient["sex"],
        "age_years": _age(patient, infused),
        "prior_allo_hct": PriorTherapyKind.ALLO_HCT in priors,
        "prior_cd22_cart": PriorTherapyKind.CD22_CART in priors,
        "d30_response": sections["day_30"][0][0] if sections["day_30"] else None,
        "vital_status": DEAD if died else ALIVE,
        "infusion_date": infused,
    }


def _first_infusion_date(sections: dict) -> date | None:
    return sections["infusions"][0][0] if sections["infusions"] else None


def _age(patient: dict, infused: date | None) -> int | None:
    """Completed years at the first infusion (at enrolment before any)."""
    on = infused or patient["enrollment_date"]
    return completed_years(patient["birth_date"], on) if patient["birth_date"] and on else None


EVENT_NAMES = dict(EventKind.choices)


def _implausible_date(patient: dict, sections: dict) -> str | None:
    """Why the patient is left out of the analyses (see `left_out`), or None."""
    latest = latest_date()
    dated = [
        ("date of birth", patient["birth_date"]),
        ("date of enrolment", patient["enrollment_date"]),
        ("date of last contact", patient["last_contact_date"]),
        *(("infusion date", day) for day, _ in sections["infusions"] or []),
        *(("prior therapy date", day) for _, day, _ in sections["prior_therapies"] or []),
        *(
            (f"{EVENT_NAMES.get(kind, kind)} date", day)
            for kind, day, *_ in sections["events"] or []
        ),
    ]
    for field, day in dated:
        if day is not None and not EARLIEST_DATE <= day <= latest:
            return (
                f"Patient {patient['subject_id']} left out: {field} {day.isoformat()} is "
                f"outside {EARLIEST_DATE.year}–{latest.isoformat()}"
            )
    return None


def _row(patient: dict, sections: dict, parts: Collection[str]) -> dict:
    left_out = _implausible_date(patient, sections)
    if left_out is not None:
        return {
            **dict.fromkeys(COLUMNS),
            "study_id": patient["subject_id"],
            "site": patient["site__code"],
            "left_out": left_out,
        }
    infusions = sections["infusions"] or []
    infused = _first_infusion_date(sections)
    age = _age(patient, infused)
    recorded = sections["toxicities"] or NOT_RECORDED
    return {
        "study_id": patient["subject_id"],
        "site": patient["site__code"],
        "sex": patient["sex"] or None,
        "age_years": age,
        "age_group": None if age is None else "adult" if age >= ADULT_FROM_YEARS else "child",
        **_prior_therapies(sections["prior_therapies"] or [], infused),
        **_disease(sections["eligibility"], sections["genetics"]),
        "dose_cells_per_kg": infusions[0][1] if infusions else None,
        **_part_values(sections, recorded, age, parts),
        **_outcomes(patient, sections["day_30"], sections["events"] or [], infused),
        "infusion_date": infused,
        "bm_blast_pct": sections["eligibility"][0] if sections["eligibility"] else None,
        **dict(zip(RECORDED_TOXICITY_COLUMNS, recorded, strict=True)),
        "left_out": None,
    }


def _prior_therapies(therapies: list[tuple], infused: date | None) -> dict:
    kinds = {kind for kind, _, _ in therapies}
    murine = [
        (day, best) for kind, day, best in therapies if kind == PriorTherapyKind.MURINE_CD19_CART
    ]
    dates = [day for day, _ in murine if day]
    return {
        "prior_allo_hct": PriorTherapyKind.ALLO_HCT in kinds,
        "prior_cd22_cart": PriorTherapyKind.CD22_CART in kinds,
        "mcd19_infusions": len(murine),
        "mcd19_primary_resistant": bool(murine)
        and all(best == PriorResponse.NR for _, best in murine),
        "mcd19_interval_months": _months(max(dates), infused) if dates and infused else None,
    }


def _disease(eligibility: tuple | None, genetics: tuple | None) -> dict:
    bm_blast_pct, sites = eligibility or (None, [])
    sites = sites or []
    if eligibility is None:
        status = None
    elif not sites:
        status = "isolated_bm"
    elif bm_blast_pct is None:
        status = None
    else:
        status = "bm_and_emd" if bm_blast_pct > BM_INVOLVED_ABOVE_PCT else "emd_only"
    bcr_abl1, ph_like, tp53_mutation = genetics or (None, None, None)
    return {
        "disease_status": status,
        "cns_involvement": None if eligibility is None else "cns" in sites,
        "emd_sites": None if eligibility is None else len(sites),
        "bcr_abl1": bcr_abl1,
        "ph_like": ph_like,
        "tp53_mutation": tp53_mutation,
    }


def _part_values(sections: dict, recorded: tuple, age: int | None, parts: Collection[str]) -> dict:
    """The columns of `parts` (PART_COLUMNS) from the sections they are computed from."""
    values = {}
    if GRADES in parts:
        values |= _grades(recorded, sections["daily_assessments"] or [], age)
    if KINETICS in parts:
        values |= _kinetics(sections["car_t_counts"] or [])
    return values


def _grades(recorded: tuple, assessments: list[tuple], age: int | None) -> dict:
    crs_recorded, icans_recorded = recorded[:2]
    crs = icans = None
    if assessments:
        # The worst day's grade, as registry.grading.worst takes it; bare integers here
        # because a large cohort has a hundred thousand days. Each day: its day, then
        # its CRS findings, then its ICANS findings.
        split = 1 + len(CRS_FIELDS)
        crs = max(_crs_grade(day[1:split]).grade for day in assessments)
        icans = max(_icans_grade(day[split:], age).grade for day in assessments)
    compared = [
        stored != computed
        for stored, computed in ((crs_recorded, crs), (icans_recorded, icans))
        if stored is not None and computed is not None
    ]
    return {
        "crs_grade": crs if crs_recorded is None else crs_recorded,
        "icans_grade": icans if icans_recorded is None else icans_recorded,
        "crs_grade_computed": crs,
        "icans_grade_computed": icans,
        "grade_discrepancy": any(compared) if compared else None,
        "daily_assessment_last_day": _last_day(assessments),
    }


# A cohort repeats a few hundred combinations of daily findings over and over; grading
# each combination once keeps the model's rules and costs a dictionary look-up per day.
@lru_cache(maxsize=65536)
def _crs_grade(findings: tuple) -> Grade:
    return models.DailyAssessment(**dict(zip(CRS_FIELDS, findings, strict=True))).crs_grade()


@lru_cache(maxsize=65536)
def _icans_grade(findings: tuple, age: int | None) -> Grade:
    assessment = models.DailyAssessment(**dict(zip(ICANS_FIELDS, findings, strict=True)))
    return assessment.icans_grade(age)


def _kinetics(counts: list[tuple]) -> dict:
    if counts:
        kinetics = car_t_kinetics([day for day, _ in counts], [level for _, level in counts])
    else:
        kinetics = NO_COUNTS
    return {
        "car_t_detected": kinetics.detected,
        "car_t_cmax_cells_per_ul": kinetics.cmax,
        "car_t_tmax_day": kinetics.tmax_day,
        "car_t_auc_0_28": kinetics.auc_0_28,
        "car_t_last_detected_day": kinetics.last_detected_day,
        "car_t_count_last_day": _last_day(counts),
    }


def _last_day(records: list[tuple]) -> int | None:
    return max((record[0] for record in records), default=None)


def _outcomes(
    patient: dict, day_30: list | None, events: list[tuple], infused: date | None
) -> dict:
    status, mrd, day = day_30[0] if day_30 else (None, None, None)
    responder = None if status is None else status in RESPONDER_STATUSES
    # From the infusion day on: an event on day 0 is an event at time 0, never dropped.
    after = [event for event in events if infused and event[1] >= infused]
    hct = _first(after, EventKind.ALLO_HCT)
    relapse = _first(after, EventKind.RELAPSE)
    death = _first(after, EventKind.DEATH)
    last_seen = max([patient["last_contact_date"], *(day for _, day, _, _ in after)], key=_sortable)
    end = death[1] if death else last_seen
    efs_end = min((event[1] for event in (relapse, death) if event), default=end)
    return {
        "d30_response": status,
        "d30_response_day": day,
        "responder": responder,
        "mrd": mrd,
        "hct_after_infusion": hct is not None,
        "consolidative_hct": bool(responder and hct and (relapse is None or hct[1] < relapse[1])),
        "relapse": relapse is not None,
        "relapse_cd19": relapse[2] or None if relapse else None,
        "death": death is not None,
        "death_cause": death[3] or None if death else None,
        "efs_event": bool(relapse or death),
        "efs_months": _months(infused, efs_end),
        "os_event": death is not None,
        "os_months": _months(infused, end),
        "followup_months": _months(infused, end),
        "hct_months": _months(infused, hct and hct[1]),
        "relapse_months": _months(infused, relapse and relapse[1]),
        "death_months": _months(infused, death and death[1]),
        "nrm": bool(
            death and death[3] != DeathCause.DISEASE and (relapse is None or death[1] < relapse[1])
        ),
    }


def _first(events: list[tuple], kind: str) -> tuple | None:
    return next((event for event in events if event[0] == kind), None)


def _sortable(day: date | None) -> date:
    return day or date.min


def _months(start: date | None, end: date | None) -> float | None:
    if not (start and end):
        return None
    return (end - start).days / MONTH_DAYS
