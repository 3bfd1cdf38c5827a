"""The patient list's filters picked from a study's data frame kept in the process's memory
(analytics.results.selected_frame): the same patients as the database's filters pick, and
without asking the database where the frame has the filter's column."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from analytics import results
from analytics.caching import study_cache
from analytics.dataset import study_patients
from analytics.params import AnalysisParams, analysis_request
from registry.access import membership_grant
from registry.models import Role, Study
from tests.analytics.conftest import FILTER_EXAMPLES


@pytest.fixture
def varied(db, reader, varied_for_module) -> Study:
    membership_grant(user=reader, study=varied_for_module, role=Role.MONITOR)
    return Study.objects.get(pk=varied_for_module.pk)


# The analyses' vital status is the dataset's, from the infusion on, unlike the database's
# (tests/analytics/test_outcome_filters.py).
@pytest.mark.parametrize(
    "filters", [found for found in FILTER_EXAMPLES if "vital_status" not in found], ids=str
)
def test_each_filter_picks_from_the_frame_the_patients_the_database_picks(varied, filters):
    request = analysis_request(AnalysisParams, QueryDict(urlencode(filters)))

    picked = results.selected_frame(varied, study_cache(varied), request)["study_id"]
    chosen = study_patients(varied, request.patient_filters, request.search)

    assert 0 < len(picked) < 80, "pick a value that tells something"
    assert sorted(picked) == sorted(chosen.values_list("subject_id", flat=True))


def test_a_filter_with_a_column_asks_the_database_nothing(varied, django_assert_num_queries):
    request = analysis_request(AnalysisParams, QueryDict("sex=female&age_min=18"))
    store = study_cache(varied)
    results.selected_frame(varied, store, request)

    with django_assert_num_queries(0):
        results.selected_frame(varied, store, request)
