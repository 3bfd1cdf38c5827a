"""Statistics for the registry's reports: plain functions over sequences, no ORM.

Times are in months (days / registry.units.MONTH_DAYS). Every confidence interval is
two-sided 95%. tests/analytics/test_stats.py pins each function to published or
hand-computed values.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats
from scipy.special import gammaln

ALPHA = 0.05
RELAPSE, NRM = 1, 2
# Above this many candidate tables an exact r x 2 test gives way to chi-square.
EXACT_TABLE_LIMIT = 10**6


@dataclass(frozen=True)
class Proportion:
    n: int
    successes: int
    rate: float | None
    ci95: tuple[float, float] | None


def proportion(successes: int, n: int) -> Proportion:
    """Rate with its exact Clopper–Pearson interval."""
    if n == 0:
        return Proportion(0, successes, None, None)
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=1 - ALPHA, method="exact")
    return Proportion(n, successes, successes / n, (float(ci.low), float(ci.high)))


@dataclass(frozen=True)
class Association:
    test: str  # "fisher_exact", "fisher_freeman_halton", "chi_square" or "none"
    p_value: float | None


def response_association(groups: Sequence[tuple[int, int]]) -> Association:
    """Test whether the response rate differs between groups, each given as (n, responders).

    Two groups: two-sided Fisher's exact test. More: the Fisher–Freeman–Halton exact test
    (scipy 1.17's fisher_exact only samples r x c tables, by Monte Carlo) while the number of
    tables to enumerate stays under EXACT_TABLE_LIMIT, otherwise Pearson's chi-square.
    Empty groups are left out.
    """
    groups = [(n, responders) for n, responders in groups if n > 0]
    if len(groups) < 2:
        return Association("none", None)
    table = [[responders, n - responders] for n, responders in groups]
    if len(groups) == 2:
        return Association("fisher_exact", float(stats.fisher_exact(table).pvalue))
    sizes, observed = _canonical_r_by_2(groups)
    if _exact_feasible(sizes, observed):
        return Association("fisher_freeman_halton", _fisher_freeman_halton(sizes, observed))
    return Association("chi_square", float(stats.chi2_contingency(table).pvalue))


def _canonical_r_by_2(groups: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Group sizes (largest last) and counts of the rarer outcome, which leave p unchanged."""
    groups = sorted(groups)
    sizes = np.array([n for n, _ in groups])
    observed = np.array([responders for _, responders in groups])
    if 2 * observed.sum() > sizes.sum():
        observed = sizes - observed
    return sizes, observed


def _exact_feasible(sizes: np.ndarray, observed: np.ndarray) -> bool:
    rarer = int(observed.sum())
    return math.prod(min(int(n), rarer) + 1 for n in sizes[:-1]) <= EXACT_TABLE_LIMIT


def _fisher_freeman_halton(sizes: np.ndarray, observed: np.ndarray) -> float:
    """Sum of the probabilities, given the margins, of every r x 2 table no more likely than
    the observed one: scipy's two-sided definition for 2 x 2, extended to r rows."""
    tables = _tables_with_margins(sizes, int(observed.sum()))
    log_p = _log_comb(sizes, tables).sum(axis=1)
    observed_log_p = _log_comb(sizes, observed).sum()
    as_likely = log_p <= observed_log_p + 1e-7  # scipy's relative tolerance for ties
    return float(min(1.0, np.exp(log_p[as_likely] - _log_comb(sizes.sum(), observed.sum())).sum()))


def _tables_with_margins(sizes: np.ndarray, total: int) -> np.ndarray:
    """Every count vector (one row per table) with 0 <= count <= size and the given total."""
    partial = np.zeros((1, 0), dtype=int)
    for n in sizes[:-1]:
        counts = np.arange(min(int(n), total) + 1)
        partial = np.column_stack(
            [np.repeat(partial, len(counts), axis=0), np.tile(counts, len(partial))]
        )
        partial = partial[partial.sum(axis=1) <= total]
    last = total - partial.sum(axis=1)
    fits = last <= sizes[-1]
    return np.column_stack([partial[fits], last[fits]])


def _log_comb(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    return gammaln(np.add(n, 1)) - gammaln(np.add(k, 1)) - gammaln(np.subtract(n, k) + 1)


@dataclass(frozen=True)
class SurvivalPoint:
    month: float
    survival: float | None
    ci95: tuple[float, float] | None
    at_risk: int


@dataclass(frozen=True)
class SurvivalCurve:
    n: int
    events: int
    median_months: float | None
    median_ci95: tuple[float | None, float | None] | None
    estimates: list[SurvivalPoint]
    timeline: list[float]
    survival: list[float]
    ci_lower: list[float]
    ci_upper: list[float]


def kaplan_meier(
    months: Sequence[float], events: Sequence[bool], times: Sequence[float] = ()
) -> SurvivalCurve:
    """Kaplan–Meier curve with log-log (exponential Greenwood) intervals, following R
    `survival` where packages differ (clinical-rules.md, "Survival conventions").

    `estimates` has one point per requested time: S(t), its interval and the number at risk
    (time >= t); survival and interval are None after the last observation or when n == 0.
    The interval is None where S(t) is 0 or 1 (R's NA: the log-log transform is undefined
    there). The median and its limits are found as survival_quantile finds them, None when
    not reached.
    """
    if len(months) == 0:
        empty = [SurvivalPoint(t, None, None, 0) for t in times]
        return SurvivalCurve(0, 0, None, None, empty, [], [], [], [])
    kmf = KaplanMeierFitter(alpha=ALPHA).fit(months, event_observed=events)
    timeline = kmf.survival_function_.index.to_numpy(dtype=float)
    survival = kmf.survival_function_.iloc[:, 0].to_numpy(dtype=float)
    undefined = _at_bound(survival)
    lower, upper = (
        np.where(undefined, np.nan, kmf.confidence_interval_.iloc[:, column].to_numpy(dtype=float))
        for column in (0, 1)
    )
    table = pd.DataFrame({"survival": survival, "lower": lower, "upper": upper}, index=timeline)
    limits = (survival_quantile(timeline, lower), survival_quantile(timeline, upper))
    return SurvivalCurve(
        n=len(months),
        events=int(np.sum(events)),
        median_months=survival_quantile(timeline, survival),
        median_ci95=None if limits == (None, None) else limits,
        estimates=[_survival_at(table, np.asarray(months, float), t) for t in times],
        timeline=timeline.tolist(),
        survival=survival.tolist(),
        ci_lower=lower.tolist(),
        ci_upper=upper.tolist(),
    )


# R's tolerance in quantile.survfit (the square root of the machine epsilon): a survival
# within it of 0.5 is on 0.5, and within it of 0 or 1 at that bound.
TOLERANCE = math.sqrt(np.finfo(float).eps)


def survival_quantile(
    timeline: Sequence[float], survival: Sequence[float], p: float = 0.5
) -> float | None:
    """The time at which a step curve (S at each time of `timeline`, 1 before the first)
    falls to `p`, as R `quantile.survfit` finds it (survival:::findq): the first time
    S(t) < p; where S(t) equals p over a flat stretch, the midpoint of that stretch, or of
    its start and the last time when the curve ends on it. None when never reached. NaN
    values (a confidence limit where it is undefined) are skipped, as R skips its NA.
    """
    times = np.r_[0.0, np.asarray(timeline, dtype=float)]
    failed = np.r_[0.0, 1.0 - np.asarray(survival, dtype=float)]
    target = 1.0 - p
    if not np.nanmax(failed) >= target:
        return None
    last_time = times[-1]
    # The start of each flat stretch (R's duplicated(): the curve only ever steps down).
    distinct = np.r_[True, failed[1:] != failed[:-1]]
    times, failed = times[distinct], failed[distinct]
    known = np.flatnonzero(~np.isnan(failed))
    reached = known[np.searchsorted(failed[known], target - TOLERANCE)]
    if not np.isnan(failed[-1]) and abs(failed[-1] - target) < TOLERANCE:
        return float((times[reached] + last_time) / 2)
    below = np.searchsorted(failed[known], target + TOLERANCE)
    if below == len(known):
        return None
    return float((times[reached] + times[known[below]]) / 2)


def _at_bound(estimates: np.ndarray) -> np.ndarray:
    """Where an estimate is 0 or 1, and so has no log-log (or log) interval."""
    return (np.abs(estimates) < TOLERANCE) | (np.abs(estimates - 1.0) < TOLERANCE)


def _survival_at(table: pd.DataFrame, months: np.ndarray, t: float) -> SurvivalPoint:
    at_risk = int((months >= t).sum())
    if t > months.max():
        return SurvivalPoint(t, None, None, at_risk)
    row = _step_row(table, t)
    return SurvivalPoint(t, float(row.iloc[0]), _interval(row.iloc[1], row.iloc[2]), at_risk)


def _step_row(table: pd.DataFrame, t: float) -> pd.Series:
    """The row of a lifelines step-function table in force at time t (right-continuous)."""
    return table.iloc[max(np.searchsorted(table.index.to_numpy(), t, side="right") - 1, 0)]


def _interval(a: float, b: float) -> tuple[float, float] | None:
    # min/max because AalenJohansenFitter labels its lower bound "upper" and vice versa.
    return None if np.isnan(a) or np.isnan(b) else (float(min(a, b)), float(max(a, b)))


def logrank_p(
    months: Sequence[float], events: Sequence[bool], groups: Sequence[object]
) -> float | None:
    """Log-rank test across all groups (any hashable labels); None with fewer than two, or
    without any event (no information: R's survdiff gives NA, not 1)."""
    # As integer codes: lifelines groups text labels several times slower.
    codes, labels = pd.factorize(np.asarray(groups, dtype=object))
    if len(labels) < 2 or not np.any(events):
        return None
    return float(multivariate_logrank_test(months, codes, events).p_value)


@dataclass(frozen=True)
class FollowUp:
    survivors: int
    median_months: float | None
    range_months: tuple[float, float] | None
    reverse_km_median_months: float | None


def follow_up(months: Sequence[float], died: Sequence[bool]) -> FollowUp:
    """Median follow-up two ways: among survivors (median, range) and by reverse
    Kaplan–Meier, where censoring is the event and death censors."""
    months, died = np.asarray(months, float), np.asarray(died, bool)
    alive = months[~died]
    reverse = kaplan_meier(months, ~died)
    if len(alive) == 0:
        return FollowUp(0, None, None, reverse.median_months)
    span = (float(alive.min()), float(alive.max()))
    return FollowUp(len(alive), float(np.median(alive)), span, reverse.median_months)


@dataclass(frozen=True)
class IncidencePoint:
    month: float
    incidence: float | None  # None after the last observation
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class CompetingRisks:
    n: int
    relapse: list[IncidencePoint]
    nrm: list[IncidencePoint]
    rfs: list[SurvivalPoint]


def competing_risks(
    months: Sequence[float], outcome: Sequence[int], times: Sequence[float]
) -> CompetingRisks:
    """Cumulative incidence of relapse (outcome 1) and of non-relapse mortality (2), by
    Aalen–Johansen, and relapse-free survival (KM of either), at each requested time;
    0 is censored. CIR + NRM + RFS = 1 at every time up to the last observation."""
    months, outcome = np.asarray(months, float), np.asarray(outcome, int)
    rfs = kaplan_meier(months, outcome != 0, times).estimates
    if len(months) == 0:
        none = [IncidencePoint(t, None, None) for t in times]
        return CompetingRisks(0, none, none, rfs)
    relapse, nrm = (_incidence(months, outcome, cause, times) for cause in (RELAPSE, NRM))
    return CompetingRisks(len(months), relapse, nrm, rfs)


def _incidence(
    months: np.ndarray, outcome: np.ndarray, cause: int, times: Sequence[float]
) -> list[IncidencePoint]:
    durations = _untied_durations(months, outcome)
    ajf = AalenJohansenFitter(alpha=ALPHA, calculate_variance=True)
    ajf.fit(durations, outcome, event_of_interest=cause)
    table = ajf.cumulative_density_.join(ajf.confidence_interval_)
    original = dict(zip(durations, months, strict=True))
    table.index = table.index.map(lambda d: original.get(d, -np.inf))  # -inf: its start row
    return [_incidence_at(table, months, t) for t in times]


def _untied_durations(months: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Times that AalenJohansenFitter estimates exactly; map results back to `months`.

    The fitter sets the incidence at the first time of its table to 0, which loses events at
    month 0, and jitters tied times of different causes at random (global numpy seed). One
    month is added to every time, and each non-relapse death moves a quarter of the smallest
    gap between distinct times earlier. Estimates do not change: tied events may be taken in
    any order as long as censorings at the same time come after them.
    """
    distinct = np.unique(months)
    hair = np.diff(distinct).min() / 4 if len(distinct) > 1 else 0.25
    return months + 1.0 - np.where(outcome == NRM, hair, 0.0)


def _incidence_at(table: pd.DataFrame, months: np.ndarray, t: float) -> IncidencePoint:
    if t > months.max():
        return IncidencePoint(t, None, None)
    row = _step_row(table, t)
    incidence = float(row.iloc[0])
    if _at_bound(np.array([incidence]))[0]:
        # Undefined there, as a survival's interval is (kaplan_meier).
        return IncidencePoint(t, incidence, None)
    return IncidencePoint(t, incidence, _interval(row.iloc[1], row.iloc[2]))


# A median of fewer patients than this would be one or two patients' own counts.
MEDIAN_MIN_PATIENTS = 3


@dataclass(frozen=True)
class DailyMedian:
    day: int
    cells_per_ul: float
    patients: int


def car_t_median_by_day(
    samples: Sequence[Sequence[tuple[float, float]]], min_patients: int = MEDIAN_MIN_PATIENTS
) -> list[DailyMedian]:
    """The median CAR-T level across patients on each day after infusion, one list of
    (day, cells/µL) samples per patient.

    Undetectable levels count as 0. A patient with several samples on one day counts once,
    with the median of them. Days before day 0, and days on which fewer than `min_patients`
    patients have a sample, are left out.
    """
    rows = [
        (patient, float(day), float(level))
        for patient, counts in enumerate(samples)
        for day, level in counts
        if day >= 0
    ]
    if not rows:
        return []
    frame = pd.DataFrame(rows, columns=["patient", "day", "level"])
    per_patient = frame.groupby(["day", "patient"])["level"].median()
    by_day = per_patient.groupby(level="day").agg(["median", "size"])
    return [
        DailyMedian(int(day), float(row["median"]), int(row["size"]))
        for day, row in by_day.iterrows()
        if row["size"] >= min_patients
    ]


def summary(values: Sequence[float | None]) -> dict:
    """n, median, min and max of the values given, and the geometric mean of the positive
    ones (None if there are none); missing values (None, NaN) are left out."""
    numbers = np.asarray(values, dtype=float)  # None as NaN
    kept = numbers[~np.isnan(numbers)]
    if len(kept) == 0:
        return {"n": 0, "median": None, "min": None, "max": None, "geometric_mean": None}
    positive = kept[kept > 0]
    return {
        "n": len(kept),
        "median": float(np.median(kept)),
        "min": float(kept.min()),
        "max": float(kept.max()),
        "geometric_mean": float(stats.gmean(positive)) if len(positive) else None,
    }


# Below this many values in each group, and without ties, R's wilcox.test is exact.
EXACT_RANK_SUM_BELOW = 50


def rank_sum_p(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Two-sided Wilcoxon rank-sum (Mann–Whitney U) p, as R's wilcox.test gives it: exact
    when both groups have fewer than 50 values and none is tied, else the normal
    approximation with continuity correction and the ties' correction. None when a group
    is empty or every value is the same (R: NaN)."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    distinct = len(np.unique(np.concatenate([a, b])))
    # Every value the same has no ranks to compare: scipy says 1, R NaN.
    if len(a) == 0 or len(b) == 0 or distinct == 1:
        return None
    exact = max(len(a), len(b)) < EXACT_RANK_SUM_BELOW and distinct == len(a) + len(b)
    method = "exact" if exact else "asymptotic"
    return float(stats.mannwhitneyu(a, b, alternative="two-sided", method=method).pvalue)
