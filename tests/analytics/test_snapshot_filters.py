"""The patient list's filters on statistics as recorded on a day (?as_of=YYYY-MM-DD, as in
tests/analytics/test_snapshots.py): they pick the patients they pick in the data as it
stands. The varied study is made once for the module: its tests only read it."""

import pytest
from django.utils import timezone

from registry.patient_filters import CASEBOOK_FILTERS
from tests.analytics.conftest import FILTER_EXAMPLES


# The casebook's state has no history to read (tests/analytics/test_casebook_filters.py).
@pytest.mark.parametrize(
    "filters",
    [found for found in FILTER_EXAMPLES if not set(found) & set(CASEBOOK_FILTERS)],
    ids=str,
)
def test_each_filter_selects_the_same_patients_at_a_cut_off(api, varied_of_module, filters):
    url = "/api/v1/studies/DEMO/analytics/dataset/"
    today = timezone.localdate().isoformat()

    live = api.get(url, filters).json()["results"]
    snapshot = api.get(url, {**filters, "as_of": today}).json()["results"]

    assert live, "the filter selects nobody: pick a value that tells something"
    assert len(live) < 80, "the filter selects everybody: pick a value that tells something"
    assert snapshot == live
