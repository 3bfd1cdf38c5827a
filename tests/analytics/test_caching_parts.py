"""Cached results filed under the parts of the data they read (analytics.caching): a write
to a section a statistic reads gives its new answer at once; a write to a section it does
not read leaves it cached, not computed again."""

import logging
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from registry import models

pytestmark = pytest.mark.usefixtures("published")

# Every statistic, by its address under /api/v1/studies/HCD19/analytics/ and parameters,
# with the name its result is cached under.
STATISTICS = {
    "response": ("response", {}),
    "survival": ("survival", {"endpoint": "os", "by": "hct_after_infusion"}),
    "bca-survival": ("survival", {"endpoint": "bca", "times": "1,2"}),
    "follow-up": ("follow-up", {}),
    "cumulative-incidence": ("cumulative-incidence", {}),
    "toxicity": ("toxicity", {}),
    "kinetics": ("kinetics", {}),
    "biomarkers": ("biomarkers", {}),
    "characteristics": ("tables/characteristics", {}),
    "outcomes": ("tables/outcomes", {}),
    "response-by-crs": ("response", {"by": "crs_grade"}),
    "dataset": ("dataset", {}),
}
# Those that read the daily assessments: the grades' columns (analytics.results.PARTS_READ,
# or split by a grade).
READ_DAILY_ASSESSMENTS = {"toxicity", "biomarkers", "outcomes", "response-by-crs", "dataset"}
READ_CAR_T_COUNTS = {"kinetics", "dataset"}


def grade_4_crs() -> None:
    assessment = models.DailyAssessment.objects.filter(patient__subject_id="P01").first()
    assessment.temperature_c, assessment.hypotension, assessment.vasopressors = 39.5, True, 2
    assessment.save()


def car_t_count_doubled() -> None:
    # The peak of a patient's expansion: its Cmax doubles.
    counts = models.CarTCount.objects.filter(patient__subject_id="P02", day__lte=28)
    count = counts.order_by("-cells_per_ul").first()
    count.cells_per_ul *= 2
    count.save()


def relapse_deleted() -> None:
    models.FollowUpEvent.objects.filter(kind="relapse").first().delete()


def death_deleted() -> None:
    death = models.FollowUpEvent.objects.filter(kind="death").first()
    death.delete()
    models.Patient.objects.filter(pk=death.patient_id).update(last_contact_date=death.date)


WRITES: dict[str, Callable[[], None]] = {
    "daily assessment": grade_4_crs,
    "CAR-T count": car_t_count_doubled,
    "relapse": relapse_deleted,
    "death": death_deleted,
}
# The statistics each write must not leave computed: those reading the section written.
RECOMPUTED = {
    "daily assessment": READ_DAILY_ASSESSMENTS,
    "CAR-T count": READ_CAR_T_COUNTS,
    "relapse": set(STATISTICS),
    "death": set(STATISTICS),
}


# Not statistics: what statistics share, the frame as recorded on a day and the columns
# recounted at a cut-off.
SHARED = ("frame", "recounted")


@pytest.fixture
def computed(caplog):
    """The names of the results computed (not found in the cache) since the last call."""
    caplog.set_level(logging.INFO, logger="analytics.caching")

    def names() -> list[str]:
        found = [
            record.getMessage().split(": ")[1].split(" of study")[0]
            for record in caplog.records
            if record.name == "analytics.caching"
        ]
        caplog.clear()
        return found

    return names


def answers(analytics, **extra) -> dict[str, bytes]:
    return {
        statistic: analytics(path, **params, **extra).content
        for statistic, (path, params) in STATISTICS.items()
    }


@pytest.mark.parametrize("write", WRITES)
def test_it_answers_every_statistic_afresh_after_a_write_to_a_section_it_reads(
    analytics, computed, write, django_capture_on_commit_callbacks
):
    before = answers(analytics)
    computed()
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write]()
    after = answers(analytics)
    recomputed = {name for name in computed() if name not in SHARED}
    cache.clear()
    fresh = answers(analytics)
    assert after == fresh
    changed = {statistic for statistic in STATISTICS if before[statistic] != fresh[statistic]}
    # The write changed what the statistics reading it show, and only those were computed.
    assert changed
    assert changed <= RECOMPUTED[write]
    names = {STATISTICS[statistic][0].removeprefix("tables/") for statistic in RECOMPUTED[write]}
    assert recomputed == names | {f"{name}.json" for name in names if name != "dataset"}


@pytest.mark.parametrize("dates", [{"cutoff": "2020-06-30"}, {"as_of": "today"}])
def test_it_keeps_statistics_not_reading_daily_assessments_at_a_cutoff_or_as_recorded(
    analytics, computed, dates, django_capture_on_commit_callbacks
):
    today = timezone.localdate().isoformat()
    dates = {name: today if on == "today" else on for name, on in dates.items()}
    answers(analytics, **dates)
    with django_capture_on_commit_callbacks(execute=True):
        grade_4_crs()
    computed()
    after = answers(analytics, **dates)
    recomputed = {name for name in computed() if name not in SHARED}
    assert recomputed
    assert recomputed.isdisjoint({"survival", "follow-up", "kinetics", "characteristics"})
    cache.clear()
    assert after == answers(analytics, **dates)


def test_it_computes_a_statistic_filtered_on_missing_data_after_any_write(
    analytics, computed, django_capture_on_commit_callbacks
):
    # The filter reads every section (registry.patient_filters): a daily assessment may
    # fill a required field.
    analytics("response", missing_data="true")
    with django_capture_on_commit_callbacks(execute=True):
        grade_4_crs()
    computed()
    analytics("response", missing_data="true")
    assert "response" in computed()


def test_it_keeps_the_dashboards_statistics_not_reading_a_daily_assessment(
    reader, computed, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(reader)
    page = "/studies/HCD19/dashboard/"
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        grade_4_crs()
    computed()
    assert client.get(page).status_code == 200
    recomputed = set(computed())
    assert "toxicity" in recomputed
    assert recomputed.isdisjoint({"response", "survival", "cumulative-incidence"})


def test_it_files_results_under_the_prefix_of_the_settings(analytics, computed, settings):
    analytics("response")
    computed()
    analytics("response")
    assert computed() == []
    settings.ANALYTICS_CACHE_PREFIX = "benchmark"
    analytics("response")
    assert computed() == ["response.json", "response"]
