"""manage.py export_adam CODE -o DIR writes every dataset in every format and the
Define-XML, at the study's cut-off by default."""

import json

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
