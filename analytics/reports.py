"""The statistics endpoints' results, computed from an analysis frame (see analytics.cohort).

Each function takes the patients already filtered and returns plain JSON-ready values
(no numpy types, no NaN); the statistics themselves are those of analytics.stats.
"""

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics import stats
from analytics.cohort import (
    RESPONDERS,
    TimeToEvent,
    crs_onset_days,
    group_order,
    groups,
    is_true,
    time_to_event,
)
from registry.choices import ResponseStatus

ASTCT_GRADES = range(6)  # 0 to 5
ICAHT_GRADES = range(5)  # 0 to 4
DEFAULT_TIMES = (6.0, 12.0, 18.0, 24.0)


def response_report(
    frame: pd.DataFrame, *, by: str | None = None, cut: float | None = None
) -> dict:
    """Day-30 response rate (CR or CRi) among patients assessed, overall and by a covariate."""
    # Only the columns read: selecting rows copies every column.
    read = ["responder", "d30_response"]
    read += [by] if by and by not in read else []
    assessed = frame[read][frame["responder"].notna().to_numpy()]
    overall = _rate(assessed)
    result = {**overall, "by": by, "groups": [], "test": "none", "p_value": None}
    if by is None:
        return result
    labels = groups(assessed, by, cut)
    rates = [
        {"value": _plain(value), **_rate(assessed[(labels == value).to_numpy()])}
        for value in group_order(labels)
    ]
    association = stats.response_association([(rate["n"], rate["responders"]) for rate in rates])
    return {**result, "groups": rates, "test": association.test, "p_value": association.p_value}


def _rate(assessed: pd.DataFrame) -> dict:
    rate = stats.proportion(int(is_true(assessed["responder"]).sum()), len(assessed))
    return {
        "n": rate.n,
        "not_evaluable": int((assessed["d30_response"] == ResponseStatus.NOT_EVALUABLE).sum()),
        "responders": rate.successes,
        "rate": rate.rate,
        "ci95": _pair(rate.ci95),
    }


def survival_report(
    frame: pd.DataFrame,
    *,
    endpoint: str,
    population: str,
    by: str | None = None,
    cut: float | None = None,
    times: Sequence[float] = DEFAULT_TIMES,
    landmark: float | None = None,
) -> dict:
    """Kaplan–Meier estimates at `times` (months from the infusion, or from the landmark)."""
    data = time_to_event(frame, endpoint, population, landmark, covariates=[by] if by else [])
    result = {"endpoint": endpoint, "population": population, "landmark": landmark, "by": by}
    if by is None:
        curves = [_curve(None, data.months, data.events, times)]
        return {**result, "groups": curves, "logrank_p": None}
    labels = groups(data.frame, by, cut).to_numpy()
    known = pd.notna(labels)
    curves = [
        _curve(_plain(value), data.months[labels == value], data.events[labels == value], times)
        for value in group_order(pd.Series(labels))
    ]
    logrank = stats.logrank_p(data.months[known], data.events[known], labels[known])
    return {**result, "groups": curves, "logrank_p": logrank}


def _curve(value, months: np.ndarray, events: np.ndarray, times: Sequence[float]) -> dict:
    curve = stats.kaplan_meier(months, events, times)
    return {
        "value": value,
        "n": curve.n,
        "events": curve.events,
        "median_months": curve.median_months,
        "median_ci95": _pair(curve.median_ci95),
        "estimates": [
            {
                "month": point.month,
                "survival": point.survival,
                "ci95": _pair(point.ci95),
                "at_risk": point.at_risk,
            }
            for point in curve.estimates
        ],
        "curve": {
            "months": _floats(curve.timeline),
            "survival": _floats(curve.survival),
            "ci95_lower": _floats(curve.ci_lower),
            "ci95_upper": _floats(curve.ci_upper),
            "censored_months": sorted(_floats(np.asarray(months, float)[~np.asarray(events)])),
        },
    }


def follow_up_report(frame: pd.DataFrame) -> dict:
    """Median follow-up among survivors (with range) and by reverse Kaplan–Meier."""
    months = frame["followup_months"].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(months)
    result = stats.follow_up(months[known], is_true(frame["death"])[known])
    return {
        "survivors": result.survivors,
        "median_months": result.median_months,
        "range_months": _pair(result.range_months),
        "reverse_km_median_months": result.reverse_km_median_months,
    }


def incidence_report(
    frame: pd.DataFrame, *, population: str = RESPONDERS, times: Sequence[float] = DEFAULT_TIMES
) -> dict:
    """Cumulative incidence of relapse and of non-relapse mortality (Aalen–Johansen) and
    relapse-free survival; with all patients, non-response is a disease failure at day 0."""
    data: TimeToEvent = time_to_event(frame, "rfs", population)
    result = stats.competing_risks(data.months, data.outcome, times)
    return {
        "population": population,
        "n": result.n,
        "relapse": [_incidence(point) for point in result.relapse],
        "nrm": [_incidence(point) for point in result.nrm],
        "rfs": [
            {"month": p.month, "survival": p.survival, "ci95": _pair(p.ci95), "at_risk": p.at_risk}
            for p in result.rfs
        ],
    }


def _incidence(point: stats.IncidencePoint) -> dict:
    return {"month": point.month, "incidence": point.incidence, "ci95": _pair(point.ci95)}


def toxicity_report(frame: pd.DataFrame) -> dict:
    """CRS and ICANS grades (as analysed, as recorded by the site, as computed), CRS onset
    (as analysed: crs_onset_days), treatments given, the patients whose recorded grade differs
    from the computed one, and neutrophil ICAHT (computed early and late grades, the
    recorded early grade, and the patients whose recorded grade differs from the computed
    one)."""
    return {
        "n": len(frame),
        "crs": _grades(frame, "crs_grade"),
        "icans": _grades(frame, "icans_grade"),
        "crs_onset_day": stats.summary(_numbers(crs_onset_days(frame))),
        "treatments": {
            name: _count(frame[name])
            for name in ("tocilizumab", "corticosteroids", "plasmapheresis")
        },
        "discrepancies": _discrepancies(frame),
        "icaht": _icaht(frame),
    }


def _grades(frame: pd.DataFrame, column: str) -> dict:
    analysed = frame[column]
    return {
        "distribution": _distribution(analysed),
        "recorded": _distribution(frame[column.replace("_grade", "_grade_recorded")]),
        "computed": _distribution(frame[f"{column}_computed"]),
        "any_grade": int((analysed >= 1).sum()),
        "grade_3_or_higher": int((analysed >= 3).sum()),
    }


def _distribution(grades: pd.Series, scale: range = ASTCT_GRADES) -> list[dict]:
    counts = grades.value_counts()  # of the known grades
    known = int(counts.sum())
    return [
        {
            "grade": grade,
            "n": int(counts.get(grade, 0)),
            "percent": _percent(counts.get(grade, 0), known),
        }
        for grade in scale
    ]


def _icaht(frame: pd.DataFrame) -> dict:
    early, late = frame["icaht_early_grade"], frame["icaht_late_grade"]
    columns = ("study_id", "icaht_grade_recorded", "icaht_early_grade")
    found = frame.loc[is_true(frame["icaht_discrepancy"]), list(columns)]
    return {
        "early": _distribution(early, ICAHT_GRADES),
        "late": _distribution(late, ICAHT_GRADES),
        "recorded": _distribution(frame["icaht_grade_recorded"], ICAHT_GRADES),
        "early_grade_3_or_higher": int((early >= 3).sum()),
        "late_grade_3_or_higher": int((late >= 3).sum()),
        "discrepancies": {
            "compared": int(frame["icaht_discrepancy"].notna().sum()),
            "n": len(found),
            "patients": _records(found, {name: name for name in columns}),
        },
    }


def _count(flags: pd.Series) -> dict:
    return {"recorded": int(flags.notna().sum()), "given": int(is_true(flags).sum())}


def _discrepancies(frame: pd.DataFrame) -> dict:
    columns = (
        "study_id",
        "crs_grade_recorded",
        "crs_grade_computed",
        "icans_grade_recorded",
        "icans_grade_computed",
    )
    found = frame.loc[is_true(frame["grade_discrepancy"]), list(columns)]
    return {
        "compared": int(frame["grade_discrepancy"].notna().sum()),
        "n": len(found),
        "patients": _records(found, {name: name for name in columns}),
    }


KINETIC_MEASURES = {
    "cmax_cells_per_ul": "car_t_cmax_cells_per_ul",
    "tmax_day": "car_t_tmax_day",
    "auc_0_28": "car_t_auc_0_28",
    "last_detected_day": "car_t_last_detected_day",
}


def kinetics_report(frame: pd.DataFrame) -> dict:
    """Per-patient expansion and persistence; cohort median and range among patients with
    detectable cells, overall and by day-30 response."""
    measured = ["responder", *KINETIC_MEASURES.values()]
    detected = frame.loc[is_true(frame["car_t_detected"]), measured]
    by_response = {
        "responders": detected[is_true(detected["responder"])],
        "non_responders": detected[detected["responder"].eq(False).fillna(False).to_numpy(bool)],
    }
    columns = {
        "study_id": "study_id",
        "responder": "responder",
        "detected": "car_t_detected",
        **KINETIC_MEASURES,
    }
    return {
        "n": len(frame),
        "with_counts": int(frame["car_t_detected"].notna().sum()),
        "detected": len(detected),
        "summary": _kinetic_summary(detected),
        "by_response": {name: _kinetic_summary(part) for name, part in by_response.items()},
        "patients": _records(frame, columns),
    }


def _kinetic_summary(frame: pd.DataFrame) -> dict:
    summary = {
        name: stats.summary(_numbers(frame[column])) for name, column in KINETIC_MEASURES.items()
    }
    return {"n": len(frame), **summary}


def _records(frame: pd.DataFrame, columns: dict[str, str]) -> list[dict]:
    """One dict per row, key -> the column's plain value; column by column, because ten
    thousand patients' rows one at a time take most of a report's time."""
    values = [_plain_column(frame[column]) for column in columns.values()]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _plain_column(column: pd.Series) -> list:
    """The column's values as _plain makes them (None where missing), converted by pandas
    all at once."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


def _numbers(column: pd.Series) -> np.ndarray:
    """The column as floats, NaN where missing."""
    return column.to_numpy(dtype=float, na_value=np.nan)


def _percent(count: int, total: int) -> float | None:
    return None if total == 0 else 100 * int(count) / total


def _pair(values) -> list | None:
    return None if values is None else [_plain(value) for value in values]


def _floats(values) -> list:
    """_plain of each value; an array of numbers (a curve's tens of thousands of steps)
    converted whole, as it gives the same values for a fraction of the cost."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.tolist()
    if array.dtype.kind == "f":
        plain = array.astype(object)
        plain[np.isnan(array)] = None
        return plain.tolist()
    return [_plain(value) for value in values]


def _plain(value):
    """A JSON-ready Python value: numpy scalars unwrapped, NaN and pandas NA as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value
