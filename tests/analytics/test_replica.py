"""With a read replica configured, the analytics read it: the rows and the data version
their results are cached under. Here the replica is a second connection to the test
database, as a streaming replica holds the same rows (PostgreSQL only: SQLite's test
database lives in one connection's memory)."""

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from analytics import frames
from analytics.caching import data_version
from analytics.models import AnalysisRow
from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Patient, Role, Study
from registry.services import record_delete
from tests.clients import api_client_of

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second connection"),
    pytest.mark.django_db(transaction=True),
]
PUBLISHED = json.loads((Path(__file__).parents[1] / "data/hcd19-published-cohort.json").read_text())


@pytest.fixture
def replica(monkeypatch):
    primary = connections.settings["default"]
    monkeypatch.setitem(settings.DATABASES, "replica", {**primary, "TEST": {"MIRROR": "default"}})
    monkeypatch.setitem(connections.settings, "replica", settings.DATABASES["replica"])
    # Connected here: the test case allows no lazy connection to an alias it did not know.
    connections["replica"].connect()
    yield connections["replica"]
    connections["replica"].close()
    del connections["replica"]


@pytest.fixture
def api(django_user_model) -> APIClient:
    study = cohort_import(data=copy.deepcopy(PUBLISHED)).study
    reader = django_user_model.objects.create_user("reader", password="reader-password-1")
    membership_grant(user=reader, study=study, role=Role.MONITOR)
    return api_client_of(reader)


def sql_of(captured: CaptureQueriesContext) -> str:
    return " ".join(query["sql"] for query in captured.captured_queries)


def asked(api: APIClient, replica, analysis: str) -> tuple[dict, str, str]:
    """The answer of the study's analytics endpoint `analysis`, with the SQL sent for it to
    the replica and to the primary."""
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connection) as on_primary,
    ):
        response = api.get(f"/api/v1/studies/HCD19/analytics/{analysis}/")
    return response.json(), sql_of(on_replica), sql_of(on_primary)


def test_the_dataset_and_its_version_are_read_on_the_replica(api, replica):
    # The import kept the rows as it committed; without them they are computed from the
    # records, read on the replica too, and kept on the primary, which takes the writes.
    AnalysisRow.objects.all().delete()
    answer, read_on_replica, on_primary = asked(api, replica, "dataset")

    assert answer["count"] == 19
    assert "registry_dailyassessment" in read_on_replica
    assert "registry_historicalpatient" in read_on_replica  # the data version
    assert "registry_dailyassessment" not in on_primary
    assert 'INSERT INTO "analytics_analysisrow"' in on_primary


def test_the_kept_rows_are_read_on_the_replica(api, replica):
    answer, on_replica, on_primary = asked(api, replica, "dataset")

    assert answer["count"] == 19
    assert "analytics_analysisrow" in on_replica
    assert "analytics_analysisrow" not in on_primary


def test_a_statistic_reads_its_data_frame_on_the_replica(api, replica):
    # The rows kept, and the process's data frame not yet built from them.
    api.get("/api/v1/studies/HCD19/analytics/dataset/", {"cutoff": "none"})
    frames.process_frames.clear()
    answer, on_replica, on_primary = asked(api, replica, "response")

    assert answer["n"] == 19
    assert "analytics_analysisrow" in on_replica
    assert "registry_patient" not in on_primary


def test_a_section_changed_moves_the_version_read_on_the_replica(api, replica):
    study = Study.objects.get(code="HCD19")
    version = data_version(study)
    before = (version.updated, version.history_id)  # without the cache token
    event = Patient.objects.get(subject_id="P15").events.get(kind="relapse")
    record_delete(record=event, user=None, reason="Relapse not confirmed on review")

    version = data_version(study)
    assert (version.updated, version.history_id) != before
