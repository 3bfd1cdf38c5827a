"""The floors (benchmarks.floor) of the endpoints asked at an earlier clinical cut-off:
the in-memory frame cut there, and the columns summarising a series of days (the CRS and
ICANS grades, the CAR-T kinetics, the ICAHT grades) of the patients with days after it
taken from their days up to it, kept in memory beside the frame (DaySeries).

Written independently of analytics.cutoff and analytics.dataset on purpose, as the other
floors are; the ICAHT grades are the registry's clinical rule (registry.icaht), which the
endpoint applies too: what is timed is finding the patients and recounting them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pandas as pd

from benchmarks.floor import KINETIC_MEASURES
from registry import icaht
from registry.analytes import Measurement, series_factor


def at_cutoff(frame: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    """The columns `survival` reads for EFS, as known at the end of `cutoff`: the patients
    infused after it left out, a later day-30 assessment unknown, a later event (or
    transplant) not yet happened, times ending at the cut-off."""
    days = (pd.Timestamp(cutoff) - pd.to_datetime(frame["infusion_date"])).dt.days
    frame = frame[~(days < 0).to_numpy()].copy()
    days = days[frame.index]
    limit = days / 30.4375
    assessed_later = pd.to_numeric(frame["d30_response_day"]) > days
    frame["responder"] = frame["responder"].where(~assessed_later, None)
    for happened, when in (("efs_event", "efs_months"), ("hct_after_infusion", "hct_months")):
        later = pd.to_numeric(frame[when]) > limit
        frame[happened] = frame[happened].where(~later, False)
    frame["hct_months"] = pd.to_numeric(frame["hct_months"]).where(frame["hct_after_infusion"])
    frame["efs_months"] = np.fmin(pd.to_numeric(frame["efs_months"]), limit)
    return frame


@dataclass(frozen=True)
class DaySeries:
    """The series of days the grades and kinetics summarise, in memory beside the rows:
    each daily assessment's CRS and ICANS grade (study_id, day, crs, icans), each CAR-T
    count (study_id, day, cells_per_ul) and each lab value."""

    grades: pd.DataFrame
    counts: pd.DataFrame
    # Every lab value as recorded: study_id, day, analyte, value, unit, specimen,
    # below_detection.
    labs: pd.DataFrame | None = None
    # Every follow-up event (study_id, kind, date) and each patient's last contact date
    # (by study id): what censors ICAHT and ends its follow-up.
    events: pd.DataFrame | None = None
    last_contact: dict | None = None


AUC_END_DAY = 28


def grades_at_cutoff(frame: pd.DataFrame, series: DaySeries, cutoff: str) -> pd.DataFrame:
    """The frame as at_cutoff cuts it, with the computed grades of the patients assessed
    after the cut-off taken from their days up to it."""
    frame, (later, grades) = _at_cutoff_with(frame, series.grades, cutoff)
    rows = frame["study_id"].isin(later).to_numpy()
    worst = grades.groupby("study_id")[["crs", "icans"]].max()
    known = []
    for name in ("crs", "icans"):
        computed = frame.loc[rows, "study_id"].map(worst[name]).astype(float)
        recorded = frame.loc[rows, f"{name}_grade_recorded"].astype(float)
        _put(frame, f"{name}_grade_computed", rows, computed.to_numpy())
        _put(frame, f"{name}_grade", rows, recorded.fillna(computed).to_numpy())
        known.append((recorded, computed))
    differs = [r.ne(c) & r.notna() & c.notna() for r, c in known]
    compared = [r.notna() & c.notna() for r, c in known]
    discrepancy = (differs[0] | differs[1]).astype(object).where(compared[0] | compared[1], None)
    _put(frame, "grade_discrepancy", rows, discrepancy.to_numpy())
    return frame


def icaht_at_cutoff(frame: pd.DataFrame, series: DaySeries, cutoff: str) -> pd.DataFrame:
    """The frame (cut by at_cutoff), with the early and late ICAHT grades of the patients
    whose ANC values each grade reads go past the cut-off (the row's icaht_early_last_day,
    icaht_late_last_day) taken from their ANC in blood up to it, censored at their events
    up to it and followed no further; the early grade's discrepancy with the recorded one
    compared again."""
    frame = frame.copy()
    known_days = (pd.Timestamp(cutoff) - pd.to_datetime(frame["infusion_date"])).dt.days
    later = {
        grade: (pd.to_numeric(frame[f"icaht_{grade}_last_day"]) > known_days).to_numpy()
        for grade in ("early", "late")
    }
    chosen = set(frame.loc[later["early"] | later["late"], "study_id"])
    anc = _anc_by_patient(series.labs, chosen)
    events = series.events[series.events["study_id"].isin(chosen)]
    events = events[events["date"] <= pd.Timestamp(cutoff).date()]
    events_of = defaultdict(list)
    for study_id, kind, when in zip(
        events["study_id"], events["kind"], events["date"], strict=True
    ):
        events_of[study_id].append((kind, when))
    for grade, rows in later.items():
        recounted = [
            _icaht_grade(
                grade,
                [value for value in anc[study_id] if value.day <= day],
                events_of[study_id],
                infused=pd.Timestamp(infused).date(),
                day=day,
                last_contact=series.last_contact.get(study_id),
            )
            for study_id, infused, day in zip(
                frame.loc[rows, "study_id"],
                frame.loc[rows, "infusion_date"],
                known_days[rows],
                strict=True,
            )
        ]
        _put(frame, f"icaht_{grade}_grade", rows, np.array(recounted, dtype=object))
    recorded = pd.to_numeric(frame["icaht_grade_recorded"])
    early = pd.to_numeric(frame["icaht_early_grade"])
    compared = (recorded.notna() & early.notna()).to_numpy()
    differs = recorded.ne(early).to_numpy(dtype=object)
    _put(frame, "icaht_discrepancy", later["early"] & ~compared, None)
    rows = later["early"] & compared
    _put(frame, "icaht_discrepancy", rows, differs[rows])
    return frame


def _anc_by_patient(labs: pd.DataFrame, chosen: set) -> dict[str, list[Measurement]]:
    """The ANC values in blood of the chosen patients, in 10^9/L as the endpoint converts
    them, by study id."""
    anc = labs[labs["study_id"].isin(chosen) & (labs["analyte"] == "anc")]
    anc = anc[anc["specimen"] == "pb"]
    factors = {unit: series_factor("anc", unit) for unit in set(anc["unit"])}
    found = defaultdict(list)
    columns = ("study_id", "day", "value", "unit", "below_detection")
    for study_id, day, value, unit, below in zip(*(anc[c] for c in columns), strict=True):
        level = value if factors[unit] == 1 else float(Fraction(value) * factors[unit])
        found[study_id].append(Measurement(day, level, below))
    return found


def _icaht_grade(
    grade: str,
    anc: list[Measurement],
    events: list[tuple],
    *,
    infused,
    day: int,
    last_contact,
) -> int | None:
    event_days = icaht.first_event_days(events, infused)
    if grade == "late":
        return icaht.course_late_icaht(anc, event_days).grade
    followed_to = min(filter(None, [last_contact, infused + timedelta(days=day)]))
    followed = icaht.last_day_followed(event_days, infused, followed_to)
    return icaht.early_icaht(anc, followed_until=followed).grade


def kinetics_at_cutoff(frame: pd.DataFrame, series: DaySeries, cutoff: str) -> pd.DataFrame:
    """The frame as at_cutoff cuts it, with the kinetics of the patients counted after the
    cut-off taken from their counts up to it."""
    frame, (later, counts) = _at_cutoff_with(frame, series.counts, cutoff)
    rows = frame["study_id"].isin(later).to_numpy()
    counts = counts.sort_values(["study_id", "day"])
    study_ids = counts["study_id"].to_numpy()
    days = counts["day"].to_numpy(dtype=float)
    levels = counts["cells_per_ul"].to_numpy(dtype=float)
    # Each patient's counts, in day order, from its first to the next patient's.
    bounds = np.r_[np.unique(study_ids, return_index=True)[1], len(study_ids)]
    measures = {
        study_ids[start]: _kinetics(days[start:end], levels[start:end])
        for start, end in pairwise(bounds)
    }
    chosen = frame.loc[rows, "study_id"]
    for column in ("car_t_detected", *KINETIC_MEASURES):
        values = [measures.get(study_id, {}).get(column) for study_id in chosen]
        _put(frame, column, rows, np.array(values, dtype=object))
    return frame


def _at_cutoff_with(
    frame: pd.DataFrame, days: pd.DataFrame, cutoff: str
) -> tuple[pd.DataFrame, tuple[set, pd.DataFrame]]:
    """at_cutoff's frame; the patients with days after the cut-off, and their days up to it."""
    frame = at_cutoff(frame, cutoff)
    known_days = (pd.Timestamp(cutoff) - pd.to_datetime(frame["infusion_date"])).dt.days
    last_day = pd.Series(known_days.to_numpy(), index=frame["study_id"].to_numpy())
    last = days["study_id"].map(last_day)
    later = set(days.loc[days["day"] > last, "study_id"])
    return frame, (later, days[days["study_id"].isin(later) & (days["day"] <= last)])


def _put(frame: pd.DataFrame, column: str, rows: np.ndarray, values: np.ndarray) -> None:
    """The column with `values` in its `rows`, as objects: a value may be missing."""
    column_values = frame[column].to_numpy(dtype=object, copy=True)
    column_values[rows] = values
    frame[column] = column_values


def _kinetics(days: np.ndarray, levels: np.ndarray) -> dict:
    detected = levels > 0
    return {
        "car_t_detected": bool(detected.any()),
        "car_t_cmax_cells_per_ul": levels.max(),
        "car_t_tmax_day": days[levels.argmax()] if detected.any() else None,
        "car_t_auc_0_28": _auc_0_28(days, levels),
        "car_t_last_detected_day": days[detected].max() if detected.any() else None,
    }


def _auc_0_28(days: np.ndarray, levels: np.ndarray) -> float:
    """Trapezoids from day 0 (0 there unless counted) to day 28, or the last count before."""
    if days[0] > 0:
        days, levels = np.r_[0.0, days], np.r_[0.0, levels]
    end = min(AUC_END_DAY, days[-1])
    points = np.union1d(days[days <= end], [end])
    return float(np.trapezoid(np.interp(points, days, levels), points))
