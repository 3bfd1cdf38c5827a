"""Exports as recorded on a day (?as_of=YYYY-MM-DD, --as-of): the study as it stood at the end
of that day (registry.snapshots), whatever was corrected since."""

import json
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import load_workbook

from registry import snapshots
from registry.interchange.exporter import cohort_document, patients_for_export
from registry.interchange.importer import cohort_import
from registry.models import Study
from tests.api.conftest import EXPORTS
from tests.trail import age_the_trail, correct_the_cohort

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def study(roles) -> Study:
    """The published cohort, entered three days ago."""
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    age_the_trail(timezone.localdate() - timedelta(days=3))
    return study


@pytest.fixture
def cut_off(study):
    return timezone.localdate() - timedelta(days=2)


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("name", ["cohort", "patients.csv", "deidentified.csv"])
def test_an_export_at_a_cut_off_is_the_one_made_before_the_corrections(
    editor_client, editor, cut_off, name
):
    before = body(editor_client.get(EXPORTS[name]))
    correct_the_cohort(editor)

    after = body(editor_client.get(EXPORTS[name]))
    assert after != before
    assert body(editor_client.get(EXPORTS[name], {"as_of": cut_off.isoformat()})) == before


def test_the_workbook_at_a_cut_off_has_the_patients_of_then(editor_client, editor, cut_off):
    correct_the_cohort(editor)
    content = body(editor_client.get(EXPORTS["patients.xlsx"], {"as_of": cut_off.isoformat()}))
    sheet = load_workbook(BytesIO(content))["patients"]
    study_ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert study_ids == [f"P{number:02d}" for number in range(1, 20)]


def test_the_file_name_gives_the_cut_off(editor_client, cut_off):
    response = editor_client.get(EXPORTS["patients.csv"], {"as_of": cut_off.isoformat()})

    expected = f'attachment; filename="HCD19-patients-as-of-{cut_off.isoformat()}.csv"'
    assert response["Content-Disposition"] == expected


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"as_of": "2021-02-30"}, "as_of", "Date has wrong format"),
        ({"as_of": "2999-01-01"}, "as_of", "cannot be after today"),
        ({"asof": "2021-01-01"}, "asof", "Unknown parameter. Allowed: as_of"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(editor_client, study, name, query, field, message):
    response = editor_client.get(EXPORTS[name], query)

    assert response.status_code == 400
    assert message in str(response.json()[field])


def test_export_cohort_writes_the_study_as_it_stood(editor, cut_off, tmp_path):
    before = cohort_document(Study.objects.get(code="HCD19"))
    correct_the_cohort(editor)
    output = tmp_path / "cohort.json"

    call_command("export_cohort", "HCD19", "-o", str(output), "--as-of", cut_off.isoformat())

    assert json.loads(output.read_text()) == before


def test_export_deidentified_takes_a_cut_off_too(editor, cut_off, capsys):
    correct_the_cohort(editor)
    call_command("export_deidentified", "HCD19", "--as-of", cut_off.isoformat())
    # one header line and the 19 patients of then (P20 came later)
    assert len(capsys.readouterr().out.splitlines()) == 20


@pytest.mark.parametrize("value", ["2021-02-30", "tomorrow", "2999-01-01"])
def test_a_bad_cut_off_stops_the_command(study, value):
    with pytest.raises(CommandError, match="as-of"):
        call_command("export_cohort", "HCD19", "--as-of", value)


def test_courses_read_a_constant_number_of_queries_per_chunk(
    study, cut_off, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(snapshots, "CHUNK", 5)
    # the patients' ids, then for each of 4 chunks: the patients and one query per
    # section (13), and the site once
    with django_assert_num_queries(1 + 4 * 13 + 1):
        patients = list(patients_for_export(study, cut_off))
    assert len(patients) == 19
