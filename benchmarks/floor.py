"""The in-memory floor of each analytics endpoint: its statistics computed directly with
pandas, lifelines and scipy from a data frame of the analysis dataset's rows already in
memory (`pd.DataFrame(analytics.dataset.analysis_rows(...))`, untyped).

No database, no cache, no typed analysis frame, no report shaping and no JSON, except
where an endpoint's answer is a list of patients (the dataset, the kinetics and the grade
discrepancies): pandas writes those rows as JSON here, since writing them is most of what
those endpoints do. An endpoint's cold time over its floor is what the registry adds to the
statistics themselves.

Written independently of analytics.stats and analytics.reports on purpose: a floor built
from the code it measures would hide that code's cost. tests/benchmarks/test_floor.py
checks that each floor's figures are the endpoint's.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from scipy import stats

from analytics.lab_series import VISIT_DAYS
from registry.analytes import ANALYTES

ALPHA = 0.05
RELAPSE, NRM = 1, 2
# The time of the event behind a covariate that changes after the infusion.
TIMED_BY = {"hct_after_infusion": "hct_months"}
KINETIC_MEASURES = (
    "car_t_cmax_cells_per_ul",
    "car_t_tmax_day",
    "car_t_auc_0_28",
    "car_t_last_detected_day",
)


def yes(column: pd.Series) -> np.ndarray:
    """True where the value is True: missing (None, NaN) is not."""
    return column.eq(True).to_numpy()


def no(column: pd.Series) -> np.ndarray:
    return column.eq(False).to_numpy()


def dataset(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="records", date_format="iso")


def response(frame: pd.DataFrame, *, by: str, cut: float | None = None) -> dict:
    """Day-30 response rate with its exact interval, overall and by `by`; Fisher's exact
    test between two groups."""
    assessed = frame[frame["responder"].notna()]
    labels = _labels(assessed[by], cut)
    groups = {
        label: _rate(assessed["responder"][labels == label]) for label in labels.dropna().unique()
    }
    p_value = None
    if len(groups) == 2:
        table = [[g["responders"], g["n"] - g["responders"]] for g in groups.values()]
        p_value = stats.fisher_exact(table).pvalue
    return {**_rate(assessed["responder"]), "groups": groups, "p_value": p_value}


def _labels(values: pd.Series, cut: float | None) -> pd.Series:
    if cut is None:
        return values.astype(object)
    labels = np.where(values.astype(float) < cut, f"<{cut:g}", f">={cut:g}")
    return pd.Series(labels, index=values.index, dtype=object).where(values.notna())


def _rate(responder: pd.Series) -> dict:
    n, responders = len(responder), int(yes(responder).sum())
    ci = stats.binomtest(responders, n).proportion_ci(1 - ALPHA, method="exact")
    return {"n": n, "responders": responders, "rate": responders / n, "ci95": (ci.low, ci.high)}


def survival(
    frame: pd.DataFrame,
    *,
    endpoint: str,
    population: str,
    by: str,
    times: Sequence[float],
    landmark: float | None = None,
) -> dict:
    """Kaplan–Meier in each of two groups at `times`, with medians and their intervals, and
    the log-rank test. EFS of all patients counts non-response as an event at month 0. At a
    landmark: the patients still at risk, time from the landmark, and `by` (an event after
    the infusion, timed by TIMED_BY[by]) as of the landmark."""
    if population == "responders":
        frame = frame[yes(frame["responder"])]
    months = frame[f"{endpoint}_months"].to_numpy(dtype=float)
    events = yes(frame[f"{endpoint}_event"])
    if endpoint == "efs" and population == "all":
        refractory = no(frame["responder"])
        months, events = np.where(refractory, 0.0, months), events | refractory
    group = frame[by].astype(object)
    keep = ~np.isnan(months) & group.notna().to_numpy()
    if landmark is not None:
        group = group.where(~yes(group) | (frame[TIMED_BY[by]] <= landmark), False)
        keep &= (months > landmark) | ((months == landmark) & ~events)
        months = months - landmark
    months, events, group = months[keep], events[keep], group.to_numpy()[keep]
    first, second = (group == label for label in pd.unique(group))
    return {
        "groups": {
            label: _kaplan_meier(months[group == label], events[group == label], times)
            for label in pd.unique(group)
        },
        "logrank_p": logrank_test(
            months[first], months[second], events[first], events[second]
        ).p_value,
    }


def _kaplan_meier(months: np.ndarray, events: np.ndarray, times: Sequence[float]) -> dict:
    kmf = KaplanMeierFitter(alpha=ALPHA).fit(months, events)
    table = kmf.survival_function_.join(kmf.confidence_interval_)
    return {
        "n": len(months),
        "events": int(events.sum()),
        "median": kmf.median_survival_time_,
        "median_ci95": tuple(median_survival_times(kmf.confidence_interval_).iloc[0]),
        "at": {t: _at(table, months.max(), t) for t in times},
    }


def _at(table: pd.DataFrame, last: float, t: float) -> tuple | None:
    """(estimate, lower, upper) in force at time t; None after the last observation."""
    if t > last:
        return None
    row = np.searchsorted(table.index.to_numpy(), t, side="right") - 1
    estimate, lower, upper = table.iloc[max(row, 0)]
    return estimate, min(lower, upper), max(lower, upper)


def follow_up(frame: pd.DataFrame) -> dict:
    known = frame[frame["followup_months"].notna()]
    months, died = known["followup_months"].to_numpy(dtype=float), yes(known["death"])
    alive = months[~died]
    reverse = KaplanMeierFitter().fit(months, ~died)
    return {
        "median": np.median(alive),
        "range": (alive.min(), alive.max()),
        "reverse_km_median": reverse.median_survival_time_,
    }


def incidence(frame: pd.DataFrame, *, times: Sequence[float]) -> dict:
    """Among responders: cumulative incidence of relapse and of non-relapse mortality
    (Aalen–Johansen) and relapse-free survival (Kaplan–Meier) at `times`."""
    responders = frame[yes(frame["responder"]) & frame["efs_months"].notna()]
    months = responders["efs_months"].to_numpy(dtype=float)
    cause = np.where(yes(responders["nrm"]), NRM, RELAPSE)
    outcome = np.where(yes(responders["efs_event"]), cause, 0)
    # AalenJohansenFitter jitters tied times at random and sets the incidence at its first
    # time to 0. Every time a month later, and each NRM death a hair before the relapses and
    # censorings at its time, gives the exact estimates (tied events may come in any order).
    hair = np.diff(np.unique(months)).min(initial=1.0) / 4
    durations = months + 1.0 - np.where(outcome == NRM, hair, 0.0)
    result = {"n": len(months), "rfs": _kaplan_meier(months, outcome != 0, times)["at"]}
    for name, code in (("relapse", RELAPSE), ("nrm", NRM)):
        ajf = AalenJohansenFitter(alpha=ALPHA).fit(durations, outcome, event_of_interest=code)
        table = ajf.cumulative_density_.join(ajf.confidence_interval_)
        result[name] = {t: _at(table, months.max() + 1.0, t + 1.0) for t in times}
    return result


def toxicity(frame: pd.DataFrame) -> dict:
    grades = {}
    for grade in ("crs_grade", "icans_grade"):
        for column in (grade, f"{grade}_recorded", f"{grade}_computed"):
            grades[column] = frame[column].value_counts().to_dict()
        grades[f"{grade}_any"] = int((frame[grade] >= 1).sum())
        grades[f"{grade}_3_or_higher"] = int((frame[grade] >= 3).sum())
    for column in ("icaht_early_grade", "icaht_late_grade", "icaht_grade_recorded"):
        grades[column] = frame[column].value_counts().to_dict()
    icaht_found = frame[yes(frame["icaht_discrepancy"])]
    icaht_columns = ["study_id", "icaht_grade_recorded", "icaht_early_grade"]
    treatments = {
        name: (int(frame[name].notna().sum()), int(yes(frame[name]).sum()))
        for name in ("tocilizumab", "corticosteroids", "plasmapheresis")
    }
    found = frame[yes(frame["grade_discrepancy"])]
    columns = [
        "study_id",
        "crs_grade_recorded",
        "crs_grade_computed",
        "icans_grade_recorded",
        "icans_grade_computed",
    ]
    return {
        **grades,
        "crs_onset_day": _summary(frame["crs_onset_day"]),
        **treatments,
        "compared": int(frame["grade_discrepancy"].notna().sum()),
        "discrepancies": len(found),
        "patients": found[columns].to_json(orient="records"),
        "icaht_compared": int(frame["icaht_discrepancy"].notna().sum()),
        "icaht_patients": icaht_found[icaht_columns].to_json(orient="records"),
    }


PEAKS = {  # the peak column and its day's
    "il6": ("il6_peak_pg_ml", "il6_peak_day"),
    "ifng": ("ifng_peak_pg_ml", "ifng_peak_day"),
    "il10": ("il10_peak_pg_ml", "il10_peak_day"),
    "ferritin": ("ferritin_peak_ng_ml", "ferritin_peak_day"),
    "crp": ("crp_peak_mg_l", "crp_peak_day"),
}


def biomarkers(frame: pd.DataFrame) -> dict:
    """Each cytokine's peak: median and range overall and in CRS grade 0-1 and 2 or
    higher, the peak day's, and the two groups' Mann-Whitney p (exact below 50 a group
    without ties, as R's wilcox.test)."""
    grade = pd.to_numeric(frame["crs_grade"])
    result = {}
    for analyte, (column, day_column) in PEAKS.items():
        peaks = pd.to_numeric(frame[column])
        groups = [peaks[grade < 2].dropna(), peaks[grade >= 2].dropna()]
        result[analyte] = {
            "overall": _summary(peaks),
            "peak_day": _summary(pd.to_numeric(frame[day_column])),
            "groups": [_summary(group) for group in groups],
            "p": _mann_whitney(*(group.to_numpy(dtype=float) for group in groups)),
        }
    return result


def _mann_whitney(first: np.ndarray, second: np.ndarray) -> float | None:
    pooled = np.r_[first, second]
    if not (len(first) and len(second)) or len(np.unique(pooled)) == 1:
        return None
    untied = len(np.unique(pooled)) == len(pooled)
    method = "exact" if max(len(first), len(second)) < 50 and untied else "asymptotic"
    return stats.mannwhitneyu(first, second, method=method).pvalue


def bca_survival(frame: pd.DataFrame, *, times: Sequence[float]) -> dict:
    """Kaplan-Meier of the time from B-cell aplasia to recovery, in months, among the
    patients with aplasia."""
    aplastic = frame[pd.to_numeric(frame["bca_duration_days"]).notna()]
    months = pd.to_numeric(aplastic["bca_duration_days"]).to_numpy(dtype=float) / 30.4375
    return _kaplan_meier(months, yes(aplastic["bca_recovery_event"]), times)


def _summary(values: pd.Series) -> dict | None:
    kept = values.dropna().to_numpy(dtype=float)
    if not len(kept):
        return None
    positive = kept[kept > 0]
    return {
        "median": np.median(kept),
        "min": kept.min(),
        "max": kept.max(),
        "geometric_mean": stats.gmean(positive) if len(positive) else None,
    }


def kinetics(frame: pd.DataFrame) -> dict:
    """Each measure's summary among patients with detectable cells, overall and by day-30
    response, and every patient's measures."""
    detected = frame[yes(frame["car_t_detected"])]
    parts = {
        "all": detected,
        "responders": detected[yes(detected["responder"])],
        "non_responders": detected[no(detected["responder"])],
    }
    columns = ["study_id", "responder", "car_t_detected", *KINETIC_MEASURES]
    return {
        **{
            name: {measure: _summary(part[measure]) for measure in KINETIC_MEASURES}
            for name, part in parts.items()
        },
        "patients": frame[columns].to_json(orient="records"),
    }


def characteristics(frame: pd.DataFrame) -> dict:
    """Table 1's counts and the median age."""
    emd = frame[frame["disease_status"].isin(["bm_and_emd", "emd_only"])]
    interval = pd.cut(frame["mcd19_interval_months"], [0, 6, 12, np.inf], right=False)
    return {
        "age_median": frame["age_years"].median(),
        **{
            column: frame[column].value_counts().to_dict()
            for column in ("age_group", "sex", "prior_allo_hct", "prior_cd22_cart")
        },
        "disease_status": frame["disease_status"].value_counts().to_dict(),
        "cns": int(yes(emd["cns_involvement"]).sum()),
        "ph_like": int(yes(frame["ph_like"]).sum()),
        "intervals": interval.value_counts(sort=False).tolist(),
    }


def outcomes(frame: pd.DataFrame) -> dict:
    """Table 2's counts: grades, day-30 response, and relapses and deaths by response and
    transplant."""
    by = {"responder": frame["responder"], "hct": frame["hct_after_infusion"]}
    counts = pd.DataFrame({"relapsed": yes(frame["relapse"]), "died": yes(frame["death"])})
    return {
        "crs_grade": frame["crs_grade"].value_counts().to_dict(),
        "icans_grade": frame["icans_grade"].value_counts().to_dict(),
        "d30_response": frame["d30_response"].value_counts(dropna=False).to_dict(),
        "follow_up": counts.groupby([by["responder"], by["hct"]]).sum().to_dict("index"),
    }


def lab_series(frame: pd.DataFrame, labs: pd.DataFrame, *, analyte: str, cutoff: str) -> dict:
    """The lab series endpoint's figures for one analyte in blood, in its own unit, at the
    clinical cut-off: visit day -> (patients, median, first quartile, third quartile).

    Each value goes to the nearest day of the visit grid (the earlier on a tie; the grid is
    the protocol's, analytics.lab_series.VISIT_DAYS), each patient once per visit with the
    value nearest it, below detection as 0; values after the cut-off, and the patients
    infused after it, left out."""
    days_known = (pd.Timestamp(cutoff) - pd.to_datetime(frame["infusion_date"])).dt.days
    last_day = pd.Series(days_known.to_numpy(), index=frame["study_id"])
    last_day = last_day[last_day >= 0]
    chosen = labs[(labs["analyte"] == analyte) & (labs["specimen"] == "pb")]
    chosen = chosen[chosen["day"] <= chosen["study_id"].map(last_day).astype(float)]
    factors = {unit: float(factor) for unit, factor in ANALYTES[analyte].units.items()}
    levels = chosen["value"] * chosen["unit"].map(factors).astype(float)
    days = chosen["day"].to_numpy()
    after = np.clip(np.searchsorted(VISIT_DAYS, days), 1, len(VISIT_DAYS) - 1)
    before_day, after_day = VISIT_DAYS[after - 1], VISIT_DAYS[after]
    visit = np.where(days - before_day <= after_day - days, before_day, after_day)
    values = pd.DataFrame(
        {
            "study_id": chosen["study_id"].array,
            "visit": np.where(days <= 0, 0, visit),
            "day": days,
            "level": levels.where(~chosen["below_detection"], 0.0).to_numpy(),
        }
    )
    values["off_by"] = (values["day"] - values["visit"]).abs()
    nearest = values.sort_values(["study_id", "visit", "off_by", "day"]).drop_duplicates(
        ["study_id", "visit"]
    )
    levels_by_visit = nearest.groupby("visit")["level"]
    table = levels_by_visit.agg(["size", "median"])
    table["q1"] = levels_by_visit.quantile(0.25)
    table["q3"] = levels_by_visit.quantile(0.75)
    return {
        int(visit): tuple(row) for visit, row in zip(table.index, table.to_numpy(), strict=True)
    }
