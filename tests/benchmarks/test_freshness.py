"""The load test's writer (benchmarks.freshness) against a live server: its writes are
made and every read after them checked, and an answer not showing a write is counted
stale."""

from collections import Counter
from unittest import mock

import pytest

from benchmarks import freshness
from benchmarks.load import HEADERS
from benchmarks.scratch import clinician_token, coordinator_token, synthetic_study
from registry import data_version

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def writer(live_server):
    study = synthetic_study(30)
    site = study.sites.order_by("pk").first()
    clinician, coordinator = clinician_token(site), coordinator_token(study)
    patients = freshness.writable_patients(site, 1)
    assert patients, "the synthetic study has no patient whose writes move a statistic"
    return freshness.Writer(
        freshness.Client(live_server.url, clinician, HEADERS),
        freshness.Client(live_server.url, coordinator, HEADERS),
        study.code,
    ), patients


def test_it_makes_the_four_writes_of_a_patient_and_finds_each_read_fresh(writer):
    writer, patients = writer
    tally = writer.run(patients, seconds=60, interval=0)
    assert tally.first_error == ""
    assert tally.writes == 4
    # Record, detail and patient in the list after each write; the statistic after each,
    # and the list of complete responses after each response assessment.
    counts = {kind: len(times) for kind, times in tally.seconds.items()}
    assert counts == {"write": 4, "record": 4, "detail": 4, "list": 6, "analytics": 4}
    assert tally.stale.total() == 0


def test_it_counts_answers_cached_over_a_write_as_stale(writer):
    writer, patients = writer
    version = data_version.data_version(patients[0].study_id)
    # A data version that never moves: the list's pages and counts, and the statistics,
    # stay as cached before the writes (the writer's first reads among them).
    with mock.patch.object(data_version, "studies_version", lambda study_ids, reads=None: version):
        writer = freshness.Writer(writer.clinician, writer.coordinator, writer.code)
        tally = writer.run(patients, seconds=60, interval=0)
    assert tally.errors.total() == 0
    # Toxicity after both daily assessments; the responders after the second response
    # assessment only: the first (CR to CRi) leaves them as they were.
    assert tally.stale["analytics"] == 3
    # The count of complete responses after both response assessments: kept from before
    # the first (CR to CRi), which took one away.
    assert tally.stale["list"] == 2
    # A patient's detail is kept under its own version, which the mock leaves alone, and so
    # is each patient shown on a page of the list.
    assert tally.stale["detail"] == tally.stale["record"] == 0


def test_expected_statistics_move_by_the_change_to_the_patient():
    expected = freshness.Expected(Counter({1: 5, 2: 3}), responders=4, complete_responses=3)
    was = freshness.PatientState(crs_computed=1, responder=True, complete_response=True)
    expected.move(was, freshness.PatientState(4, responder=False, complete_response=False))
    assert expected == freshness.Expected(Counter({1: 4, 2: 3, 4: 1}), 3, 2)


def test_a_patient_answer_shows_a_record_only_with_every_value_written():
    patient = {"daily_assessments": [{"id": 7, "day": 3, "vasopressors": 2, "oxygen": "none"}]}
    assert freshness.shows(patient, "daily_assessments", {"id": 7, "vasopressors": 2})
    assert not freshness.shows(patient, "daily_assessments", {"id": 7, "vasopressors": 0})
    assert not freshness.shows(patient, "response_assessments", {"id": 7})
    assert not freshness.shows(None, "daily_assessments", {"id": 7})
