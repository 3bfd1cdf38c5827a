"""The lab columns of a patient's row (analytics.dataset.columns, part LABS): neutrophil
ICAHT, B-cell aplasia and the cytokine and inflammation peaks, from the lab values read by
analytics.dataset.records and the events that censor them. The rules are those of
registry.icaht and registry.biomarkers; this module only puts the records into their
terms: days after the first infusion, values in each analyte's registry unit."""

from collections import defaultdict
from datetime import date
from fractions import Fraction
from functools import lru_cache

from analytics.dataset.columns import BCA_COLUMNS, ICAHT_COLUMNS, PEAK_ANALYTES, peak_columns
from registry.analytes import PERIPHERAL_BLOOD, Measurement, series_factor
from registry.biomarkers import b_cell_aplasia, b_cell_recovery_discrepancy, peak
from registry.choices import EventKind
from registry.icaht import (
    EARLY_LAST_DAY,
    LATE_LAST_DAY,
    course_icaht,
    first_event_days,
    last_day_followed,
)

# The events a lab column is censored at or compared with.
LAB_EVENTS = (
    EventKind.RELAPSE,
    EventKind.OTHER_THERAPY,
    EventKind.ALLO_HCT,
    EventKind.DEATH,
    EventKind.B_CELL_RECOVERY,
)
CENSORING_LATE_ICAHT = (EventKind.RELAPSE, EventKind.OTHER_THERAPY, EventKind.ALLO_HCT)
NO_LABS = dict.fromkeys(
    (*ICAHT_COLUMNS, *BCA_COLUMNS, *(c for a in PEAK_ANALYTES for c in peak_columns(a)))
)


def lab_columns(
    patient: dict,
    labs: list[tuple],
    events: list[tuple],
    infused: date | None,
    recorded_icaht: int | None,
) -> dict:
    """The LABS columns from the patient's lab values (day, analyte, value, unit, specimen,
    below detection) and events (kind, date, ...), all up to whatever day they were read
    to; `patient` carries the study's B-cell aplasia setting and the last contact date."""
    series = _series(labs)
    if not series:
        return {**NO_LABS, "lab_last_day": None}
    days = first_event_days((event for event in events if event[0] in LAB_EVENTS), infused)
    anc = [value for value in series["anc"] if value.specimen == PERIPHERAL_BLOOD]
    early, late = (
        graded.grade
        for graded in course_icaht(
            anc,
            event_days=days,
            followed_until=last_day_followed(days, infused, patient["last_contact_date"]),
        )
    )
    aplasia = _aplasia(patient, series["b_cells_pct"], days)
    return {
        "icaht_early_grade": early,
        "icaht_late_grade": late,
        "icaht_discrepancy": None
        if recorded_icaht is None or early is None
        else recorded_icaht != early,
        **aplasia,
        **_peaks(series),
        "lab_last_day": max([*(lab[0] for lab in labs), *_days_read(days, aplasia)]),
    }


def _series(labs: list[tuple]) -> dict[str, list[Measurement]]:
    """Each analyte's values in its registry unit; a value in a unit the analyte does not
    have (only data written past validation can hold one) is left out."""
    found = defaultdict(list)
    for day, analyte, value, unit, specimen, below_detection in labs:
        factor = _factor(analyte, unit)
        if factor is None:
            continue
        level = value if factor == 1 else float(Fraction(value) * factor)
        found[analyte].append(Measurement(day, level, below_detection, specimen))
    return found


@lru_cache(maxsize=256)
def _factor(analyte: str, unit: str) -> Fraction | None:
    try:
        return series_factor(analyte, unit)
    except ValueError:
        return None


def _days_read(days: dict[str, int], aplasia: dict) -> list[int]:
    """The days of the events the columns depend on: those a clinical cut-off before them
    would change the columns by not knowing (analytics.cutoff recounts a patient whose
    lab_last_day is after it). A relapse, next therapy or allo-HCT after day 100 ends no
    late ICAHT window; a death after day 30 shortens no early one; an allo-HCT matters to
    the aplasia only when it censored it; a recorded recovery only when it was compared."""
    read = [
        day
        for kind, day in days.items()
        if (kind in CENSORING_LATE_ICAHT and day < LATE_LAST_DAY)
        or (kind == EventKind.DEATH and day <= EARLY_LAST_DAY)
    ]
    if EventKind.ALLO_HCT in days and aplasia["bca_recovery_event"] is False:
        read.append(days[EventKind.ALLO_HCT])
    if aplasia["bca_recovery_discrepancy"] is not None:
        read.append(days[EventKind.B_CELL_RECOVERY])
    return read


def _aplasia(patient: dict, b_cells: list[Measurement], days: dict[str, int]) -> dict:
    setting = {
        "threshold_pct": patient["study__b_cell_aplasia_threshold_pct"],
        "specimen": patient["study__b_cell_aplasia_specimen"],
        "allo_hct_day": days.get(EventKind.ALLO_HCT),
    }
    aplasia = b_cell_aplasia(b_cells, **setting)
    recorded = days.get(EventKind.B_CELL_RECOVERY)
    measured = any(value.specimen == setting["specimen"] for value in b_cells)
    discrepancy = None
    if recorded is not None and measured:
        found = b_cell_recovery_discrepancy(b_cells, recorded_day=recorded, **setting)
        discrepancy = found is not None
    aplastic = aplasia.start_day is not None
    return {
        "bca_start_day": aplasia.start_day,
        "bca_recovery_day": aplasia.recovery_day,
        "bca_duration_days": aplasia.duration_days,
        "bca_ongoing": aplasia.ongoing if aplastic else None,
        "bca_recovery_event": aplasia.recovery_day is not None if aplastic else None,
        "bca_recovery_discrepancy": discrepancy,
    }


def _peaks(series: dict[str, list[Measurement]]) -> dict:
    values = {}
    for analyte in PEAK_ANALYTES:
        found = peak(series.get(analyte, ()))
        columns = peak_columns(analyte)
        values |= dict(
            zip(
                columns,
                (found.peak, found.peak_day, found.baseline, found.fold_change),
                strict=True,
            )
        )
    return values
