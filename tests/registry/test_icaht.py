"""Neutrophil ICAHT (clinical-rules.md "ICAHT"; Rejeski et al., Blood 2023), by hand-worked
ANC series. Counts are written in /µL and converted on input, as a lab entry in /uL is."""

import pytest

from registry.analytes import Measurement, convert, to_series_unit
from registry.icaht import PER_UL, IcahtGrade, early_icaht, late_icaht

NORMAL = 2000


def anc(*values: tuple[int, float]) -> list[Measurement]:
    """(day, ANC /µL) pairs as Measurements in the registry's unit (10^9/L)."""
    return [Measurement(day, to_series_unit("anc", per_ul, "/uL")) for day, per_ul in values]


def daily(low: dict[range, float], last_day: int = 30) -> list[Measurement]:
    """A count every day 0 to last_day: NORMAL, except the values given for some days."""
    levels = {day: level for days, level in low.items() for day in days}
    return anc(*((day, levels.get(day, NORMAL)) for day in range(last_day + 1)))


# --- early ICAHT: the grade table -----------------------------------------------------------


@pytest.mark.parametrize(
    "severe_days, grade",
    [(0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3), (20, 3)],
)
def test_it_grades_early_icaht_by_days_of_severe_neutropenia(severe_days, grade):
    # Rules "ICAHT": ANC ≤500/µL for 1-6 days grade 1, 7-13 grade 2, 14 or more grade 3.
    assert early_icaht(daily({range(5, 5 + severe_days): 400})).grade == grade


@pytest.mark.parametrize("profound_days, grade", [(6, 2), (7, 3), (13, 3), (14, 4)])
def test_it_grades_early_icaht_by_days_of_profound_neutropenia(profound_days, grade):
    # Rules "ICAHT": ANC ≤100/µL for 7-13 days grade 3, 14 or more grade 4; here inside 13
    # days of severe neutropenia, grade 2 by themselves.
    series = daily({range(3, 16): 300, range(3, 3 + profound_days): 50})
    assert early_icaht(series).grade == grade


@pytest.mark.parametrize(
    "series, reason",
    [
        pytest.param(
            daily({range(2, 11): 400}),
            "grade 2: ANC ≤500/µL for 9 days (days 2–10)",
            id="severe",
        ),
        pytest.param(
            daily({range(2, 10): 400, range(3, 10): 80}),
            "grade 3: ANC ≤100/µL for 7 days (days 3–9)",
            id="profound sets the grade",
        ),
        pytest.param(
            daily({range(2, 20): 400, range(3, 10): 80}),
            "grade 3: ANC ≤500/µL for 18 days (days 2–19)",
            id="tie names severe",
        ),
        pytest.param(daily({range(4, 5): 400}), "grade 1: ANC ≤500/µL for 1 day (day 4)", id="1"),
        pytest.param(daily({}), "grade 0: no ANC ≤500/µL from day 0 to day 30", id="grade 0"),
    ],
)
def test_it_names_what_set_the_early_grade(series, reason):
    assert early_icaht(series).reason == reason


@pytest.mark.parametrize(
    "level, severe", [(500, True), (501, False)], ids=["500 is severe", "501 is not"]
)
def test_it_counts_500_per_microlitre_as_severe(level, severe):
    assert early_icaht(daily({range(3, 10): level})).grade == (2 if severe else 0)


def test_it_counts_100_per_microlitre_as_profound():
    assert early_icaht(daily({range(3, 10): 100})).grade == 3


def test_it_grades_4_when_never_above_500_from_day_0_to_day_30():
    assert early_icaht(daily({range(0, 31): 300})) == IcahtGrade(
        4, "grade 4: ANC never above 500/µL from day 0 to day 30"
    )


def test_it_does_not_read_a_day_above_500_as_never_above():
    # Rules text "never above 500/µL": one day at 600 breaks it, as Liang's code (which
    # counts the 31 joined days) would not. The joined episode still gives 31 days.
    result = early_icaht(daily({range(0, 31): 300, range(15, 16): 600}))
    assert result == IcahtGrade(3, "grade 3: ANC ≤500/µL for 31 days (days 0–30)")


def test_it_grades_an_early_death_in_aplasia_by_its_duration():
    # Rules text: not "never above 500 from day 0 to day 30" when followed to day 20 only
    # (Liang's code gives grade 4 to an episode from day 0-3 lasting to the last count).
    result = early_icaht(daily({range(0, 21): 300}, last_day=20), followed_until=20)
    assert result == IcahtGrade(3, "grade 3: ANC ≤500/µL for 21 days (days 0–20)")


# --- early ICAHT: recovery between low values -----------------------------------------------


def test_it_does_not_end_an_episode_at_a_recovery_of_two_days():
    # Rules "ICAHT": a recovery of fewer than 3 days does not end the episode, and its days
    # count (Liang: heatwaveR maxGap = 2). Low 2-6 and 9-12 around 7-8: 11 days, grade 2;
    # read apart the longest would be 5 days, grade 1.
    series = daily({range(2, 7): 400, range(9, 13): 400})
    assert early_icaht(series) == IcahtGrade(2, "grade 2: ANC ≤500/µL for 11 days (days 2–12)")


def test_it_ends_an_episode_at_a_recovery_of_three_days():
    series = daily({range(2, 7): 400, range(10, 14): 400})
    assert early_icaht(series) == IcahtGrade(1, "grade 1: ANC ≤500/µL for 5 days (days 2–6)")


# --- early ICAHT: days between measurements -------------------------------------------------


def test_it_interpolates_the_days_between_sparse_counts():
    # Day 1 is 1200 (half-way from 2000 to 400); days 2-10 run 400, 350, 300, ... 450 (all
    # ≤500); day 11 is 675. Severe days 2-10: 9 days.
    series = anc((0, 2000), (2, 400), (4, 300), (10, 450), (12, 900))
    assert early_icaht(series) == IcahtGrade(2, "grade 2: ANC ≤500/µL for 9 days (days 2–10)")


def test_it_interpolates_weekly_counts():
    # 3000 on day 0 falls 400 a day to 200 on day 7 (day 6: 600); 200 on day 14 rises 200 a
    # day (day 15: 400, day 16: 600). Severe days 7-15: 9 days. Carrying each count forward
    # instead would give days 7-20, 14 days, grade 3.
    series = anc((0, 3000), (7, 200), (14, 200), (21, 1600), (28, 2000))
    assert early_icaht(series) == IcahtGrade(2, "grade 2: ANC ≤500/µL for 9 days (days 7–15)")


def test_it_interpolates_across_seven_missing_days():
    assert early_icaht(anc((0, 300), (8, 300)), followed_until=8).grade == 2  # days 0-8


def test_it_leaves_a_longer_gap_unknown():
    # Days 1-8 are unknown: day 0 and day 9 are two episodes of 1 day each.
    result = early_icaht(anc((0, 300), (9, 300)), followed_until=9)
    assert result == IcahtGrade(1, "grade 1: ANC ≤500/µL for 1 day (day 0)")


def test_it_holds_the_last_count_to_the_end_of_follow_up_at_most_seven_days_away():
    # 300 from day 3 to day 10, held to the end of follow-up when it is 7 days or fewer
    # away (Liang: zoo rule = 2, maxgap = 7): to day 12 (10 days, grade 2) or to day 17
    # (15 days, grade 3); followed beyond day 30, days 11-30 stay unknown (8 days).
    series = anc((0, 2000), (3, 300), (10, 300))
    assert early_icaht(series, followed_until=12).grade == 2
    assert early_icaht(series, followed_until=17).reason == (
        "grade 3: ANC ≤500/µL for 15 days (days 3–17)"
    )
    assert early_icaht(series).reason == "grade 2: ANC ≤500/µL for 8 days (days 3–10)"


def test_it_takes_the_lower_of_two_counts_on_one_day():
    series = anc((0, 2000), (3, 2000), (5, 600), (5, 400), (7, 2000))
    assert early_icaht(series, followed_until=7).reason == "grade 1: ANC ≤500/µL for 1 day (day 5)"


def test_it_counts_a_count_below_detection_as_zero():
    # Below detection at a limit of 200/µL: 0, profound, for 14 days: grade 4 (the limit
    # itself would be severe only: grade 3).
    series = daily({})
    series[1:15] = [Measurement(day, 0.2, below_detection=True) for day in range(1, 15)]
    assert early_icaht(series).grade == 4


@pytest.mark.parametrize(
    "series", [[], anc((-3, 300), (31, 300))], ids=["none", "none in days 0-30"]
)
def test_it_has_no_early_grade_without_counts(series):
    assert early_icaht(series) == IcahtGrade(None, "no ANC values from day 0 to day 30")


# --- late ICAHT -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, grade",
    [(1600, 0), (1500, 1), (1100, 1), (1000, 2), (600, 2), (500, 3), (150, 3), (100, 4), (0, 4)],
)
def test_it_grades_late_icaht_by_the_lowest_confirmed_count(level, grade):
    # Rules "ICAHT": ≤1500/µL grade 1, ≤1000 grade 2, ≤500 grade 3, ≤100 grade 4, confirmed
    # by two measurements; the recovery on day 80 follows both.
    assert late_icaht(anc((40, level), (60, level), (80, 2000))).grade == grade


def test_it_names_the_measurements_that_confirm_the_late_grade():
    result = late_icaht(anc((40, 800), (50, 2000), (60, 900), (80, 700)))
    assert result == IcahtGrade(2, "grade 2: ANC ≤1000/µL on 3 measurements (days 40–80)")


def test_it_does_not_grade_one_low_count_followed_by_recovery():
    assert late_icaht(anc((40, 400), (60, 2000))) == IcahtGrade(
        0, "grade 0: no ANC ≤1500/µL confirmed from day 31 to day 100"
    )


def test_it_grades_one_low_count_not_followed_by_recovery():
    assert late_icaht(anc((40, 2000), (90, 400))) == IcahtGrade(
        3, "grade 3: ANC ≤500/µL on day 90, not followed by recovery"
    )


def test_it_grades_by_the_count_two_measurements_confirm_not_the_single_lowest():
    # Rules text: 400 then 1200 confirms only ≤1500 (grade 1); Liang's code grades the
    # lowest, 400, whenever the second lowest is ≤1500 (grade 3).
    result = late_icaht(anc((40, 400), (60, 1200), (90, 2000)))
    assert result == IcahtGrade(1, "grade 1: ANC ≤1500/µL on 2 measurements (days 40 and 60)")


def test_it_censors_late_icaht_at_relapse():
    # Rules "ICAHT": censored at relapse; the counts of days 70 and 80 are left out.
    series = anc((40, 2000), (50, 1800), (70, 300), (80, 200))
    assert late_icaht(series).grade == 3
    assert late_icaht(series, relapse_day=60) == IcahtGrade(
        0,
        "grade 0: no ANC ≤1500/µL confirmed from day 31 to day 60; censored at relapse on day 60",
    )


def test_it_censors_at_the_earliest_of_relapse_next_therapy_and_allo_hct():
    result = late_icaht(anc((40, 400), (45, 400)), relapse_day=80, allo_hct_day=70)
    assert result.reason == (
        "grade 3: ANC ≤500/µL on 2 measurements (days 40 and 45); censored at allo-HCT on day 70"
    )
    assert late_icaht(anc((40, 400)), next_therapy_day=35).grade is None


def test_it_keeps_a_count_on_the_day_of_censoring():
    assert late_icaht(anc((45, 400), (60, 400)), relapse_day=60).grade == 3


def test_it_counts_a_late_count_below_detection_as_zero():
    # At a limit of 200/µL: 0 twice, grade 4 (the limit itself would be grade 3).
    series = [Measurement(day, 0.2, below_detection=True) for day in (40, 60)]
    assert late_icaht(series).grade == 4


@pytest.mark.parametrize(
    "series", [[], anc((30, 300), (101, 300))], ids=["none", "none in days 31-100"]
)
def test_it_has_no_late_grade_without_counts(series):
    assert late_icaht(series) == IcahtGrade(None, "no ANC values from day 31 to day 100")


@pytest.mark.parametrize("anc", [0.1, 0.3, 0.5, 0.501, 1.1, 1.5, 0.007])
def test_the_grading_converts_an_anc_to_per_microlitre_as_the_analytes_do(anc):
    # icaht.PER_UL skips the per-value checks of analytes.convert, not its rounding: an ANC
    # of 0.1 x10^9/L must be exactly 100/µL, profound neutropenia.
    assert anc * PER_UL == convert("anc", anc, "10^9/L", "/uL")
