"""What each statistic answers: the dates it was computed at, as every answer gives them
(ANSWER_DATES), and keys of its own."""

import pytest

from registry.models import Study
from tests.analytics.conftest import ANSWER_DATES

pytestmark = pytest.mark.usefixtures("published")

# Each statistic: the parameters it is asked with, and the keys of its own it answers.
OWN_KEYS = {
    "response": (
        {},
        {"n", "not_evaluable", "responders", "rate", "ci95", "by", "groups", "test", "p_value"},
    ),
    "survival": (
        {"by": "prior_allo_hct", "times": "6,12"},
        {"endpoint", "population", "landmark", "by", "groups", "logrank_p"},
    ),
    "follow-up": ({}, {"survivors", "median_months", "range_months", "reverse_km_median_months"}),
    "cumulative-incidence": (
        {"times": "3,6,9,12,18,24"},
        {"population", "n", "relapse", "nrm", "rfs"},
    ),
    "toxicity": (
        {},
        {"n", "crs", "icans", "crs_onset_day", "treatments", "discrepancies", "icaht"},
    ),
}


@pytest.fixture
def published(db, published_for_module) -> Study:
    return Study.objects.get(pk=published_for_module.pk)


@pytest.mark.parametrize("statistic", OWN_KEYS)
def test_it_answers_its_dates_and_its_own_keys(analytics, statistic):
    params, own_keys = OWN_KEYS[statistic]
    assert set(analytics(statistic, **params).json()) == ANSWER_DATES | own_keys
