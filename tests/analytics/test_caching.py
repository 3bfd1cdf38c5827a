"""Cached results: a repeated request on unchanged data is served from the cache, and any
write to the study's data (one record at a time, or by the importer) invalidates them."""

import gc
from unittest import mock

import pytest
from django.db import transaction

from analytics import frames
from analytics.dataset import stored_rows
from config.collector import collector_paused
from registry import data_version, models
from registry.interchange.importer import cohort_import

pytestmark = pytest.mark.usefixtures("published")


@pytest.fixture
def reads():
    """Counts the times analysis rows are read from the database (analytics.frames)."""
    with mock.patch.object(frames, "stored_rows", wraps=frames.stored_rows) as spy:
        yield spy


def responders(analytics) -> int:
    return analytics("response").json()["responders"]


def test_it_serves_a_repeated_request_from_the_cache(analytics, reads, django_assert_num_queries):
    first = analytics("survival", by="hct_after_infusion").json()
    # Only the study, the sites the reader reads in it and the data version are read the
    # second time.
    with django_assert_num_queries(3):
        second = analytics("survival", by="hct_after_infusion").json()
    assert second == first
    assert reads.call_count == 1


def test_it_shares_the_dataset_between_reports(analytics, reads):
    analytics("response")
    analytics("follow-up")
    analytics("response", by="sex")
    # Other patients: selected from the same frame.
    assert analytics("response", sex="male").json()["n"] == 10
    assert reads.call_count == 1


def test_it_normalises_the_parameters(analytics, reads):
    first = analytics("survival", times="12,18", age_min="18").json()
    assert analytics("survival", times="18,12.0", age_min="018").json() == first
    assert reads.call_count == 1


def test_it_serves_downloads_from_the_cached_result(analytics, reads):
    analytics("tables/outcomes")
    analytics("tables/outcomes", format="csv")
    analytics("tables/outcomes", format="xlsx")
    assert reads.call_count == 1


def test_it_forgets_results_once_a_saved_section_is_committed(
    analytics, published, django_capture_on_commit_callbacks
):
    assert responders(analytics) == 13
    token = data_version.data_token(published.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            assessment = models.ResponseAssessment.objects.get(patient__subject_id="P01")
            assessment.status, assessment.mrd, assessment.mrd_level = "cr", "negative", None
            assessment.bm_blast_pct = 1.0
            assessment.save()
        # Not before the commit: another request until then reads the old data, which it
        # would file under the new token.
        assert data_version.data_token(published.pk) == token
    for callback in callbacks:
        callback()
    assert data_version.data_token(published.pk) != token
    assert responders(analytics) == 14


def test_it_forgets_results_when_a_section_is_deleted(
    analytics, django_capture_on_commit_callbacks
):
    assert analytics("survival", endpoint="os").json()["groups"][0]["events"] == 6
    with django_capture_on_commit_callbacks(execute=True):
        models.FollowUpEvent.objects.get(patient__subject_id="P01", kind="death").delete()
        models.Patient.objects.filter(subject_id="P01").update(last_contact_date="2019-04-20")
    assert analytics("survival", endpoint="os").json()["groups"][0]["events"] == 5


def test_it_forgets_results_on_a_bulk_deletion(analytics, django_capture_on_commit_callbacks):
    assert analytics("response", by="relapse").json()["groups"][0]["n"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        models.FollowUpEvent.objects.filter(kind="relapse").delete()
    assert analytics("response", by="relapse").json()["groups"][0]["n"] == 19


def test_it_forgets_results_when_a_patient_is_deleted(analytics):
    assert analytics("response").json()["n"] == 19
    models.Patient.objects.get(subject_id="P19").delete()
    assert analytics("response").json()["n"] == 18


def test_it_forgets_results_when_a_patient_is_saved(analytics):
    assert analytics("response", sex="male").json()["n"] == 10
    patient = models.Patient.objects.get(subject_id="P03")
    patient.sex = "male"
    patient.save()
    assert analytics("response", sex="male").json()["n"] == 11


def test_it_forgets_results_on_an_import_without_any_signal(analytics, document):
    # The importer writes with bulk_create and bulk_update, which send no signals; the
    # on-commit callbacks are not run here either, so only the data version can tell.
    assert responders(analytics) == 13
    p01 = document["patients"][0]
    p01["response_assessments"] = [
        {"day": 30, "status": "cr", "bm_blast_pct": 1.0, "mrd": "unknown"}
    ]
    cohort_import(data=document)
    assert responders(analytics) == 14


def test_it_reads_no_row_again_when_another_study_changes(
    analytics, reads, document, django_capture_on_commit_callbacks
):
    # A write to another study leaves this study's data version (registry.data_version),
    # and its data frame: nothing of it changed.
    analytics("response")
    document["study"]["code"] = "OTHER"
    with django_capture_on_commit_callbacks(execute=True):
        other = cohort_import(data=document).study
        models.FollowUpEvent.objects.filter(patient__study=other, kind="relapse").delete()
    analytics("response")
    assert reads.call_count == 1


def test_it_serves_the_cached_result_after_a_write_to_another_study(
    analytics, document, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = analytics("response").json()
    document["study"]["code"] = "OTHER"
    with django_capture_on_commit_callbacks(execute=True):
        other = cohort_import(data=document).study
        models.FollowUpEvent.objects.filter(patient__study=other, kind="relapse").delete()
    # The study, the sites the reader reads in it and its data version: nothing computed.
    with django_assert_num_queries(3):
        assert analytics("response").json() == first


def test_it_computes_with_the_garbage_collector_paused(analytics):
    # For 10,000 patients the collector walked the million-odd new rows, tuples and dicts
    # again and again: a sixth of a cold request (config.collector.collector_paused).
    collector_on = []

    def rows(*args, **kwargs):
        collector_on.append(gc.isenabled())
        return stored_rows(*args, **kwargs)

    with mock.patch.object(frames, "stored_rows", rows):
        analytics("response")
    assert collector_on == [False]
    assert gc.isenabled()


def test_it_leaves_the_garbage_collector_as_it_found_it():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
