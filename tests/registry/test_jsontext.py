"""registry.jsontext: JSON written as DRF writes it, only faster; how deep JSON text nests,
told before parsing it."""

import json
import sys
from datetime import UTC, date, datetime, time
from decimal import Decimal

import numpy as np
import pytest
from rest_framework.renderers import JSONRenderer as DRFRenderer

from registry.jsontext import (
    MAX_DEPTH,
    JSONRenderer,
    TooDeep,
    json_bytes,
    loads,
    refusals,
    too_deep,
)


@pytest.mark.parametrize(
    "value",
    [
        {
            "count": 2,
            "results": [
                {"study_id": "P01", "infusion_date": date(2021, 3, 4), "efs_months": 12.5},
                {"study_id": "Pé", "infusion_date": None, "efs_months": 1 / 3},
            ],
        },
        # DRF's own forms of a date and time: "Z" for UTC, to the millisecond.
        {"at": datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=UTC), "on": time(8, 9, 10, 111213)},
        # Characters that end a line in JavaScript, which DRF escapes.
        {"note": "one\u2028two\u2029three"},
        # Beyond 64 bits, which orjson refuses: DRF's renderer writes it.
        {"copies": 2**70},
    ],
)
def test_it_writes_the_json_drf_writes(value):
    assert json_bytes(value) == DRFRenderer().render(value)


def test_it_writes_a_float_as_the_same_number():
    # orjson's shortest form is not always the standard library's text: never another value.
    values = [1e-05, 2.5e-07, 1e16, 0.1, 100.0, 1 / 3, 5e-324, 1.7976931348623157e308]
    assert (
        json_bytes(values)
        == b"[0.00001,2.5e-7,1e+16,0.1,100.0,0.3333333333333333,5e-324,1.7976931348623157e+308]"
    )
    assert json.loads(json_bytes(values)) == values


def test_it_writes_numpy_numbers_and_decimals_through_drfs_encoder():
    value = {"n": np.int64(3), "rate": np.float64(0.5), "dose": Decimal("2.5")}
    assert json_bytes(value) == b'{"n":3,"rate":0.5,"dose":2.5}'


def test_the_renderer_writes_compact_json_by_json_bytes_and_indented_json_as_drf_does():
    value = {"mrd_level": 1e-05, "lot": "L-0001"}
    assert (
        JSONRenderer().render(value) == json_bytes(value) == b'{"mrd_level":0.00001,"lot":"L-0001"}'
    )
    indented = JSONRenderer().render(value, "application/json; indent=2")
    assert indented == DRFRenderer().render(value, "application/json; indent=2")
    assert indented.startswith(b'{\n  "mrd_level": 1e-05')
    assert JSONRenderer().render(None) == b""


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
        (b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), True),
        (b"[" * 100_000, True),  # never closed: the parser would recurse before failing
        (b'["' + b"[" * 1000 + b'"]', False),  # brackets within a string are text
        (b'["\\"' + b"[" * 1000 + b'"]', False),  # after an escaped quote, too
        (b"[" + b"[], " * 10_000 + b"[]]", False),  # long, but shallow
        (b"]" + b"[" * 100, False),  # not JSON: refused at the first character
    ],
)
def test_it_tells_text_nested_too_deep(text, deep):
    assert too_deep(text) is deep


def test_it_reads_text_within_the_limit():
    assert loads(b'{"patients": [{"infusions": [{"lot": "[["}]}]}') == {
        "patients": [{"infusions": [{"lot": "[["}]}]
    }


def test_it_refuses_text_beyond_the_limit_before_parsing():
    with pytest.raises(TooDeep, match=f"nested more than {MAX_DEPTH} levels deep"):
        loads(b"[" * 1000 + b"]" * 1000)


def test_it_reads_a_key_given_twice_as_refused_naming_it_where_it_stands():
    value = loads(b'{"patients": [{"sex": "male", "sex": "female", "site": "A"}]}')

    assert refusals(value) == [
        ("patients[0].sex", "Given more than once in the same object: give each key once.")
    ]


def test_it_keeps_a_character_written_as_a_pair_of_surrogates():
    # U+1F600 escaped as JSON writes it beyond the Basic Multilingual Plane.
    value = loads(b'{"note": "\\ud83d\\ude00", "lines": "a\\tb\\r\\nc"}')

    assert value == {"note": "\U0001f600", "lines": "a\tb\r\nc"}
    assert refusals(value) == []


def test_it_names_a_key_holding_a_control_character_and_each_value_refused():
    value = loads(b'{"a\\u001f": 1, "b": [1.5, 1e999, -1e999, "\\ufffe"]}')

    assert refusals(value) == [
        ("a\x1f", "Must not contain an invisible control character (\\u001f)."),
        ("b[1]", "Too large a number to store (beyond 1.8e+308)."),
        ("b[2]", "Too large a number to store (beyond 1.8e+308)."),
        ("b[3]", "Must not contain \\ufffe, which is no character."),
    ]


def test_it_takes_the_largest_double_and_refuses_a_whole_number_beyond_it():
    largest = int(sys.float_info.max)

    assert refusals({"n": largest, "x": sys.float_info.max}) == []
    assert refusals({"n": largest * 2}) == [("n", "Too large a number to store (beyond 1.8e+308).")]
