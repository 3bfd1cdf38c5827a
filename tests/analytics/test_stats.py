"""Reference values for analytics.stats, each with its source.

"The paper" is An et al., humanized CD19 CAR-T after murine CD19 CAR-T, BMC Cancer 2022. Hand computations are written out
so that they do not share code with the module under test.
"""

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy.stats import beta, chi2

from analytics.stats import (
    DailyMedian,
    FollowUp,
    Proportion,
    car_t_median_by_day,
    competing_risks,
    follow_up,
    kaplan_meier,
    logrank_p,
    proportion,
    rank_sum_p,
    response_association,
    summary,
)
from registry.units import MONTH_DAYS

# R's survival::aml, Maintained group (x == "Maintained"); status 0 is censored ("+").
AML_MAINTAINED_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_MAINTAINED_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
AML_NONMAINTAINED_TIME = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_NONMAINTAINED_EVENT = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def test_month_is_a_twelfth_of_a_julian_year():
    assert MONTH_DAYS == 30.4375


# --- proportion ---------------------------------------------------------------------------


def test_it_gives_the_clopper_pearson_interval_of_clinical_rules():
    # clinical-rules.md, Statistics: 10/11 -> 58.7-99.8%.
    result = proportion(10, 11)
    assert abs(result.rate - 10 / 11) < 1e-12
    assert abs(result.ci95[0] - 0.587) < 0.0005
    assert abs(result.ci95[1] - 0.998) < 0.0005


def test_it_matches_the_beta_quantile_definition_of_clopper_pearson():
    # Clopper & Pearson 1934: lower = Beta(a/2; x, n-x+1), upper = Beta(1-a/2; x+1, n-x).
    # 13/19 is the paper's CR rate (68%).
    result = proportion(13, 19)
    assert abs(result.ci95[0] - beta.ppf(0.025, 13, 7)) < 1e-9
    assert abs(result.ci95[1] - beta.ppf(0.975, 14, 6)) < 1e-9


def test_it_gives_the_closed_form_upper_bound_for_no_successes():
    # With x = 0 the upper bound solves (1-p)^n = a/2: p = 1 - 0.025^(1/n).
    result = proportion(0, 5)
    assert result.ci95[0] == 0.0
    assert abs(result.ci95[1] - (1 - 0.025 ** (1 / 5))) < 1e-9


def test_it_has_no_rate_for_an_empty_group():
    assert proportion(0, 0) == Proportion(0, 0, None, None)


# --- response_association -----------------------------------------------------------------


@pytest.mark.parametrize(
    "groups, expected",
    [
        # The paper, Results: CR 4/10 post-HCT vs 9/9 pre-HCT, p = 0.0108.
        ([(10, 4), (9, 9)], 0.0108),
        # The paper: 7/11 with vs 6/8 without prior CD22 CAR-T, p = 1.0.
        ([(11, 7), (8, 6)], 1.0),
        # The paper: 8/10 <12 months vs 5/9 >12 months since mCD19 CAR-T, p = 0.3498.
        ([(10, 8), (9, 5)], 0.3498),
    ],
)
def test_it_reproduces_the_papers_fisher_tests(groups, expected):
    result = response_association(groups)
    assert result.test == "fisher_exact"
    assert abs(result.p_value - expected) < 0.00005


def test_it_gives_the_hand_enumerated_freeman_halton_p_for_three_groups():
    # Groups 2/2, 0/2, 1/2: N = 6, 3 responders, so P(table) = prod C(2, x_i) / C(6, 3).
    # The six permutations of (2, 1, 0) each have 2/20; (1, 1, 1) has 8/20. The observed
    # table is a permutation of (2, 1, 0), so p = 6 * 2/20 = 0.6.
    result = response_association([(2, 2), (2, 0), (2, 1)])
    assert result.test == "fisher_freeman_halton"
    assert abs(result.p_value - 0.6) < 1e-12


def _freeman_halton_by_enumeration(groups):
    """Every table with the observed margins, in exact integer arithmetic."""
    sizes = [n for n, _ in groups]
    responders = sum(x for _, x in groups)

    def weight(counts):
        return math.prod(math.comb(n, x) for n, x in zip(sizes, counts, strict=True))

    tables = [c for c in itertools.product(*(range(n + 1) for n in sizes)) if sum(c) == responders]
    observed = weight([x for _, x in groups])
    extreme = sum(weight(c) for c in tables if weight(c) <= observed)
    return extreme / math.comb(sum(sizes), responders)


@pytest.mark.parametrize(
    "groups",
    [
        [(10, 4), (9, 9), (6, 3)],
        [(5, 1), (7, 6), (4, 2), (6, 5)],
        [(12, 11), (8, 2), (3, 3)],  # more responders than non-responders overall
    ],
)
def test_it_agrees_with_brute_force_enumeration_for_several_groups(groups):
    result = response_association(groups)
    assert result.test == "fisher_freeman_halton"
    assert abs(result.p_value - _freeman_halton_by_enumeration(groups)) < 1e-10


def test_it_falls_back_to_pearson_chi_square_for_large_tables():
    groups = [(1500, 700), (1400, 760), (1600, 790), (1300, 640)]
    table = np.array([[x, n - x] for n, x in groups], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    statistic = ((table - expected) ** 2 / expected).sum()  # Pearson, (r - 1)(c - 1) = 3 df
    result = response_association(groups)
    assert result.test == "chi_square"
    assert abs(result.p_value - chi2.sf(statistic, 3)) < 1e-10


def test_it_leaves_out_empty_groups():
    assert response_association([(10, 4), (0, 0), (9, 9)]).test == "fisher_exact"


def test_it_has_no_test_for_fewer_than_two_groups():
    assert response_association([(10, 4), (0, 0)]) == response_association([])
    assert response_association([]).test == "none"
    assert response_association([]).p_value is None


def test_it_gives_p_one_when_everyone_responds():
    result = response_association([(3, 3), (4, 4), (5, 5)])
    assert result.p_value == 1.0


# --- kaplan_meier -------------------------------------------------------------------------


def _loglog_greenwood_by_hand(times, events):
    """{event time: (S, lower, upper)}: product-limit S, Greenwood sum
    G = sum d / (n (n - d)), and S^exp(+-1.96 sqrt(G) / log S) (Kalbfleisch & Prentice)."""
    survival, greenwood, result = 1.0, 0.0, {}
    for t in sorted({t for t, e in zip(times, events, strict=True) if e}):
        at_risk = sum(1 for u in times if u >= t)
        deaths = sum(1 for u, e in zip(times, events, strict=True) if u == t and e)
        survival *= 1 - deaths / at_risk
        greenwood += deaths / (at_risk * (at_risk - deaths))
        spread = 1.96 * math.sqrt(greenwood) / math.log(survival)
        result[t] = (survival, survival ** math.exp(-spread), survival ** math.exp(spread))
    return result


def test_it_gives_the_log_log_interval_of_clinical_rules():
    # clinical-rules.md / the paper: 10 of 11 event-free -> 90.9% (50.8-98.7).
    months = [3.0] + [12.0 + i for i in range(10)]
    curve = kaplan_meier(months, [True] + [False] * 10, times=[12])
    point = curve.estimates[0]
    assert abs(point.survival - 0.909) < 0.0005
    assert abs(point.ci95[0] - 0.508) < 0.0005
    assert abs(point.ci95[1] - 0.987) < 0.0005


def test_it_matches_hand_greenwood_on_r_aml_maintained():
    # R survival::aml, Maintained; survfit(conf.type = "log-log") uses the same formula.
    by_hand = _loglog_greenwood_by_hand(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT)
    curve = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT, times=list(by_hand))
    for point in curve.estimates:
        survival, lower, upper = by_hand[point.month]
        assert abs(point.survival - survival) < 1e-9
        assert abs(point.ci95[0] - lower) < 1e-4
        assert abs(point.ci95[1] - upper) < 1e-4


def test_it_gives_the_r_product_limit_estimates_for_aml_maintained():
    # summary(survfit(Surv(time, status) ~ 1, aml[aml$x == "Maintained", ])):
    # 0.909 0.818 0.716 0.614 0.491 0.368 0.184 at 9 13 18 23 31 34 48.
    expected = {9: 0.909, 13: 0.818, 18: 0.716, 23: 0.614, 31: 0.491, 34: 0.368, 48: 0.184}
    curve = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT, times=list(expected))
    for point in curve.estimates:
        assert abs(point.survival - expected[point.month]) < 0.0005


def test_it_gives_the_median_and_its_interval_for_aml_maintained():
    # Median 31 (R print(survfit(...))). Bounds: first times the hand-computed bands reach
    # 0.5; the upper band never does (it ends at 0.525), so the upper bound is not reached.
    by_hand = _loglog_greenwood_by_hand(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT)
    lower_median = min(t for t, (_, lower, _) in by_hand.items() if lower <= 0.5)
    assert all(upper > 0.5 for _, _, upper in by_hand.values())
    curve = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT)
    assert curve.median_months == 31
    assert curve.median_ci95 == (lower_median, None)
    assert lower_median == 13


def test_it_counts_patients_at_risk_and_events():
    curve = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT, times=[0, 13, 14, 161])
    assert curve.n == 11
    assert curve.events == 7
    assert [p.at_risk for p in curve.estimates] == [11, 10, 8, 1]


def test_it_has_no_estimate_after_the_last_observation():
    point = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT, times=[162]).estimates[0]
    assert (point.survival, point.ci95, point.at_risk) == (None, None, 0)


def test_it_has_no_median_when_survival_stays_above_half():
    curve = kaplan_meier([3.0, 5.0, 8.0, 9.0], [True, False, False, False])
    assert curve.median_months is None


def test_it_gives_the_plotting_curve_as_lists():
    curve = kaplan_meier(AML_MAINTAINED_TIME, AML_MAINTAINED_EVENT)
    assert curve.timeline[:3] == [0.0, 9.0, 13.0]
    assert len(curve.survival) == len(curve.ci_lower) == len(curve.ci_upper) == 11


def test_it_returns_an_empty_curve_for_no_patients():
    curve = kaplan_meier([], [], times=[12])
    assert (curve.n, curve.events, curve.median_months, curve.timeline) == (0, 0, None, [])
    assert curve.estimates[0].survival is None


# R survival 3.5 conventions (clinical-rules.md, "Survival conventions, where packages
# differ"); each value printed by the R call above it.


def test_it_takes_the_midpoint_of_a_flat_stretch_at_one_half_as_r_does():
    # f <- survfit(Surv(c(70, 140, 210, 280), c(1, 1, 1, 1)) ~ 1, conf.type = "log-log")
    # quantile(f, 0.5): quantile 175, lower 70, upper NA.
    curve = kaplan_meier([70, 140, 210, 280], [True] * 4)
    assert curve.median_months == pytest.approx(175)
    assert curve.median_ci95 == (pytest.approx(70), None)


def test_it_takes_the_midpoint_to_the_last_time_when_the_curve_ends_at_one_half():
    # f <- survfit(Surv(c(70, 140, 210, 280), c(1, 1, 0, 0)) ~ 1, conf.type = "log-log")
    # quantile(f, 0.5): quantile 210, lower 70, upper NA.
    curve = kaplan_meier([70, 140, 210, 280], [True, True, False, False])
    assert curve.median_months == pytest.approx(210)
    assert curve.median_ci95 == (pytest.approx(70), None)


def test_it_compares_survival_with_one_half_within_a_tolerance():
    # Here S = 5/6 * 4/5 * 3/4 comes out as 0.5000000000000001 in floating point.
    # f <- survfit(Surv(c(10, 20, 30, 40, 50, 60), rep(1, 6)) ~ 1, conf.type = "log-log")
    # quantile(f, 0.5): quantile 35, lower 10, upper NA.
    curve = kaplan_meier([10, 20, 30, 40, 50, 60], [True] * 6)
    assert curve.median_months == pytest.approx(35)
    assert curve.median_ci95 == (pytest.approx(10), None)


def test_it_has_no_interval_where_survival_is_one_or_zero():
    # f <- survfit(Surv(c(3, 5, 8, 9), c(0, 1, 1, 0)) ~ 1, conf.type = "log-log")
    # cbind(f$time, f$surv, f$lower, f$upper): at 3, S = 1 with NA, NA; at 5, 0.667 with
    # 0.0541, 0.9452. quantile(f, 0.5): 8, lower 5, upper NA.
    curve = kaplan_meier([3, 5, 8, 9], [False, True, True, False], times=[3, 5])
    at_3, at_5 = curve.estimates
    assert (at_3.survival, at_3.ci95) == (1.0, None)
    assert at_5.ci95 == (pytest.approx(0.054073427), pytest.approx(0.9452064))
    assert (curve.median_months, curve.median_ci95) == (8, (5, None))
    # f <- survfit(Surv(c(70, 140, 210, 280), rep(1, 4)) ~ 1, conf.type = "log-log")
    # f$lower, f$upper at 280 (S = 0): NA, NA.
    ended = kaplan_meier([70, 140, 210, 280], [True] * 4, times=[280])
    assert (ended.estimates[0].survival, ended.estimates[0].ci95) == (0.0, None)
    assert math.isnan(ended.ci_lower[-1]) and math.isnan(ended.ci_upper[-1])


def test_it_gives_one_patient_no_interval_of_zero_width():
    # f <- survfit(Surv(5, 1) ~ 1, conf.type = "log-log"): lower NA, upper NA;
    # quantile(f, 0.5): quantile 5, lower NA, upper NA.
    curve = kaplan_meier([5], [True], times=[0, 5])
    assert [point.ci95 for point in curve.estimates] == [None, None]
    assert (curve.median_months, curve.median_ci95) == (5, None)


# --- logrank_p ----------------------------------------------------------------------------


def test_it_reproduces_r_survdiff_on_aml():
    # R: survdiff(Surv(time, status) ~ x, data = aml) -> Chisq = 3.4 on 1 df, p = 0.0653.
    months = AML_MAINTAINED_TIME + AML_NONMAINTAINED_TIME
    events = AML_MAINTAINED_EVENT + AML_NONMAINTAINED_EVENT
    groups = ["Maintained"] * 11 + ["Nonmaintained"] * 12
    assert abs(logrank_p(months, events, groups) - 0.0653) < 0.00005


def test_it_takes_any_labels_for_the_logrank_groups():
    # The same test as above, the groups labelled as the frame's yes/no columns are.
    months = AML_MAINTAINED_TIME + AML_NONMAINTAINED_TIME
    events = AML_MAINTAINED_EVENT + AML_NONMAINTAINED_EVENT
    groups = np.array([True] * 11 + [False] * 12, dtype=object)
    assert abs(logrank_p(months, events, groups) - 0.0653) < 0.00005


def test_it_has_no_logrank_p_for_one_group():
    assert logrank_p([1, 2, 3], [1, 0, 1], ["a", "a", "a"]) is None


def test_it_has_no_logrank_p_without_any_event():
    # survdiff(Surv(c(1, 2, 3, 4), c(0, 0, 0, 0)) ~ c(1, 1, 2, 2))$pvalue: NaN (p= NA).
    assert logrank_p([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"]) is None


# --- follow_up ----------------------------------------------------------------------------


def test_it_gives_median_follow_up_among_survivors_and_by_reverse_km():
    # Survivors (died False) at 2, 4, 5 months: median 4, range 2-5.
    # Reverse KM, censoring as the event: 1 censors (6 -> 5 at risk); 2: S = 4/5;
    # 3 censors; 4: 3 at risk, S = 4/5 * 2/3 = 0.533; 5: 2 at risk, S = 0.267 <= 0.5 -> 5.
    result = follow_up([1, 2, 3, 4, 5, 6], [True, False, True, False, False, True])
    assert result.survivors == 3
    assert result.median_months == 4
    assert result.range_months == (2, 5)
    assert result.reverse_km_median_months == 5


def test_it_has_no_follow_up_among_survivors_when_all_died():
    assert follow_up([1, 2], [True, True]) == FollowUp(0, None, None, None)


# --- competing_risks ----------------------------------------------------------------------

# Outcome 0 censored, 1 relapse, 2 death without relapse. Ties at month 2 (relapse, NRM and
# a censoring) and at month 5 (two relapses).
CR_MONTHS = [1, 2, 2, 2, 3, 4, 5, 5, 6, 7]
CR_OUTCOME = [1, 1, 2, 0, 0, 2, 1, 1, 0, 2]
# By hand, CIF_k(t) = sum over event times s <= t of S(s-) d_k(s) / n(s), with S the KM of
# either event and censorings at s still at risk at s:
#   s=1: n=10, S(s-)=1,    d1=1      -> CIR 0.1;               S = 0.9
#   s=2: n=9,  S(s-)=0.9,  d1=1 d2=1 -> CIR 0.2,  NRM 0.1;     S = 0.9 * 7/9 = 0.7
#   s=4: n=5,  S(s-)=0.7,  d2=1      -> NRM 0.1 + 0.7/5 = 0.24; S = 0.56
#   s=5: n=4,  S(s-)=0.56, d1=2      -> CIR 0.2 + 0.28 = 0.48;  S = 0.28
#   s=7: n=1,  S(s-)=0.28, d2=1      -> NRM 0.24 + 0.28 = 0.52; S = 0
CR_EXPECTED = {  # month: (CIR, NRM, RFS)
    0: (0.0, 0.0, 1.0),
    1: (0.1, 0.0, 0.9),
    1.5: (0.1, 0.0, 0.9),
    2: (0.2, 0.1, 0.7),
    3: (0.2, 0.1, 0.7),
    4: (0.2, 0.24, 0.56),
    5: (0.48, 0.24, 0.28),
    6.5: (0.48, 0.24, 0.28),
    7: (0.48, 0.52, 0.0),
}


def test_it_gives_the_hand_computed_aalen_johansen_incidences():
    result = competing_risks(CR_MONTHS, CR_OUTCOME, times=list(CR_EXPECTED))
    for relapse, nrm, rfs in zip(result.relapse, result.nrm, result.rfs, strict=True):
        cir, expected_nrm, expected_rfs = CR_EXPECTED[relapse.month]
        assert abs(relapse.incidence - cir) < 1e-9
        assert abs(nrm.incidence - expected_nrm) < 1e-9
        assert abs(rfs.survival - expected_rfs) < 1e-9


def test_it_keeps_cir_plus_nrm_plus_rfs_at_one():
    times = list(np.arange(0, 7.01, 0.25))
    result = competing_risks(CR_MONTHS, CR_OUTCOME, times=times)
    for relapse, nrm, rfs in zip(result.relapse, result.nrm, result.rfs, strict=True):
        assert abs(relapse.incidence + nrm.incidence + rfs.survival - 1) < 1e-9


def test_it_is_deterministic_and_never_jitters():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lifelines warns whenever it jitters ties
        first = competing_risks(CR_MONTHS, CR_OUTCOME, times=[2, 5])
        second = competing_risks(CR_MONTHS, CR_OUTCOME, times=[2, 5])
    assert first == second


def test_it_counts_an_event_at_month_zero():
    # Non-response coded as relapse at month 0. By hand: CIR(0) = 1/3; at 1, n = 2 and
    # S(1-) = 2/3, so NRM = 1/3; RFS(1) = 1/3.
    result = competing_risks([0, 1, 2], [1, 2, 0], times=[0, 1])
    assert abs(result.relapse[0].incidence - 1 / 3) < 1e-9
    assert abs(result.nrm[1].incidence - 1 / 3) < 1e-9
    assert abs(result.rfs[1].survival - 1 / 3) < 1e-9


def test_it_gives_incidence_intervals_around_the_estimate():
    point = competing_risks(CR_MONTHS, CR_OUTCOME, times=[5]).relapse[0]
    assert point.ci95[0] < point.incidence < point.ci95[1]


def test_it_has_no_incidence_interval_where_the_incidence_is_zero_or_one():
    # As a survival's (R: survfit(Surv(time, state) ~ 1)$lower is NA where pstate is 0).
    # Everyone relapses at month 1: incidence 0 before, 1 from then.
    result = competing_risks([1, 1, 1], [1, 1, 1], times=[0, 1])
    assert [(point.incidence, point.ci95) for point in result.relapse] == [(0, None), (1, None)]
    assert [point.ci95 for point in result.rfs] == [None, None]


def test_it_has_no_incidence_after_the_last_observation_or_without_patients():
    assert competing_risks(CR_MONTHS, CR_OUTCOME, times=[8]).relapse[0].incidence is None
    empty = competing_risks([], [], times=[12])
    assert (empty.n, empty.relapse[0].incidence, empty.rfs[0].survival) == (0, None, None)


# --- car_t_median_by_day ------------------------------------------------------------------


def test_it_takes_the_median_across_patients_of_each_day_with_enough_of_them():
    samples = [
        [(0, 0), (7, 10)],
        [(7, 30), (14, 5)],
        [(7, 20), (7, 40), (14, 1)],  # twice on day 7: counts once, as 30
        [(14, 0), (-2, 99)],  # undetectable is 0; before the infusion, ignored
    ]
    # Day 0: one patient, left out; day 7: 10, 30, 30; day 14: 5, 1, 0.
    assert car_t_median_by_day(samples) == [DailyMedian(7, 30.0, 3), DailyMedian(14, 1.0, 3)]
    assert car_t_median_by_day(samples, min_patients=1)[0] == DailyMedian(0, 0.0, 1)


def test_it_has_no_median_without_samples():
    assert car_t_median_by_day([[], [(-1, 5)]]) == []


# --- summary ------------------------------------------------------------------------------


def test_it_summarises_values_with_a_geometric_mean_of_positive_ones():
    # Geometric mean of 1, 10 and 100 is 10; the 0 counts in n, median and min but not in
    # the geometric mean; None counts nowhere.
    result = summary([10, None, 1, 100, 0])
    assert result["n"] == 4
    assert (result["median"], result["min"], result["max"]) == (5.5, 0, 100)
    assert abs(result["geometric_mean"] - 10) < 1e-9


def test_it_summarises_nothing():
    assert summary([None]) == {
        "n": 0,
        "median": None,
        "min": None,
        "max": None,
        "geometric_mean": None,
    }


# The Wilcoxon rank-sum p of the cytokine-peak table, against R 4 (stats::wilcox.test):
#   wilcox.test(c(20,50,80), c(400,1000,2500))$p.value                      # 0.1, exact
#   wilcox.test(c(1.5,2.5,3.1,4.7), c(3.9,5.2,6.8,7.4,8.8))$p.value           # 0.03174603175
#   wilcox.test(c(1,2,2,3,5), c(2,4,6,6,7,9))$p.value   # 0.05247797897, ties: normal, corrected
@pytest.mark.parametrize(
    "first, second, expected",
    [
        ((20, 50, 80), (400, 1000, 2500), 0.1),
        ((1.5, 2.5, 3.1, 4.7), (3.9, 5.2, 6.8, 7.4, 8.8), 0.03174603175),
        ((1, 2, 2, 3, 5), (2, 4, 6, 6, 7, 9), 0.05247797897),
    ],
)
def test_rank_sum_p_against_R_wilcox_test(first, second, expected):
    assert rank_sum_p(first, second) == pytest.approx(expected, abs=1e-9)


def test_rank_sum_p_is_none_with_an_empty_group_or_all_values_equal():
    assert rank_sum_p([], [1.0, 2.0]) is None
    assert rank_sum_p([3.0, 3.0], [3.0]) is None
