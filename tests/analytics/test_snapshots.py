"""Statistics as recorded on a day (?as_of=YYYY-MM-DD): the data as it stood at the end of that
day, rebuilt from the audit trail (registry.snapshots), whatever was corrected since."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models
from tests.analytics.conftest import STATISTICS
from tests.api.conftest import full_course
from tests.trail import age_the_trail, correct_the_cohort

# The response by a subgroup and the survival at landmark times: those too as recorded.
QUERIES = {
    "response": "by=prior_allo_hct",
    "survival": "endpoint=efs&population=responders&times=12,18",
}
ENDPOINTS = (
    "dataset",
    *(f"{path}?{QUERIES[path]}" if path in QUERIES else path for path in STATISTICS),
)


def fetch(api, endpoint: str, **params) -> dict:
    path, _, query = endpoint.partition("?")
    given = dict(part.split("=") for part in query.split("&") if part) | params
    response = api.get(f"/api/v1/studies/HCD19/analytics/{path}/", given)
    assert response.status_code == 200, response.content
    return response.json()


def recorded(answer: dict) -> dict:
    """The answer but for the as-recorded date it names."""
    return {name: value for name, value in answer.items() if name != "as_of"}


@pytest.fixture
def entered(published) -> date:
    """The published cohort was entered three days ago."""
    day = timezone.localdate() - timedelta(days=3)
    age_the_trail(day)
    return day


@pytest.fixture
def cut_off(entered) -> date:
    """A cut-off with every patient of the published cohort in: the day after its entry."""
    return entered + timedelta(days=1)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_cut_off_answers_as_before_the_corrections(api, reader, cut_off, endpoint):
    before = fetch(api, endpoint)
    correct_the_cohort(reader)
    cache.clear()

    at = fetch(api, endpoint, as_of=cut_off.isoformat())
    assert recorded(at) == recorded(before)
    assert (at["as_of"], before["as_of"]) == (cut_off.isoformat(), None)


def test_the_data_as_it_stands_shows_the_corrections(api, reader, cut_off):
    correct_the_cohort(reader)

    now = {row["study_id"]: row for row in fetch(api, "dataset")["results"]}
    then = {
        row["study_id"]: row for row in fetch(api, "dataset", as_of=cut_off.isoformat())["results"]
    }
    assert "P20" in now and "P20" not in then
    assert "P19" in then and "P19" not in now
    assert then["P15"]["relapse"] is True and now["P15"]["relapse"] is False
    assert then["P04"]["sex"] != now["P04"]["sex"]


def test_a_cut_off_before_the_first_entry_finds_no_patient(api, entered):
    assert fetch(api, "dataset", as_of=entered.isoformat())["count"] == 19
    before = entered - timedelta(days=1)
    assert fetch(api, "dataset", as_of=before.isoformat())["count"] == 0


def test_today_as_a_cut_off_is_the_data_as_it_stands(api, reader, cut_off):
    correct_the_cohort(reader)
    today = timezone.localdate().isoformat()

    assert recorded(fetch(api, "dataset", as_of=today)) == recorded(fetch(api, "dataset"))


def test_a_cut_off_is_cached_apart_from_the_data_as_it_stands(api, reader, cut_off):
    correct_the_cohort(reader)

    assert fetch(api, "dataset")["count"] == 19
    assert fetch(api, "dataset", as_of=cut_off.isoformat())["count"] == 19
    assert "P20" in str(fetch(api, "dataset"))
    assert "P20" not in str(fetch(api, "dataset", as_of=cut_off.isoformat()))


def test_a_clinician_s_cut_off_counts_their_own_site_s_patients(neighbour, cut_off):
    full_course(subject_id="U01", site=models.Site.objects.get(code="PUMC"))
    client = APIClient()
    client.force_authenticate(neighbour)
    today = timezone.localdate().isoformat()
    response = client.get("/api/v1/studies/HCD19/analytics/dataset/", {"as_of": today})

    assert [row["study_id"] for row in response.json()["results"]] == ["U01"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30", "Date has wrong format"),
        ("yesterday", "Date has wrong format"),
        ((date.today() + timedelta(days=2)).isoformat(), "cannot be after today"),
    ],
)
def test_a_bad_cut_off_is_a_400_naming_it(analytics, published, value, message):
    response = analytics("survival", as_of=value)

    assert response.status_code == 400
    assert message in str(response.json()["as_of"])
