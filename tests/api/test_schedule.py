"""GET /api/v1/studies/{code}/schedule/ and schedule.csv over real HTTP: each patient's
visits with their status, filtered, at the caller's sites only; a bad parameter is a 400
naming it.

The study has one timepoint, day 28 (± 3 days) expecting a response assessment; patients
first infused on 15 January 2020 have its window from 9 to 15 February 2020."""

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from knox.models import AuthToken

from registry.models import Timepoint
from tests import factories

AFTER_WINDOW = "2020-02-20"


@pytest.fixture
def study(transactional_db, owner, neighbour, outsider):
    """P-done (BOREN) has its day-28 response, P-late (BOREN) had it on day 40, P-pumc
    (PUMC) has none; the neighbour is the clinician at PUMC."""
    study = factories.day_28_only().study
    boren, pumc = study.sites.get(code="BOREN"), study.sites.get(code="PUMC")
    for subject, site, day in (
        ("P-done", boren, 28),
        ("P-late", boren, 40),
        ("P-pumc", pumc, None),
    ):
        patient = factories.PatientFactory(subject_id=subject, site=site)
        factories.InfusionFactory(patient=patient)
        if day:
            factories.ResponseAssessmentFactory(patient=patient, day=day)
    return study


def get(server, user, path: str, **params) -> tuple[int, bytes]:
    _instance, token = AuthToken.objects.create(user=user)
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    request = urllib.request.Request(
        f"{server.url}{path}{query}", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def schedule(server, user, **params) -> tuple[int, dict]:
    status, body = get(server, user, "/api/v1/studies/HCD19/schedule/", **params)
    return status, json.loads(body)


def test_it_lists_each_visit_with_its_status(live_server, study, owner):
    status, body = schedule(live_server, owner, on=AFTER_WINDOW, ordering="study_id")
    assert status == 200
    assert body["count"] == 3
    assert [(v["study_id"], v["site"], v["status"]) for v in body["results"]] == [
        ("P-done", "BOREN", "done"),
        ("P-late", "BOREN", "overdue"),
        ("P-pumc", "PUMC", "overdue"),
    ]
    first = body["results"][0]
    assert (first["window_opens"], first["due_date"], first["window_closes"]) == (
        "2020-02-09",
        "2020-02-12",
        "2020-02-15",
    )


def test_it_filters_by_status_site_timepoint_and_target_date(live_server, study, owner):
    _, overdue = schedule(live_server, owner, on=AFTER_WINDOW, status="overdue", site="BOREN")
    assert [v["study_id"] for v in overdue["results"]] == ["P-late"]
    _, shown = schedule(live_server, owner, on=AFTER_WINDOW, show="overdue", ordering="-study_id")
    assert [v["study_id"] for v in shown["results"]] == ["P-pumc", "P-late"]
    _, none = schedule(live_server, owner, timepoint="Day 28", due_from="2020-02-13")
    assert none["count"] == 0
    _, due = schedule(live_server, owner, on="2020-02-10", show="due_this_month")
    assert [v["study_id"] for v in due["results"]] == ["P-late", "P-pumc"]


def test_a_clinician_sees_the_visits_of_their_own_site_only(live_server, study, neighbour):
    _, body = schedule(live_server, neighbour, on=AFTER_WINDOW)
    assert [v["study_id"] for v in body["results"]] == ["P-pumc"]
    status, refused = schedule(live_server, neighbour, site="BOREN")
    assert status == 400
    assert refused == {"site": ["No site 'BOREN' among yours: PUMC"]}


def test_an_outsider_finds_no_such_study(live_server, study, outsider):
    status, _body = schedule(live_server, outsider)
    assert status == 404


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"show": "soon"}, "show", "'soon' is not one of: due_this_month, overdue, all"),
        ({"status": "late"}, "status", "'late' is not one of: done, upcoming, due"),
        ({"due_from": "2020-13-01"}, "due_from", "Date has wrong format"),
        ({"due_from": "2020-03-01", "due_to": "2020-02-01"}, "due_to", "on or after due_from"),
        ({"timepoint": "Day 29"}, "timepoint", "No timepoint 'Day 29' in this study: Day 28"),
        ({"ordering": "name"}, "ordering", "'name' is not one of: due_date, study_id"),
        ({"on": "3000-01-01"}, "on", "Give a day from 1900-01-01 to 2100-12-31"),
        ({"cutoff": "yesterday"}, "cutoff", "Give the clinical cut-off as a date"),
        ({"sort": "site"}, "sort", "Unknown parameter. Allowed: show, status, site"),
        ({"page_size": "0"}, "page_size", "A whole number from 1 to 500"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(live_server, study, owner, params, name, message):
    status, body = schedule(live_server, owner, **params)
    assert status == 400
    assert message in " ".join(body[name])


def test_the_csv_has_the_same_visits(live_server, study, owner):
    status, body = get(
        live_server, owner, "/api/v1/studies/HCD19/schedule.csv", on=AFTER_WINDOW, site="BOREN"
    )
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [(r["study_id"], r["timepoint"], r["due_date"], r["status"]) for r in rows] == [
        ("P-done", "Day 28", "2020-02-12", "done"),
        ("P-late", "Day 28", "2020-02-12", "overdue"),
    ]


def test_the_csv_refuses_a_bad_parameter_too(live_server, study, owner):
    status, body = get(live_server, owner, "/api/v1/studies/HCD19/schedule.csv", status="late")
    assert status == 400
    assert "status" in json.loads(body)


def test_the_schema_describes_the_endpoint_and_its_parameters(live_server, study, owner):
    status, body = get(live_server, owner, "/api/v1/schema/", format="json")
    operation = json.loads(body)["paths"]["/api/v1/studies/{code}/schedule/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"show", "status", "site", "timepoint", "due_from", "due_to", "on", "cutoff"} <= names
    assert "400" in operation["responses"]


def test_a_write_and_a_new_timepoint_move_the_kept_count(live_server, study, owner):
    _, before = schedule(live_server, owner, on=AFTER_WINDOW, status="overdue")
    assert before["count"] == 2
    factories.ResponseAssessmentFactory(patient=study.patients.get(subject_id="P-pumc"), day=27)
    _, after = schedule(live_server, owner, on=AFTER_WINDOW, status="overdue")
    assert after["count"] == 1
    Timepoint.objects.create(study=study, name="Day 7", target_day=7, sections=["labs"])
    _, more = schedule(live_server, owner, on=AFTER_WINDOW, status="overdue")
    assert more["count"] == 4
