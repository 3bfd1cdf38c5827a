"""Cohort documents over HTTP: POST studies/import/ and GET studies/{code}/export/."""

import json
from copy import deepcopy
from pathlib import Path

import pytest

from registry import models
from registry.access import membership_grant
from registry.interchange.exporter import cohort_document
from registry.models import Role

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/studies/import/"
EXPORT = "/api/v1/studies/HCD19/export/"
PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def published() -> dict:
    return json.loads(PUBLISHED.read_text())


def post(client, document) -> object:
    body = document if isinstance(document, str | bytes) else json.dumps(document)
    return client.post(IMPORT, body, content_type="application/json")


def export(client) -> dict:
    response = client.get(EXPORT)
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def without_empty(value):
    """The document as the format compares it: empty optional values left out."""
    if isinstance(value, dict):
        return {k: without_empty(v) for k, v in value.items() if v not in (None, "", False)}
    if isinstance(value, list):
        return [without_empty(item) for item in value]
    return value


def record_count(document: dict) -> int:
    """The section records of the patients in a document: a list's items, or one record."""
    sections = [
        value
        for patient in document["patients"]
        for value in patient.values()
        if isinstance(value, dict | list)
    ]
    return sum(len(value) if isinstance(value, list) else 1 for value in sections)


def stored_rows() -> int:
    return models.Patient.objects.count() + models.Infusion.objects.count()


def test_it_imports_a_cohort_and_says_how_many_patients(editor_client, published):
    response = post(editor_client, published)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "study": "HCD19",
        "created": 19,
        "updated": 0,
        "changed": 0,
        "unchanged": 0,
        "removed": 0,
        "records": {"created": record_count(published), "changed": 0, "unchanged": 0, "deleted": 0},
    }
    assert models.Patient.objects.count() == 19


def test_it_gives_back_the_document_it_imported(editor_client, published):
    post(editor_client, published)
    first = export(editor_client)
    # The published version 1 document, written as version 1.1 (docs/cohort-format.md).
    assert without_empty(first) == without_empty(published) | {"version": "1.1"}
    assert post(editor_client, first).status_code == 200
    assert export(editor_client) == first


def test_it_gives_back_the_same_document_through_an_empty_registry(editor_client, published):
    post(editor_client, published)
    first = export(editor_client)
    for model in (models.Patient, models.Site, models.Study):
        model.objects.all().delete()
    assert post(editor_client, first).json()["created"] == 19
    assert export(editor_client) == first


def test_it_updates_patients_in_place_on_reimport(editor_client, published):
    post(editor_client, published)
    ids = set(models.Patient.objects.values_list("pk", flat=True))
    changed = deepcopy(published)
    changed["patients"][0]["sex"] = (
        "female" if published["patients"][0]["sex"] == "male" else "male"
    )
    response = post(editor_client, changed)
    assert response.json() == {
        "study": "HCD19",
        "created": 0,
        "updated": 19,
        "changed": 1,
        "unchanged": 18,
        "removed": 0,
        "records": {"created": 0, "changed": 0, "unchanged": record_count(published), "deleted": 0},
    }
    assert set(models.Patient.objects.values_list("pk", flat=True)) == ids
    first = models.Patient.objects.get(subject_id=changed["patients"][0]["study_id"])
    assert first.sex == changed["patients"][0]["sex"]
    assert models.Infusion.objects.count() == sum(
        len(p["infusions"]) for p in published["patients"]
    )


def test_an_etag_read_before_an_unchanged_reimport_still_names_the_record(editor_client, published):
    post(editor_client, published)
    url = f"/api/v1/infusions/{models.Infusion.objects.order_by('pk').first().pk}/"
    etag = editor_client.get(url)["ETag"]

    assert post(editor_client, published).json()["records"]["changed"] == 0

    response = editor_client.patch(url, {"lot": "L-2"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def test_it_imports_nothing_when_one_patient_is_bad(editor_client, published):
    bad = deepcopy(published)
    bad["patients"][3]["infusions"][0]["date"] = "2020-02-30"
    response = post(editor_client, bad)
    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["detail"]
    assert [p["path"] for p in body["problems"]] == ["patients[3].infusions[0].date"]
    assert stored_rows() == 0
    assert not models.Study.objects.exists()


def test_it_keeps_the_stored_cohort_when_a_reimport_is_bad(editor_client, published):
    post(editor_client, published)
    before = export(editor_client)
    bad = deepcopy(published)
    bad["patients"][0]["sex"] = "male"
    bad["patients"][18]["events"] = [{"kind": "death", "date": "1999-01-01", "cause": "crs"}]
    response = post(editor_client, bad)
    assert response.status_code == 400
    assert any(p["path"].startswith("patients[18].events[0]") for p in response.json()["problems"])
    assert export(editor_client) == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"format": "cart-cohort", "version": 1,', "JSON parse error"),
        ("[]", "problem"),
        ('{"format": "cart-cohort", "version": 1, "study": "HCD19", "patients": {}}', "problem"),
        ('{"format": "csv"}', "problem"),
    ],
)
def test_it_refuses_a_body_that_is_not_a_cohort_document(editor_client, body, says):
    response = post(editor_client, body)
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert not models.Study.objects.exists()


def test_it_names_unknown_keys(editor_client, published):
    document = deepcopy(published)
    document["patients"][0]["name"] = "Jane Doe"
    paths = [p["path"] for p in post(editor_client, document).json()["problems"]]
    assert paths == ["patients[0].name"]


def test_it_refuses_a_document_over_the_size_limit(editor_client, published, settings):
    settings.COHORT_IMPORT_MAX_BYTES = 1000
    response = post(editor_client, published)
    assert response.status_code == 413
    assert "1,000 bytes (COHORT_IMPORT_MAX_BYTES)" in response.json()["detail"]
    assert not models.Study.objects.exists()


def test_it_lets_only_editors_import(reader_client, anonymous_client, published):
    assert post(reader_client, published).status_code == 403
    assert post(anonymous_client, published).status_code == 401
    assert not models.Study.objects.exists()


def test_it_exports_as_a_json_attachment(editor_client, published):
    post(editor_client, published)
    response = editor_client.get(EXPORT, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-cohort.json"'
    study = models.Study.objects.get()
    assert json.loads(b"".join(response.streaming_content)) == cohort_document(study)


def test_it_exports_in_a_fixed_number_of_queries(
    editor_client, published, django_assert_num_queries
):
    post(editor_client, published)
    # the study, the patients' ids, then a chunk of patients (registry.snapshots.courses),
    # their sites, and one query per section
    with django_assert_num_queries(16):
        export(editor_client)


def test_it_answers_404_for_an_unknown_study(reader_client):
    assert reader_client.get("/api/v1/studies/NOPE/export/").status_code == 404


def test_it_lets_coordinators_export_but_no_one_else(reader, reader_client, anonymous_client):
    study = models.Study.objects.create(code="HCD19", title="t")
    assert reader_client.get(EXPORT).status_code == 404  # no role in the study
    membership_grant(user=reader, study=study, role=Role.MONITOR)
    assert reader_client.get(EXPORT).status_code == 403
    membership_grant(user=reader, study=study, role=Role.COORDINATOR)
    assert reader_client.get(EXPORT).status_code == 200
    assert anonymous_client.get(EXPORT).status_code == 401


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda document: document["study"], "study.code"),
        (lambda document: document["study"], "study.title"),
        (lambda document: document["patients"][0], "patients[0].site"),
        (lambda document: document["patients"][0]["genetics"], "patients[0].genetics.other"),
        (lambda document: document["patients"][0]["infusions"][0], "patients[0].infusions[0].lot"),
    ],
)
def test_it_refuses_text_with_a_nul_character_naming_where(editor_client, published, where, path):
    where(published)[path.rsplit(".", 1)[1]] = "HC\u0000D19"

    response = post(editor_client, published)

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [
        {"path": path, "message": "Must not contain a NUL character (\\u0000)."}
    ]
    assert stored_rows() == 0


@pytest.mark.parametrize(
    ("text", "value", "message"),
    [
        # Found by an import crafted to break it: each was a server error, or a value
        # stored that no export could write again.
        (
            '"lot": "L1"',
            '"lot": "L\\u0001"',
            "Must not contain an invisible control character (\\u0001).",
        ),
        (
            '"lot": "L1"',
            '"lot": "L\\ud800"',
            "Must not contain half of a character (\\ud800, a lone surrogate).",
        ),
        (
            '"lot": "L1"',
            '"lot": "L\\uffff"',
            "Must not contain \\uffff, which is no character.",
        ),
        ('"lot": "L1"', '"lot": 1e400', "Too large a number to store (beyond 1.8e+308)."),
        ('"lot": "L1"', '"lot": ' + "9" * 400, "Too large a number to store (beyond 1.8e+308)."),
        (
            '"lot": "L1"',
            '"lot": "L1", "lot": "L2"',
            "Given more than once in the same object: give each key once.",
        ),
    ],
)
def test_it_refuses_what_it_could_not_store_or_export_naming_where(
    editor_client, published, text, value, message
):
    published["patients"][0]["infusions"][0]["lot"] = "L1"
    body = json.dumps(published).replace(text, value, 1)

    response = post(editor_client, body)

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [
        {"path": "patients[0].infusions[0].lot", "message": message}
    ]
    assert stored_rows() == 0


@pytest.mark.parametrize("dose", [10**10 + 1, 2**63])
def test_a_dose_beyond_any_given_is_refused_in_a_clinicians_words(editor_client, published, dose):
    # 2**63 is beyond what the database holds: Django said "Ensure this value is less than
    # or equal to 9223372036854775807." before the field had a ceiling of its own.
    published["patients"][0]["infusions"][0]["cells_per_kg"] = dose

    response = post(editor_client, published)

    assert response.status_code == 400, response.content
    problems = response.json()["problems"]
    assert {
        "path": "patients[0].infusions[0].cells_per_kg",
        "message": "Dose (cells/kg) cannot be more than 10,000,000,000",
    } in problems
    assert not any("Ensure this value" in problem["message"] for problem in problems)
    assert stored_rows() == 0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # Sites were added by any code before: one too long for its column was a server
        # error on PostgreSQL.
        ("S" * 41, "Ensure this value has at most 40 characters (it has 41)."),
        ("site a/<b>", "Use letters, digits, '-' or '_' only, starting with a letter or digit"),
    ],
)
def test_it_refuses_a_site_code_the_admin_would_refuse(editor_client, published, code, message):
    published["patients"][1]["site"] = code

    response = post(editor_client, published)

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [{"path": "patients[1].site", "message": message}]
    assert stored_rows() == 0
    assert not models.Site.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/xml"])
def test_an_empty_body_is_refused_as_empty(editor_client, content_type):
    # Found by a crafted import: an empty ODM body was answered with the problems of a
    # cohort document.
    response = editor_client.post(IMPORT, b"", content_type=content_type)

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [
        {
            "path": "",
            "message": "The body is empty: send a cohort document (application/json) or a "
            "CDISC ODM document (application/xml)",
        }
    ]


def test_it_refuses_a_study_code_differing_from_a_stored_one_only_in_case(editor_client, published):
    # Found by a crafted import: "hcd19" made a second study beside HCD19.
    assert post(editor_client, published).status_code == 200
    published["study"]["code"] = "hcd19"

    response = post(editor_client, published)

    assert response.status_code == 400, response.content
    assert response.json()["problems"] == [
        {
            "path": "study.code",
            "message": "Study code 'hcd19' cannot be used: the registry has 'HCD19', and study "
            "codes differing only in upper and lower case count as the same",
        }
    ]
    assert list(models.Study.objects.values_list("code", flat=True)) == ["HCD19"]


def test_it_reads_a_document_written_with_a_byte_order_mark(editor_client, published):
    response = post(editor_client, b"\xef\xbb\xbf" + json.dumps(published).encode())

    assert response.status_code == 200, response.content
    assert models.Patient.objects.count() == len(published["patients"])


@pytest.mark.parametrize("body", ["\x00", "{not json", "[" * 100 + "]" * 100])
def test_a_body_that_is_no_json_document_is_refused_as_the_schema_says(editor_client, body):
    response = post(editor_client, body)

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "problems"}
    assert response.json()["problems"] == []
