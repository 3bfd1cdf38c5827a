"""The backups of docs/deployment.md, restored: a study's cohort export, and pg_dump."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from knox.models import AuthToken
from psycopg import sql

from registry import models
from registry.interchange.importer import cohort_import

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def published_study() -> models.Study:
    return cohort_import(data=json.loads(PUBLISHED.read_text())).study


@pytest.mark.django_db
def test_a_study_exported_deleted_and_imported_again_exports_the_same(published_study, tmp_path):
    backup, restored = tmp_path / "HCD19.json", tmp_path / "HCD19-restored.json"
    call_command("export_cohort", "HCD19", "-o", str(backup))

    published_study.patients.all().delete()
    published_study.delete()
    assert not models.Patient.objects.exists() and not models.Infusion.objects.exists()

    call_command("import_cohort", str(backup))
    call_command("export_cohort", "HCD19", "-o", str(restored))

    assert restored.read_text() == backup.read_text()
    assert models.Patient.objects.count() == 19


def connect(dbname: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=dbname,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


def client_options() -> tuple[list[str], dict]:
    """pg_dump's and pg_restore's address options, and the password in their environment."""
    settings = connection.settings_dict
    options = [
        f"--{name}={settings[key]}"
        for name, key in (("host", "HOST"), ("port", "PORT"), ("username", "USER"))
        if settings[key]
    ]
    return options, {"PGPASSWORD": settings["PASSWORD"]} if settings["PASSWORD"] else {}


def fingerprint(dbname: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows, in a fixed order."""
    with connect(dbname) as database:
        tables = database.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
        digest = "SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
        return {
            table: database.execute(
                sql.SQL(digest + "FROM {} r").format(sql.Identifier(table))
            ).fetchone()
            for (table,) in tables
        }


@pytest.fixture
def scratch_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with connect("postgres") as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with connect("postgres") as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore back up PostgreSQL only"
)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restores_into_a_scratch_database_row_for_row(
    published_study, scratch_database, tmp_path
):
    user = User.objects.create_user("coordinator", password="correct-horse-battery")
    AuthToken.objects.create(user=user)
    dump = tmp_path / "registry.dump"
    options, password = client_options()
    database = connection.settings_dict["NAME"]

    subprocess.run(
        ["pg_dump", *options, "--format=custom", f"--file={dump}", database],
        check=True,
        env=os.environ | password,
    )
    subprocess.run(
        [
            "pg_restore",
            *options,
            "--no-owner",
            "--exit-on-error",
            f"--dbname={scratch_database}",
            str(dump),
        ],
        check=True,
        env=os.environ | password,
    )

    original, restored = fingerprint(database), fingerprint(scratch_database)
    assert restored == original
    assert original["registry_patient"][0] == 19
    assert original["knox_authtoken"][0] == 1
