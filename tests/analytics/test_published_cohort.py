"""Acceptance: the published cohort, imported and asked through the API, gives the paper's
figures. "The paper" is An et al., "Humanized CD19 CAR-T cells in relapsed/refractory B-ALL
patients who relapsed after or failed murine CD19 CAR-T therapy", BMC Cancer 2022;
each test names its section.
"""

import pytest

pytestmark = pytest.mark.usefixtures("published")


def by_value(result: dict) -> dict:
    return {group["value"]: group for group in result["groups"]}


def test_it_gives_the_complete_remission_rate(analytics):
    # The paper, Abstract and Results "Treatment response": CR rate 68% (13/19).
    result = analytics("response").json()
    assert (result["responders"], result["n"]) == (13, 19)
    assert round(100 * result["rate"]) == 68


def test_it_compares_remission_by_prior_transplant(analytics):
    # The paper, Results "Treatment response": CR 40% (4/10) post-HCT vs 100% (9/9)
    # pre-HCT, p = 0.0108 (Fisher's exact test, Methods "Statistics").
    result = analytics("response", by="prior_allo_hct").json()
    groups = by_value(result)
    assert (groups[True]["responders"], groups[True]["n"]) == (4, 10)
    assert (groups[False]["responders"], groups[False]["n"]) == (9, 9)
    assert result["test"] == "fisher_exact"
    assert abs(result["p_value"] - 0.0108) < 0.00005


def test_it_compares_remission_by_prior_cd22_car_t(analytics):
    # The paper, Results "Treatment response": 7/11 (64%) vs 6/8 (75%), p = 1.0.
    result = analytics("response", by="prior_cd22_cart").json()
    groups = by_value(result)
    assert (groups[True]["responders"], groups[True]["n"]) == (7, 11)
    assert (groups[False]["responders"], groups[False]["n"]) == (6, 8)
    assert abs(result["p_value"] - 1.0) < 1e-9


def test_it_compares_remission_by_interval_from_murine_car_t(analytics):
    # The paper, Results "Treatment response": <12 vs >12 months from the last mCD19 CAR-T,
    # 8/10 (80%) vs 5/9 (56%), p = 0.3498.
    result = analytics("response", by="mcd19_interval_months", cut=12).json()
    groups = by_value(result)
    assert (groups["<12"]["responders"], groups["<12"]["n"]) == (8, 10)
    assert (groups[">=12"]["responders"], groups[">=12"]["n"]) == (5, 9)
    assert abs(result["p_value"] - 0.3498) < 0.00005


def assert_efs(estimates: list[dict], survival: float, low: float, high: float) -> None:
    for month, estimate in zip((12, 18), estimates, strict=True):
        assert estimate["month"] == month
        assert round(100 * estimate["survival"]) == survival
        assert [round(100 * bound, 1) for bound in estimate["ci95"]] == [low, high]


def test_it_gives_event_free_survival_after_transplant(analytics):
    # The paper, Results "Follow-up" (Fig. 3): EFS at 12 and 18 months 91% (95% CI 50.8 to
    # 98.7) in the 11 responders who underwent allo-HCT after hCD19 CAR-T.
    result = analytics(
        "survival", population="responders", by="hct_after_infusion", times="12,18"
    ).json()
    transplanted = by_value(result)[True]
    assert transplanted["n"] == 11
    assert_efs(transplanted["estimates"], 91, 50.8, 98.7)


def test_it_gives_event_free_survival_of_all_responders(analytics):
    # The paper, Results "Follow-up" (Fig. 3): 69% (95% CI 30.6 to 89.2) in all 13 CR
    # patients, including the 2 without further HCT.
    result = analytics("survival", population="responders", times="12,18").json()
    (everyone,) = result["groups"]
    assert (everyone["value"], everyone["n"], everyone["events"]) == (None, 13, 3)
    assert_efs(everyone["estimates"], 69, 30.6, 89.2)


def test_it_gives_the_median_follow_up_of_survivors(analytics):
    # The paper, Results "Follow-up": median follow-up 12.1 (range 8-27.5) months.
    result = analytics("follow-up").json()
    assert result["survivors"] == 13
    assert round(result["median_months"], 1) == 12.1
    assert [round(bound, 1) for bound in result["range_months"]] == [8.0, 27.5]


def test_it_gives_the_age_of_the_patients(analytics):
    # The paper, Results "Patient characteristics" and Table 1: median age 20 (range 4-49)
    # years, 11 adults and 8 children younger than 18.
    rows = analytics("tables/characteristics").json()["rows"]
    age = {row["characteristic"]: row for row in rows if row["section"] == "Age (years)"}
    assert (age["Median"]["median"], age["Median"]["min"], age["Median"]["max"]) == (20, 4, 49)
    assert (age["Children (< 18)"]["n"], age["Adults"]["n"]) == (8, 11)


def test_it_gives_the_dose(analytics):
    # The paper, Results "Humanized CD19 CAR-T cell expansion and toxicity": median dose
    # 2.4x10^5/kg (range 1.0-18.0x10^5/kg).
    rows = analytics("dataset").json()["results"]
    doses = sorted(row["dose_cells_per_kg"] for row in rows)
    assert (doses[len(doses) // 2], doses[0], doses[-1]) == (240_000, 100_000, 1_800_000)


def test_it_gives_the_peak_car_t_level(analytics):
    # The paper, same section: expansion in 17 patients, median peak 5.2x10^6/L
    # (cells/µL = 10^6/L).
    result = analytics("kinetics").json()
    assert result["detected"] == 17
    assert result["summary"]["cmax_cells_per_ul"]["median"] == pytest.approx(5.2)


def test_it_gives_the_crs_grades(analytics):
    # The paper, same section and Table 2: CRS grade 0/1/2/4 in 1/15/2/1 patients; grade 1
    # neurotoxicity in 2.
    result = analytics("toxicity").json()
    crs = {row["grade"]: row["n"] for row in result["crs"]["distribution"]}
    assert [crs[grade] for grade in (0, 1, 2, 3, 4, 5)] == [1, 15, 2, 0, 1, 0]
    icans = {row["grade"]: row["n"] for row in result["icans"]["distribution"]}
    assert (icans[0], icans[1]) == (17, 2)
