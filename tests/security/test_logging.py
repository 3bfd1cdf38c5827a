"""No health data in the logs: not from failed imports, failed requests or the access log."""

import io
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from gunicorn.config import Config
from gunicorn.glogging import Logger

import config.gunicorn
from config.redaction import RedactHealthData, redact
from registry import models
from registry.demo import synthetic_cohort
from registry.interchange import importer

STUDY_ID = "BR-SECRET-7"
BIRTH_DATE = "1961-02-03"
IMPORT = "/api/v1/studies/import/"


@pytest.fixture
def document() -> dict:
    """Three invented patients, the first with a study id and birth date to look for."""
    document = synthetic_cohort(code="LOGS", patients=3)
    document["patients"][0] |= {"study_id": STUDY_ID, "birth_date": BIRTH_DATE}
    return document


@pytest.fixture
def written():
    """What the registry's log handler writes while the test runs."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactHealthData) for f in handler.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def logged(caplog, written):
    caplog.set_level(logging.DEBUG)

    def text() -> str:
        return caplog.text + written.getvalue()

    return text


def post(client, document: dict):
    return client.post(IMPORT, json.dumps(document), content_type="application/json")


def test_a_rejected_import_logs_neither_study_ids_nor_dates(editor_client, document, logged):
    document["patients"][0]["infusions"][0]["date"] = "1950-01-01"

    response = post(editor_client, document)

    assert response.status_code == 400
    assert "(1950-01-01)" in response.content.decode()  # the caller is told, in full
    assert f"Bad Request: {IMPORT}" in logged()
    assert STUDY_ID not in logged()
    assert BIRTH_DATE not in logged() and "1950-01-01" not in logged()


def test_an_import_that_fails_in_the_database_logs_no_patient_values(
    editor_client, document, logged, caplog, monkeypatch
):
    """PostgreSQL's error quotes the duplicate key, lower-cased as the constraint compares
    it: `Key (study_id, lower(subject_id::text))=(1, br-…)`."""
    save_patients = importer._save_patients

    def save_one_twice(*args, **kwargs):
        counts = save_patients(*args, **kwargs)
        twin = models.Patient.objects.get(subject_id=STUDY_ID)
        twin.pk = None
        twin.save()
        return counts

    monkeypatch.setattr(importer, "_save_patients", save_one_twice)
    editor_client.raise_request_exception = False

    response = post(editor_client, document)

    assert response.status_code == 500
    error = next(record.exc_info[1] for record in caplog.records if record.exc_info)
    if connection.vendor == "postgresql":  # SQLite's message names the columns only
        assert STUDY_ID.lower() in str(error)
    assert f"Internal Server Error: {IMPORT}" in logged()
    assert "IntegrityError" in logged()
    assert STUDY_ID.lower() not in logged().lower()
    assert BIRTH_DATE not in logged()


def test_a_failed_request_logs_its_path_without_the_query(editor_client, logged):
    response = editor_client.get(
        "/api/v1/patients/", {"search": STUDY_ID, "birth_date": BIRTH_DATE, "page": "x"}
    )

    assert response.status_code == 400
    assert "Bad Request: /api/v1/patients/" in logged()
    assert STUDY_ID not in logged()
    assert BIRTH_DATE not in logged()


def test_a_url_logged_with_its_query_loses_the_query(logged):
    logging.getLogger("registry").warning("Slow: /studies/LOGS/?q=%s", STUDY_ID)

    assert "Slow: /studies/LOGS/?[withheld]" in logged()
    assert STUDY_ID not in logged()


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "GET /api/v1/patients/?search=BR-001 HTTP/1.1",
            "GET /api/v1/patients/?[withheld] HTTP/1.1",
        ),
        (
            "<WSGIRequest: GET '/studies/X/?q=BR-001'>",
            "<WSGIRequest: GET '/studies/X/?[withheld]'>",
        ),
        ("Is it down? No.", "Is it down? No."),
        ("born 1961-02-03, infused 2020-01-15", "born [date], infused [date]"),
        (
            'duplicate key value violates unique constraint "patient_study_id_unique_in_study"\n'
            "DETAIL:  Key (study_id, subject_id)=(1, BR-001) already exists.",
            'duplicate key value violates unique constraint "patient_study_id_unique_in_study"\n'
            "DETAIL: [withheld]",
        ),
        ("DETAIL:  Failing row contains (7, BR-001, female).", "DETAIL: [withheld]"),
        ("Health check: the database is unavailable", "Health check: the database is unavailable"),
    ],
)
def test_it_redacts(text, redacted):
    assert redact(text) == redacted


def test_the_access_log_names_the_method_and_path_only(capsys):
    settings = Config()
    for name in ("accesslog", "access_log_format"):
        settings.set(name, getattr(config.gunicorn, name))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/patients/?search={STUDY_ID}",
        "PATH_INFO": "/api/v1/patients/",
        "QUERY_STRING": f"search={STUDY_ID}&birth_date={BIRTH_DATE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": f"https://registry.example.org/studies/HCD19/?q={STUDY_ID}",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])

    Logger(settings).access(response, SimpleNamespace(headers=[]), environ, timedelta(0, 0, 5000))

    line = capsys.readouterr().out
    assert '"GET /api/v1/patients/" 200 512 5ms' in line
    assert STUDY_ID not in line and BIRTH_DATE not in line
