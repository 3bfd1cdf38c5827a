"""manage.py export_fhir CODE [-o FILE] [--ndjson] [--cutoff] [--as-of]: the study's FHIR
Bundle or NDJSON, the same resources the API gives, written to a file or standard output."""

import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from tests.fhir import bundle_of, bundle_resources, ndjson_of, of_type
from tests.odm import imported_study

pytestmark = pytest.mark.django_db


def without_timestamp(bundle: dict) -> dict:
    return {key: value for key, value in bundle.items() if key != "timestamp"}


def test_it_writes_the_studys_bundle_to_a_file(tmp_path):
    study = imported_study()
    output = tmp_path / "hcd19.json"
    call_command("export_fhir", "HCD19", "-o", str(output))
    written = json.loads(output.read_bytes())
    assert without_timestamp(written) == without_timestamp(bundle_of(study))
    assert len(of_type(bundle_resources(written), "Patient")) == 20


def test_it_writes_ndjson_to_standard_output(capsys):
    study = imported_study()
    call_command("export_fhir", "HCD19", "--ndjson")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == ndjson_of(study)


def test_it_takes_a_cutoff(tmp_path):
    study = imported_study()
    output = tmp_path / "hcd19.ndjson"
    call_command("export_fhir", "HCD19", "--ndjson", "-o", str(output), "--cutoff", "2020-06-30")
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert lines == ndjson_of(study, cutoff=date(2020, 6, 30))
    # Of the 20, those first infused by then: 12 of the published cohort, and Z99.
    assert len(of_type(lines, "Patient")) == 13


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--cutoff", "31/07/2021", "cutoff"),
        ("--as-of", (date.today() + timedelta(days=3)).isoformat(), "as-of"),
    ],
)
def test_it_refuses_a_bad_date_naming_the_option(option, value, message):
    imported_study()
    with pytest.raises(CommandError, match=message):
        call_command("export_fhir", "HCD19", option, value)


def test_it_refuses_a_study_that_is_not_there():
    with pytest.raises(CommandError, match="No study with code 'NOPE'"):
        call_command("export_fhir", "NOPE")
