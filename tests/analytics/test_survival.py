"""GET .../analytics/survival/: Kaplan–Meier EFS, RFS and OS, by a covariate, at a landmark;
and GET .../analytics/follow-up/."""

import pytest

pytestmark = pytest.mark.usefixtures("published")

MONTH = 30.4375


def by_value(result: dict) -> dict:
    return {group["value"]: group for group in result["groups"]}


def test_it_describes_each_group(analytics):
    result = analytics("survival", by="prior_allo_hct", times="6,12").json()
    (group, *_) = result["groups"]
    assert set(group) == {
        "value",
        "n",
        "events",
        "median_months",
        "median_ci95",
        "estimates",
        "curve",
    }
    assert [estimate["month"] for estimate in group["estimates"]] == [6, 12]
    assert set(group["estimates"][0]) == {"month", "survival", "ci95", "at_risk"}
    curve = group["curve"]
    assert len(curve["months"]) == len(curve["survival"]) == len(curve["ci95_lower"])
    assert 0 < result["logrank_p"] < 1


def test_it_counts_non_response_as_an_event_at_day_0_among_all_patients(analytics):
    # clinical-rules.md, Statistics: for all patients, non-response is an event at day 0.
    (everyone,) = analytics("survival", times="0,6").json()["groups"]
    assert (everyone["n"], everyone["events"]) == (19, 9)
    at_0, at_6 = everyone["estimates"]
    # 6 failures at day 0; one relapse among the 13 by 6 months (P06, at 4.6 months).
    assert at_0["survival"] == pytest.approx(13 / 19)
    assert at_6["survival"] == pytest.approx(12 / 19)


def test_it_measures_relapse_free_survival_among_responders(analytics):
    result = analytics("survival", endpoint="rfs").json()
    assert result["population"] == "responders"
    assert (result["groups"][0]["n"], result["groups"][0]["events"]) == (13, 3)


def test_it_measures_overall_survival(analytics):
    result = analytics("survival", endpoint="os", by="responder").json()
    groups = by_value(result)
    assert (groups[True]["n"], groups[True]["events"]) == (13, 2)
    assert (groups[False]["n"], groups[False]["events"]) == (6, 4)


def test_it_has_no_log_rank_test_without_groups(analytics):
    assert analytics("survival").json()["logrank_p"] is None


def test_it_classifies_transplant_as_of_the_landmark(analytics):
    # clinical-rules.md, Statistics: transplant is time-dependent; a landmark analysis
    # counts as transplanted only those transplanted by the landmark. At 3 months the
    # responder transplanted at 5.9 months is not yet transplanted.
    result = analytics(
        "survival", population="responders", by="hct_after_infusion", landmark=3
    ).json()
    groups = by_value(result)
    assert result["landmark"] == 3
    assert (groups[True]["n"], groups[True]["events"]) == (10, 1)
    assert (groups[False]["n"], groups[False]["events"]) == (3, 2)


def test_it_keeps_only_patients_event_free_at_the_landmark(analytics):
    # P06 relapsed 4.6 months after infusion; P05 died at 2.6 months.
    before = analytics("survival", endpoint="os", landmark=2).json()["groups"][0]
    after = analytics("survival", endpoint="os", landmark=5).json()["groups"][0]
    assert (before["n"], after["n"]) == (19, 16)
    responders = analytics("survival", population="responders", landmark=5).json()
    assert responders["groups"][0]["n"] == 12


def test_it_counts_time_from_the_landmark(analytics):
    from_infusion = analytics("survival", endpoint="os", times="15").json()["groups"][0]
    from_landmark = analytics("survival", endpoint="os", landmark=3, times="12").json()
    (group,) = from_landmark["groups"]
    # Everyone alive at 3 months: S(15 | alive at 3) = S(15) / S(3).
    at_3 = analytics("survival", endpoint="os", times="3").json()["groups"][0]["estimates"][0]
    expected = from_infusion["estimates"][0]["survival"] / at_3["survival"]
    assert group["estimates"][0]["survival"] == pytest.approx(expected)


def test_it_gives_the_follow_up_of_survivors_and_by_reverse_kaplan_meier(analytics):
    result = analytics("follow-up").json()
    assert result["reverse_km_median_months"] >= result["median_months"]
    responders = analytics("follow-up", population="responders").json()
    assert responders["survivors"] == 11


def test_it_has_a_null_interval_where_survival_is_one(analytics):
    # R survival: survfit(..., conf.type = "log-log")$lower is NA where S = 1; nobody died
    # on day 0, so OS at month 0 is 1 with no interval (not [1, 1]).
    (group,) = analytics("survival", endpoint="os", times="0,6").json()["groups"]
    at_0, at_6 = group["estimates"]
    assert (at_0["survival"], at_0["ci95"]) == (1.0, None)
    assert at_6["ci95"][0] < at_6["survival"] < at_6["ci95"][1]
    assert group["curve"]["ci95_lower"][0] is None
