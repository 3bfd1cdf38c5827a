"""The lab columns of a patient's row (analytics.dataset.columns, part LABS): neutrophil
ICAHT, B-cell aplasia and the cytokine and inflammation peaks, from the lab values read by
analytics.dataset.records and the events that censor them. The rules are those of
registry.icaht and registry.biomarkers; this module only puts the records into their
terms: days after the first infusion, values in each analyte's registry unit."""

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from fractions import Fraction
from functools import lru_cache

from analytics.dataset.columns import (
    B_CELL_APLASIA,
    EARLY_ICAHT,
    LAB_LAST_DAYS,
    LABS,
    LATE_ICAHT,
    PEAK_ANALYTES,
    PEAKS,
    peak_columns,
)
from registry.analytes import PERIPHERAL_BLOOD, Measurement, series_factor
from registry.biomarkers import PEAK_LAST_DAY, b_cell_aplasia, b_cell_recovery_discrepancy, peak
from registry.choices import EventKind
from registry.icaht import (
    EARLY_LAST_DAY,
    LATE_FIRST_DAY,
    LATE_LAST_DAY,
    course_late_icaht,
    early_icaht,
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


def lab_columns(
    patient: dict,
    labs: list[tuple],
    events: list[tuple],
    infused: date | None,
    recorded_icaht: int | None,
    parts: Collection[str] = LABS,
) -> dict:
    """The columns of the lab `parts` (analytics.dataset.columns) and lab_last_day, the
    latest of their last days, from the patient's lab values (day, analyte, value, unit,
    specimen, below detection) and events (kind, date, ...), all up to whatever day they
    were read to; `patient` carries the study's B-cell aplasia setting and the last contact
    date. Without a lab value every column is None, whatever the events."""
    series = _series(labs)
    days = first_event_days((event for event in events if event[0] in LAB_EVENTS), infused)
    values = {}
    anc = [value for value in series["anc"] if value.specimen == PERIPHERAL_BLOOD]
    if EARLY_ICAHT in parts:
        values |= _early_icaht(patient, anc, days, infused, recorded_icaht)
    if LATE_ICAHT in parts:
        values |= {
            "icaht_late_grade": course_late_icaht(anc, days).grade,
            "icaht_late_last_day": _late_icaht_last_day(anc, days),
        }
    if B_CELL_APLASIA in parts:
        values |= _aplasia(patient, series["b_cells_pct"], days)
    if PEAKS in parts:
        values |= _peaks(series)
    last_days = [values[column] for column in LAB_LAST_DAYS if values.get(column) is not None]
    return values | {"lab_last_day": max(last_days, default=None)}


def _early_icaht(
    patient: dict,
    anc: list[Measurement],
    days: dict[str, int],
    infused: date | None,
    recorded_icaht: int | None,
) -> dict:
    # The early grade of registry.icaht.course_icaht, alone.
    followed = last_day_followed(days, infused, patient["last_contact_date"])
    early = early_icaht(anc, followed_until=followed).grade
    return {
        "icaht_early_grade": early,
        "icaht_discrepancy": None
        if recorded_icaht is None or early is None
        else recorded_icaht != early,
        "icaht_early_last_day": _early_icaht_last_day(anc, followed),
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


# The last day each group of lab columns reads: a clinical cut-off before it may change the
# group's columns (analytics.cutoff counts them again), one on or after it cannot. Each
# follows the windows of the rule it reads; a value or an event outside them changes
# nothing, so that monthly values long after the windows do not make every cut-off count
# every patient again.


def _early_icaht_last_day(anc: list[Measurement], followed: int | None) -> int | None:
    """ANC values in blood of days 0-30, and the day the early window ends at: day 30, or
    the last day followed before it (a death, the last contact). registry.icaht holds the
    last value up to that day, so a cut-off before it ends the window sooner. None without
    an ANC value in the window: the grade is then None whatever the course."""
    measured = [value.day for value in anc if 0 <= value.day <= EARLY_LAST_DAY]
    if not measured:
        return None
    ends = EARLY_LAST_DAY if followed is None else min(followed, EARLY_LAST_DAY)
    return max(*measured, ends)


def _late_icaht_last_day(anc: list[Measurement], days: dict[str, int]) -> int | None:
    """ANC values in blood of days 31-100, and a relapse, next therapy or allo-HCT before
    day 100, which ends the window. None without an ANC value in the window."""
    measured = [value.day for value in anc if LATE_FIRST_DAY <= value.day <= LATE_LAST_DAY]
    if not measured:
        return None
    ends = [
        day for kind, day in days.items() if kind in CENSORING_LATE_ICAHT and day < LATE_LAST_DAY
    ]
    return max(measured + ends)


def _bca_last_day(
    specimen: str, b_cells: list[Measurement], days: dict[str, int], aplasia: dict
) -> int | None:
    """The whole B-cell series in the study's specimen (the aplasia may last to the last
    value); an allo-HCT when it censored the aplasia; a recorded recovery when it was
    compared with the values. None without a B-cell value in that specimen."""
    read = [value.day for value in b_cells if value.specimen == specimen]
    if not read:
        return None
    if EventKind.ALLO_HCT in days and aplasia["bca_recovery_event"] is False:
        read.append(days[EventKind.ALLO_HCT])
    if aplasia["bca_recovery_discrepancy"] is not None:
        read.append(days[EventKind.B_CELL_RECOVERY])
    return max(read)


def _peak_last_day(series: dict[str, list[Measurement]]) -> int | None:
    """The peak analytes' values in blood up to day 30: the baseline and the window."""
    read = [
        value.day
        for analyte in PEAK_ANALYTES
        for value in series.get(analyte, ())
        if value.specimen == PERIPHERAL_BLOOD and value.day <= PEAK_LAST_DAY
    ]
    return max(read, default=None)


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
    columns = {
        "bca_start_day": aplasia.start_day,
        "bca_recovery_day": aplasia.recovery_day,
        "bca_duration_days": aplasia.duration_days,
        "bca_ongoing": aplasia.ongoing if aplastic else None,
        "bca_recovery_event": aplasia.recovery_day is not None if aplastic else None,
        "bca_recovery_discrepancy": discrepancy,
    }
    return columns | {"bca_last_day": _bca_last_day(setting["specimen"], b_cells, days, columns)}


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
    return values | {"peak_last_day": _peak_last_day(series)}
