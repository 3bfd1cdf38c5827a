"""GET .../analytics/response/: the day-30 response rate, overall and by a covariate."""

import pytest
from scipy.stats import beta

from tests.analytics.conftest import import_with_a_non_responder_not_evaluable

pytestmark = pytest.mark.usefixtures("published")


def test_it_gives_the_rate_with_its_exact_interval(analytics):
    result = analytics("response").json()
    # Clopper–Pearson: the beta quantiles of clinical-rules.md, Statistics.
    assert result["ci95"] == pytest.approx([beta.ppf(0.025, 13, 7), beta.ppf(0.975, 14, 6)])
    assert (result["by"], result["groups"], result["test"], result["p_value"]) == (
        None,
        [],
        "none",
        None,
    )


def test_it_gives_each_group_its_rate_and_interval(analytics):
    groups = analytics("response", by="sex").json()["groups"]
    assert [group["value"] for group in groups] == ["female", "male"]
    for group in groups:
        assert set(group) == {"value", "n", "not_evaluable", "responders", "rate", "ci95"}
        assert group["rate"] == pytest.approx(group["responders"] / group["n"])
    assert sum(group["n"] for group in groups) == 19


def test_it_compares_more_than_two_groups_exactly(analytics):
    result = analytics("response", by="disease_status").json()
    assert [group["value"] for group in result["groups"]] == [
        "bm_and_emd",
        "emd_only",
        "isolated_bm",
    ]
    assert [group["n"] for group in result["groups"]] == [6, 1, 12]
    assert result["test"] == "fisher_freeman_halton"
    assert 0 < result["p_value"] <= 1


def test_it_splits_an_ordinal_covariate_at_a_cut(analytics):
    groups = analytics("response", by="crs_grade", cut=2).json()["groups"]
    assert [(group["value"], group["n"]) for group in groups] == [("<2", 16), (">=2", 3)]


def test_it_groups_an_ordinal_covariate_by_value_without_a_cut(analytics):
    groups = analytics("response", by="mcd19_infusions").json()["groups"]
    assert [(group["value"], group["n"]) for group in groups] == [(1, 16), (2, 3)]


def test_it_leaves_patients_without_the_covariate_out_of_the_groups(analytics):
    # Only the 5 patients who relapsed have a CD19 status at relapse.
    result = analytics("response", by="relapse_cd19").json()
    assert result["n"] == 19
    assert [(group["value"], group["n"]) for group in result["groups"]] == [("positive", 5)]
    assert result["test"] == "none"


def test_it_counts_only_responders_when_asked(analytics):
    result = analytics("response", population="responders").json()
    assert (result["n"], result["responders"], result["rate"]) == (13, 13, 1.0)


def test_it_says_how_many_of_the_assessed_were_not_evaluable(analytics, document):
    before = analytics("response").json()
    assert before["not_evaluable"] == 0
    import_with_a_non_responder_not_evaluable(document)
    after = analytics("response").json()
    assert after["not_evaluable"] == 1
    assert (after["n"], after["responders"]) == (before["n"], before["responders"])
