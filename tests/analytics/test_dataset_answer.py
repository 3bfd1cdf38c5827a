"""The analysis dataset's answer kept in blocks of rows (analytics.dataset_answer): after
any change to its rows, the answer stitched from kept and rewritten blocks is, byte for
byte, the answer written whole; after a change to one row, one block is written again."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import dataset_answer, exports
from analytics.cohort import analysis_frame
from analytics.dataset import DATASET_COLUMNS
from analytics.dataset_answer import dataset_csv, dataset_json, frame_rows
from analytics.exports import csv_text
from analytics.process_kept import ProcessKept
from registry.jsontext import json_bytes

BLOCK_ROWS = 4
DATES = {"cutoff": "2021-07-31", "as_of": None, "left_out_infused_after_cutoff": 1}


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of four rows, answers over 100 bytes compressed, nothing kept before."""
    monkeypatch.setattr(dataset_answer, "BLOCK_ROWS", BLOCK_ROWS)
    monkeypatch.setattr(exports, "COMPRESS_OVER", 100)
    monkeypatch.setattr(dataset_answer, "kept_answers", ProcessKept(dataset_answer.MAX_KEPT))


@pytest.fixture
def compressions(monkeypatch) -> list[bytes]:
    """The texts compressed from now on."""
    compressed = []

    def deflated(text: bytes, level: int):
        compressed.append(text)
        return blocks_deflated(text, level)

    blocks_deflated = dataset_answer.deflated
    monkeypatch.setattr(dataset_answer, "deflated", deflated)
    return compressed


def frame_of(count: int) -> pd.DataFrame:
    rows = [
        {
            "study_id": f"P{number:03}",
            "site": "SITE-A" if number % 3 else "SITE-B",
            "sex": "female" if number % 2 else "male",
            "age_years": 20 + number,
            "infusion_date": date(2020, 1, 1) + timedelta(days=number % 3000),
            "efs_months": number / 7,
            "responder": number % 2 == 0,
            "crs_grade": number % 4 if number % 5 else None,
        }
        for number in range(count)
    ]
    frame = analysis_frame(rows)
    frame.index = pd.Index(range(100, 100 + count), name="patient")
    return frame


def json_answer(frame: pd.DataFrame) -> bytes:
    return dataset_text(dataset_json("HCD19:json", frame, DATES))


def csv_answer(frame: pd.DataFrame) -> bytes:
    return dataset_text(dataset_csv("HCD19:csv", frame))


def dataset_text(packed: exports.Packed) -> bytes:
    return exports.gzip.decompress(packed.content) if packed.gzipped else packed.content


def written_whole(frame: pd.DataFrame, answer) -> bytes:
    """The answer as the endpoint wrote it before it kept blocks: all its rows at once."""
    rows = frame_rows(frame)
    if answer is csv_answer:
        return csv_text(DATASET_COLUMNS, rows).encode()
    return json_bytes({"count": len(rows), "results": rows, **DATES})


def with_value(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    changed = frame.copy()
    changed.iloc[row, changed.columns.get_loc(column)] = value
    return changed


ANSWERS = [json_answer, csv_answer]


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("count", [0, 1, BLOCK_ROWS, 10])
def test_it_writes_what_writing_the_whole_answer_writes(answer, count):
    frame = frame_of(count)

    assert answer(frame) == written_whole(frame, answer)


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("age_years", 99),
        ("age_years", None),
        ("crs_grade", 2),  # none before
        ("responder", None),
        ("sex", "male"),
        ("site", None),
        ("efs_months", np.nan),
        ("efs_months", 1e-300),
        ("infusion_date", pd.NaT),
    ],
)
def test_after_a_change_to_one_row_it_writes_that_rows_block_again(
    answer, column, value, compressions
):
    frame = frame_of(10)
    answer(frame)
    compressions.clear()
    changed = with_value(frame, 5, column, value)

    assert answer(changed) == written_whole(changed, answer)
    # The block of rows 4-7 (P004-P007) alone, with the answer's head and tail.
    (rows_written,) = [text for text in compressions if b"P0" in text]
    assert [f"P00{number}".encode() in rows_written for number in range(3, 9)] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert len(compressions) == 3


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_value_equal_but_written_otherwise_is_written_again(answer):
    frame = with_value(frame_of(10), 2, "efs_months", 0.0)
    answer(frame)
    changed = with_value(frame, 2, "efs_months", -0.0)

    assert b"-0.0" in answer(changed)
    assert answer(changed) == written_whole(changed, answer)


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize(
    "rearranged",
    [
        lambda frame: frame_of(11),  # a patient added last
        lambda frame: frame.iloc[:-1],  # the last one gone
        lambda frame: frame.drop(index=frame.index[2]),  # one gone from the first block
        lambda frame: frame.iloc[::-1],  # reordered
        lambda frame: frame.iloc[:0],  # none left
        lambda frame: frame.assign(age_years=frame["age_years"].astype("float64")),
    ],
)
def test_rows_added_removed_moved_or_retyped_are_written_as_they_now_are(answer, rearranged):
    frame = frame_of(10)
    answer(frame)
    changed = rearranged(frame)

    assert answer(changed) == written_whole(changed, answer)


def test_an_unchanged_answer_is_stitched_without_writing_a_row(compressions):
    frame = frame_of(10)
    json_answer(frame)
    compressions.clear()

    assert json_answer(frame.copy()) == written_whole(frame, json_answer)
    assert not any(b"P0" in text for text in compressions)


def test_a_small_answer_is_kept_as_written(monkeypatch):
    monkeypatch.setattr(exports, "COMPRESS_OVER", 1 << 20)
    frame = frame_of(10)
    json_answer(frame)

    packed = dataset_json("HCD19:json", with_value(frame, 9, "sex", None), DATES)

    assert not packed.gzipped
    assert packed.content == written_whole(with_value(frame, 9, "sex", None), json_answer)


def test_it_keeps_the_last_few_answers(monkeypatch):
    monkeypatch.setattr(dataset_answer.kept_answers, "most", 2)
    for study in ("A", "B", "C"):
        dataset_json(f"{study}:json", frame_of(3), DATES)

    assert dataset_answer.kept_answers.keys() == ["B:json", "C:json"]
