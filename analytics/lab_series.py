"""A laboratory value's course across patients: by day after the infusion, the number of
patients, the median and the first and third quartiles (GET .../analytics/biomarkers/series/
and the dashboard's lab figure). Numeric code over a data frame of the values that
analytics.dataset.lab_values reads; nothing here touches the ORM.

The rules, where the clinical rules leave a choice:

- Every value is converted to the unit asked (the analyte's own by default) with the
  factors of registry.analytes. sIL-2R has no factor between its units: only its values
  recorded in the unit asked are counted, and the others are counted as left out.
- A value below detection counts as 0, as everywhere in the registry
  (registry.analytes.Measurement.level): it is lower than every value measured.
- Days are put on the visit grid of a CAR-T follow-up (VISIT_DAYS): each value goes to the
  nearest visit day, the earlier one when two are as near. Every day up to 14, when
  cytokine release syndrome and neurotoxicity happen and are sampled daily, is its own
  visit; then days 21 and 28, six weeks, months 2 to 6 and 9, and every half year to ten
  years. Values taken a day or two off the protocol's day are counted with it.
- A patient counts once per visit day: with the value nearest it, the earlier one on a tie.
  Day 0 takes every value up to the infusion, so it is the baseline of the clinical rules
  ("Biomarkers"): the last value on or before day 0.
- Quartiles are those of R's default quantile (type 7), numpy's default: the p-th quantile
  of n sorted values is at position p(n-1), interpolated linearly between its neighbours.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from registry.analytes import ANALYTES, conversion_factor

VISIT_DAYS = np.array(
    [
        *range(15),
        21,
        28,
        42,
        60,
        90,
        120,
        150,
        180,
        270,
        *range(365, 3651, 182),
    ]
)
# More days than any value can be from its visit day (days run to 3650).
MAX_OFF_BY = 4096
# The columns of the values a series is computed from, one row per value recorded: those
# of analytics.dataset.lab_values.
RECORDED = ("study_id", "day", "value", "unit", "below_detection")


@dataclass(frozen=True)
class SeriesValues:
    """The values counted, in the unit asked, and how many were left out for their unit."""

    frame: pd.DataFrame  # study_id, day, value, below_detection
    other_unit: int


def visit_days(days: np.ndarray) -> np.ndarray:
    """Each day's nearest day of VISIT_DAYS (the earlier one on a tie); 0 for any day before
    the infusion."""
    days = np.asarray(days, dtype=int)
    later = np.clip(np.searchsorted(VISIT_DAYS, days, side="left"), 1, len(VISIT_DAYS) - 1)
    before, after = VISIT_DAYS[later - 1], VISIT_DAYS[later]
    nearest = np.where(days - before <= after - days, before, after)
    return np.where(days <= 0, 0, nearest)


def in_unit(recorded: pd.DataFrame, analyte: str, unit: str) -> SeriesValues:
    """The recorded values (columns RECORDED) in `unit`, one of the analyte's units."""
    values = recorded["value"].to_numpy(dtype=float)
    converted = np.full(len(values), np.nan)
    for given in ANALYTES[analyte].units:
        ratio = conversion_factor(analyte, given, unit)
        if ratio is None:
            continue
        # Multiplied by the numerator, then divided by the denominator: an exact factor such
        # as 1/1000 is rounded once, as registry.analytes.convert rounds it.
        chosen = (recorded["unit"] == given).to_numpy()
        converted[chosen] = values[chosen] * ratio.numerator / ratio.denominator
    counted = ~np.isnan(converted)
    # Rows picked, not columns copied out: a categorical study_id stays one.
    frame = recorded.loc[counted, ["study_id", "day", "below_detection"]]
    frame.insert(2, "value", converted[counted])
    return SeriesValues(frame.reset_index(drop=True), int((~counted).sum()))


def series_by_visit(values: pd.DataFrame) -> list[dict]:
    """By visit day: n patients, the median and quartiles of their values (0 below
    detection), how many were below detection, and the first and last day counted."""
    if values.empty:
        return []
    days = values["day"].to_numpy(dtype=int)
    visit = visit_days(days)
    # The value nearest each visit, the earlier on a tie, found by sorting one whole
    # number per value: the patient, the visit, how far off its day is, and whether it is
    # after the visit day: whole numbers sort far faster than study ids as text.
    patient = pd.factorize(values["study_id"])[0].astype(np.int64)
    off_by = np.abs(days - visit)
    key = ((patient * (VISIT_DAYS[-1] + 1) + visit) * (2 * MAX_OFF_BY) + 2 * off_by) + (
        days > visit
    )
    order = np.argsort(key, kind="stable")
    group = (patient * (VISIT_DAYS[-1] + 1) + visit)[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    chosen = order[first]
    nearest = pd.DataFrame(
        {
            "visit": visit[chosen],
            "day": days[chosen],
            "level": np.where(values["below_detection"], 0.0, values["value"])[chosen],
            "below_detection": values["below_detection"].to_numpy(dtype=bool)[chosen],
        }
    )
    by_visit = nearest.groupby("visit")
    levels = by_visit["level"]
    summary = pd.DataFrame(
        {
            "n": levels.size(),
            "median": levels.median(),
            "q1": levels.quantile(0.25),
            "q3": levels.quantile(0.75),
            "below_detection": by_visit["below_detection"].sum(),
            "first_day": by_visit["day"].min(),
            "last_day": by_visit["day"].max(),
        }
    )
    columns = {
        "day": summary.index.to_numpy(dtype=int).tolist(),
        **{name: summary[name].to_numpy(dtype=int).tolist() for name in ("n", "below_detection")},
        **{name: summary[name].to_numpy(dtype=float).tolist() for name in ("median", "q1", "q3")},
        "days": summary[["first_day", "last_day"]].to_numpy(dtype=int).tolist(),
    }
    keys = ("day", "n", "median", "q1", "q3", "below_detection", "days")
    rows = zip(*(columns[name] for name in keys), strict=True)
    return [dict(zip(keys, row, strict=True)) for row in rows]


def patient_series(values: pd.DataFrame) -> list[dict]:
    """Every value counted, by study id and day: the value in the unit asked (the limit of
    detection where below it), as recorded, not put on the visit grid."""
    ordered = values.sort_values(["study_id", "day"])
    columns = {
        "study_id": ordered["study_id"].to_numpy(dtype=object).tolist(),
        "day": ordered["day"].to_numpy(dtype=int).tolist(),
        "value": ordered["value"].to_numpy(dtype=float).tolist(),
        "below_detection": ordered["below_detection"].to_numpy(dtype=bool).tolist(),
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def lab_series_report(
    recorded: pd.DataFrame,
    *,
    analyte: str,
    specimen: str,
    unit: str,
    per_patient: bool = False,
) -> dict:
    """The series of one analyte in one specimen over the patients whose values are given."""
    counted = in_unit(recorded, analyte, unit)
    values = counted.frame
    report = {
        "analyte": analyte,
        "analyte_name": ANALYTES[analyte].name,
        "specimen": specimen,
        "unit": unit,
        "patients": int(values["study_id"].nunique()),
        "values": len(values),
        "left_out_other_unit": counted.other_unit,
        "days": series_by_visit(values),
    }
    if per_patient:
        report["series"] = patient_series(values)
    return report
