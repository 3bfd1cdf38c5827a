"""Reads inside use_replica() go to the replica when there is one; everything else to default."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from config.routers import ReplicaRouter, use_replica
from registry.models import Patient

router = ReplicaRouter()


@pytest.fixture
def replica_configured(monkeypatch):
    # Only the router's view of settings changes: no connection to a replica is ever made.
    databases = {**settings.DATABASES, "replica": {"ENGINE": "django.db.backends.postgresql"}}
    monkeypatch.setattr(settings, "DATABASES", databases)


def test_it_reads_from_default_outside_use_replica(replica_configured):
    assert router.db_for_read(Patient) == "default"


def test_it_reads_from_the_replica_inside_use_replica(replica_configured):
    with use_replica():
        assert router.db_for_read(Patient) == "replica"
    assert router.db_for_read(Patient) == "default"


def test_it_reads_from_the_replica_in_a_function_decorated_with_use_replica(replica_configured):
    @use_replica()
    def read() -> str:
        return router.db_for_read(Patient)

    assert read() == "replica"
    assert router.db_for_read(Patient) == "default"


def test_it_stays_on_the_replica_until_the_outer_block_ends(replica_configured):
    with use_replica():
        with use_replica():
            pass
        assert router.db_for_read(Patient) == "replica"


def test_it_leaves_the_replica_when_the_block_raises(replica_configured):
    with pytest.raises(RuntimeError), use_replica():
        raise RuntimeError("a failed export")
    assert router.db_for_read(Patient) == "default"


def test_it_keeps_other_threads_on_default(replica_configured):
    with use_replica(), ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(router.db_for_read, Patient).result() == "default"


def test_it_reads_from_default_inside_use_replica_without_a_replica():
    assert "replica" not in settings.DATABASES
    with use_replica():
        assert router.db_for_read(Patient) == "default"


def test_it_always_writes_to_default(replica_configured):
    with use_replica():
        assert router.db_for_write(Patient) == "default"


def test_it_migrates_only_default(replica_configured):
    assert router.allow_migrate("default", "registry") is True
    assert router.allow_migrate("replica", "registry") is False


def test_it_allows_relations_across_default_and_replica(replica_configured):
    assert router.allow_relation(Patient(), Patient()) is True


SHOW_REPLICA = (
    "import django; django.setup(); from django.conf import settings; "
    "r = settings.DATABASES['replica']; print(r['HOST'], r['NAME'], r['TEST']['MIRROR'], settings.DATABASE_ROUTERS)"
)


def run_with_replica(url: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SECRET_KEY": "x",
        "DATABASE_REPLICA_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW_REPLICA], env=env, capture_output=True, text=True
    )


def test_it_adds_the_replica_from_database_replica_url():
    result = run_with_replica("postgres://reader@replica.example.org:5432/registry")

    assert result.returncode == 0, result.stderr
    # Tests read "replica" from the default test database rather than creating a second one.
    assert result.stdout.strip() == (
        "replica.example.org registry default ['config.routers.ReplicaRouter']"
    )


def test_it_stops_on_a_bad_database_replica_url():
    result = run_with_replica("nonsense://")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_REPLICA_URL is not a database address" in result.stderr
