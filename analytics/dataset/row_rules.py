"""The row rules: one patient's row from its records, as read by analytics.dataset.records.
The ASTCT grades still come from the model layer (``DailyAssessment.crs_grade`` and
``icans_grade``), called once per distinct combination of a day's findings."""

from collections.abc import Collection
from datetime import date
from functools import lru_cache

from analytics.dataset.columns import (
    COLUMNS,
    GRADES,
    KINETICS,
    LABS,
    RECORDED_TOXICITY_COLUMNS,
)
from analytics.dataset.lab_rules import lab_columns
from analytics.dataset.records import (
    CRS_FIELDS,
    ICANS_FIELDS,
    KINETICS_SPECIMEN,
    TOXICITY_FIELDS,
)
from registry import grading, models
from registry.biomarkers import Kinetics, series_kinetics
from registry.choices import (
    RESPONDER_STATUSES,
    DeathCause,
    EventKind,
    PriorResponse,
    PriorTherapyKind,
)
from registry.grading import Grade
from registry.units import MONTH_DAYS
from registry.validators import EARLIEST_DATE, latest_date

ADULT_FROM_YEARS = 18
# Without any CAR-T count nothing is known, not even whether cells were detected.
NO_COUNTS = Kinetics(None, None, None, None, None)
# Marrow blasts above this with extramedullary sites is "bm_and_emd" (the paper's 5%).
BM_INVOLVED_ABOVE_PCT = 5.0
NOT_RECORDED = (None,) * len(TOXICITY_FIELDS)  # a patient without a toxicity record
RECORDED_ICAHT = TOXICITY_FIELDS.index("icaht_grade")


def first_infusion_date(sections: dict) -> date | None:
    return sections["infusions"][0][0] if sections["infusions"] else None


def age_years(patient: dict, infused: date | None) -> int | None:
    """Completed years at the first infusion (at enrolment before any), as the grading
    takes it (registry.grading.age_years)."""
    return grading.age_years(patient["birth_date"], infused, patient["enrollment_date"])


EVENT_NAMES = dict(EventKind.choices)


def _implausible_date(patient: dict, sections: dict) -> str | None:
    """Why the patient is left out of the analyses (see `left_out`), or None."""
    latest = latest_date()
    dated = [
        ("date of birth", patient["birth_date"]),
        ("date of enrolment", patient["enrollment_date"]),
        ("date of last contact", patient["last_contact_date"]),
        *(("infusion date", day) for day, *_ in sections["infusions"] or []),
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


def patient_row(patient: dict, sections: dict, parts: Collection[str]) -> dict:
    left_out = _implausible_date(patient, sections)
    if left_out is not None:
        return {
            **dict.fromkeys(COLUMNS),
            "study_id": patient["subject_id"],
            "site": patient["site__code"],
            "left_out": left_out,
        }
    infusions = sections["infusions"] or []
    infused = first_infusion_date(sections)
    age = age_years(patient, infused)
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
        "product": infusions[0][2] if infusions else None,
        **part_values(patient, sections, recorded, age, parts),
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


def part_values(
    patient: dict, sections: dict, recorded: tuple, age: int | None, parts: Collection[str]
) -> dict:
    """The columns of `parts` (PART_COLUMNS) from the sections they are computed from."""
    values = {}
    if GRADES in parts:
        values |= _grades(recorded, sections["daily_assessments"] or [], age)
    if KINETICS in parts:
        values |= _kinetics(sections["car_t_counts"] or [], patient[KINETICS_SPECIMEN])
    lab_parts = [part for part in LABS if part in parts]
    if lab_parts:
        values |= lab_columns(
            patient,
            sections["lab_results"] or [],
            sections["events"] or [],
            first_infusion_date(sections),
            recorded[RECORDED_ICAHT],
            lab_parts,
        )
    return values


def _grades(recorded: tuple, assessments: list[tuple], age: int | None) -> dict:
    crs_recorded, icans_recorded = recorded[:2]
    crs = icans = crs_onset = icans_onset = None
    if assessments:
        # The worst day's grade, as registry.grading.worst takes it; bare integers here
        # because a large cohort has a hundred thousand days. Each day: its day, then
        # its CRS findings, then its ICANS findings.
        split = 1 + len(CRS_FIELDS)
        crs_days = [(day[0], _crs_grade(day[1:split]).grade) for day in assessments]
        icans_days = [(day[0], _icans_grade(day[split:], age).grade) for day in assessments]
        crs, crs_onset = _worst_and_onset(crs_days)
        icans, icans_onset = _worst_and_onset(icans_days)
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
        "crs_onset_day_computed": crs_onset,
        "icans_onset_day": icans_onset,
        "grade_discrepancy": any(compared) if compared else None,
        "daily_assessment_last_day": _last_day(assessments),
    }


def _worst_and_onset(graded_days: list[tuple[int, int]]) -> tuple[int, int | None]:
    """The worst grade of (day, grade) pairs, and the first day graded 1 or more."""
    worst = max(grade for _, grade in graded_days)
    onset = min((day for day, grade in graded_days if grade >= 1), default=None)
    return worst, onset


# A cohort repeats a few hundred combinations of daily findings over and over; grading
# each combination once keeps the model's rules and costs a dictionary look-up per day.
@lru_cache(maxsize=65536)
def _crs_grade(findings: tuple) -> Grade:
    return models.DailyAssessment(**dict(zip(CRS_FIELDS, findings, strict=True))).crs_grade()


@lru_cache(maxsize=65536)
def _icans_grade(findings: tuple, age: int | None) -> Grade:
    assessment = models.DailyAssessment(**dict(zip(ICANS_FIELDS, findings, strict=True)))
    return assessment.icans_grade(age)


def _kinetics(counts: list[tuple], specimen: str) -> dict:
    """Each series' kinetics from the counts (day, cells/µL, copies/µg DNA, specimen) in
    the study's kinetics specimen, either level None where that series was not measured."""
    counts = [count for count in counts if count[3] == specimen]
    flow = [(day, cells) for day, cells, _, _ in counts if cells is not None]
    qpcr = [(day, copies) for day, _, copies, _ in counts if copies is not None]
    kinetics = series_kinetics(flow) if flow else NO_COUNTS
    by_qpcr = series_kinetics(qpcr) if qpcr else NO_COUNTS
    return {
        "car_t_detected": kinetics.detected,
        "car_t_cmax_cells_per_ul": kinetics.cmax,
        "car_t_tmax_day": kinetics.tmax_day,
        "car_t_auc_0_28": kinetics.auc_0_28,
        "car_t_last_detected_day": kinetics.last_detected_day,
        "car_t_cmax_copies_per_ug": by_qpcr.cmax,
        "car_t_tmax_day_qpcr": by_qpcr.tmax_day,
        "car_t_auc_0_28_qpcr": by_qpcr.auc_0_28,
        "car_t_persistence_days_qpcr": by_qpcr.last_detected_day,
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
