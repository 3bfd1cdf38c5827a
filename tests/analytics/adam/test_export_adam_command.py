"""manage.py export_adam CODE -o DIR writes every dataset in every format and the
Define-XML, at the study's cut-off by default."""

import json
from datetime import date

import pyreadstat
import pytest
from django.core.management import CommandError, call_command

from analytics.adam.variables import DATASETS


def test_it_writes_every_dataset_in_every_format_and_the_define(published, tmp_path):
    call_command("export_adam", "HCD19", "-o", str(tmp_path))
    names = sorted(path.name for path in tmp_path.iterdir())
    expected = [f"{name.lower()}.{ext}" for name in DATASETS for ext in ("csv", "json", "xpt")]
    assert names == sorted([*expected, "define.xml"])
    adsl, meta = pyreadstat.read_xport(str(tmp_path / "adsl.xpt"))
    assert len(adsl) == 19
    assert meta.table_name == "ADSL"
    document = json.loads((tmp_path / "adtte.json").read_text())
    # The study's cut-off, 2021-07-31, ends every follow-up: no ADT after it.
    assert max(row[7] for row in document["rows"]) == "2021-07-31"


def test_it_takes_a_cutoff_and_refuses_a_bad_one(published, tmp_path):
    call_command("export_adam", "HCD19", "-o", str(tmp_path), "--cutoff", "2020-06-30")
    adsl, _ = pyreadstat.read_xport(str(tmp_path / "adsl.xpt"))
    assert len(adsl) == 12  # first infused by 2020-06-30
    with pytest.raises(CommandError, match="cut-off"):
        call_command("export_adam", "HCD19", "-o", str(tmp_path), "--cutoff", "31/07/2021")


def test_it_refuses_a_study_that_is_not_there(db, tmp_path):
    with pytest.raises(CommandError, match="No study with code 'NOPE'"):
        call_command("export_adam", "NOPE", "-o", str(tmp_path))


def refusal(*arguments: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*arguments)
    return str(caught.value)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--as-of", "31/07/2021"),
        ("--as-of", "2999-01-01"),
        ("--cutoff", "2021-02-30"),
        ("--cutoff", "1850-01-01"),
    ],
)
def test_a_bad_date_is_refused_in_the_words_of_the_other_exports(
    published, tmp_path, option, value
):
    """The dates are parsed where every export command's are (registry.parameters)."""
    adam = refusal("export_adam", "HCD19", "-o", str(tmp_path), option, value)
    cohort = refusal("export_cohort", "HCD19", option, value)
    assert adam == cohort
    assert adam.startswith(f"Error: argument {option}: ")
    assert not any(tmp_path.iterdir())


def test_a_bad_as_of_names_the_format(published, tmp_path):
    message = refusal("export_adam", "HCD19", "-o", str(tmp_path), "--as-of", "31/07/2021")
    assert message.endswith("'31/07/2021' is not a date: give YYYY-MM-DD")


def test_none_takes_away_the_studys_cutoff(published, tmp_path, capsys):
    call_command("export_adam", "HCD19", "-o", str(tmp_path))
    assert "(cut-off 2021-07-31)" in capsys.readouterr().err
    call_command("export_adam", "HCD19", "-o", str(tmp_path), "--cutoff", "none")
    assert "(cut-off none)" in capsys.readouterr().err


def test_as_of_today_reads_the_data_as_it_stands(published, tmp_path):
    call_command("export_adam", "HCD19", "-o", str(tmp_path), "--as-of", str(date.today()))
    adsl, _ = pyreadstat.read_xport(str(tmp_path / "adsl.xpt"))
    assert len(adsl) == 19
