"""The analysis dataset's answer (GET .../analytics/dataset/, JSON or CSV), written in
blocks of patients that each process keeps between requests.

For a large study, writing the answer (a dict per row, JSON or CSV, then gzip) costs far
more than bringing its data frame up to date after a write (analytics.frames). So each
process keeps, for each of the last answers it wrote (at most MAX_KEPT: a study, its
format and parameters), the rows it wrote them from and the answer in blocks of
BLOCK_ROWS rows, each written and compressed apart (analytics.gzip_blocks). The next time
that answer is asked, after any change, the new rows are compared with the kept ones; a
block none of whose rows changed is put back as it is kept, and only the others are
written and compressed again: after a write to one patient, one block. The answer is
stitched from the blocks, with its head (the JSON's count, the CSV's header row) and its
tail (the dates it was computed at) written anew.

The blocks hold the same text, row for row, as writing the whole answer at once: a row's
text is a function of its values alone. Compared as they are written, not merely as
equal: 0.0 and -0.0, equal numbers, are written apart, so floats and dates are compared bit
for bit; the text columns hold text or nothing (kind TEXT in analytics.dataset.columns), compared
as text; a missing value of any kind is written null. A column the two frames share is not
compared: frames are never changed in place. A column whose type changed, or rows that
moved, are written again.

Blocks are never changed once made, and each kept answer is replaced whole, so requests of
a threaded server never see half of one; two requests writing the same answer at once
each write it, and the later one is kept.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import exports
from analytics.dataset import DATASET_COLUMNS
from analytics.exports import Packed, csv_rows
from analytics.gzip_blocks import Block, deflated, gzip_member, inflated
from analytics.process_kept import ProcessKept
from registry.jsontext import json_bytes

BLOCK_ROWS = 1000
MAX_KEPT = 4
# Where a JSON answer's rows go: the value of its "results", written empty.
NO_RESULTS = b'"results":[]'
# The CSV's header row: a row whose every column holds its name.
CSV_HEADER = csv_rows(DATASET_COLUMNS, [{column: column for column in DATASET_COLUMNS}]).encode()


@dataclass(frozen=True)
class Kept:
    frame: pd.DataFrame  # the rows the blocks were written from
    blocks: tuple[Block, ...]  # block n: rows n * BLOCK_ROWS to (n + 1) * BLOCK_ROWS


kept_answers: ProcessKept[str, Kept] = ProcessKept(MAX_KEPT)


def dataset_json(kept_as: str, frame: pd.DataFrame, dates: dict) -> Packed:
    """{"count", "results", then `dates`}: the frame's rows as analysis_rows gives them, as
    json_bytes writes them. `kept_as` names the answer among those kept: its study, its
    format and every parameter that chose its rows."""
    written = json_bytes({"count": len(frame), "results": [], **dates})
    head, tail = written.split(NO_RESULTS, 1)
    return _stitched(
        kept_as,
        frame,
        head=head + NO_RESULTS[:-1],
        tail=NO_RESULTS[-1:] + tail,
        separator=b",",
        written=lambda rows: json_bytes(rows)[1:-1],
    )


def dataset_csv(kept_as: str, frame: pd.DataFrame) -> Packed:
    """The frame's rows under a header row of their columns, as csv_text writes them."""
    return _stitched(
        kept_as,
        frame,
        head=CSV_HEADER,
        tail=b"",
        separator=b"",
        written=lambda rows: csv_rows(DATASET_COLUMNS, rows).encode(),
    )


def _stitched(
    kept_as: str,
    frame: pd.DataFrame,
    *,
    head: bytes,
    tail: bytes,
    separator: bytes,
    written: Callable[[list[dict]], bytes],
) -> Packed:
    """The answer head + the rows' text, `separator` between two rows + tail; packed as
    analytics.exports.packed packs it."""
    held = kept_answers.get(kept_as)
    blocks = _blocks(held, frame, separator, written)
    kept_answers.keep(kept_as, Kept(frame, blocks))
    return _packed(head, blocks, tail)


def _packed(head: bytes, blocks: tuple[Block, ...], tail: bytes) -> Packed:
    """The head, the blocks' text and the tail, compressed past exports.COMPRESS_OVER."""
    if len(head) + sum(block.size for block in blocks) + len(tail) <= exports.COMPRESS_OVER:
        return Packed(head + inflated(blocks) + tail)
    ends = deflated(head, exports.COMPRESS_LEVEL), deflated(tail, exports.COMPRESS_LEVEL)
    return Packed(gzip_member([ends[0], *blocks, ends[1]]), gzipped=True)


def _blocks(
    held: Kept | None,
    frame: pd.DataFrame,
    separator: bytes,
    written: Callable[[list[dict]], bytes],
) -> tuple[Block, ...]:
    """The frame's blocks: those of `held` whose rows are the same, the others written."""
    changed = _changed_rows(held.frame if held else None, frame)
    blocks = []
    for number, start in enumerate(range(0, len(frame), BLOCK_ROWS)):
        end = start + BLOCK_ROWS
        same_rows = held is not None and min(end, len(held.frame)) == min(end, len(frame))
        if same_rows and not changed[start:end].any():
            blocks.append(held.blocks[number])
            continue
        text = written(frame_rows(frame.iloc[start:end]))
        blocks.append(deflated(separator + text if number else text, exports.COMPRESS_LEVEL))
    return tuple(blocks)


def _changed_rows(held: pd.DataFrame | None, frame: pd.DataFrame) -> np.ndarray:
    """Whether each row of the frame may be written otherwise than the held frame's row in
    its place: a row of another patient, or with a value written otherwise."""
    changed = np.ones(len(frame), dtype=bool)
    columns = list(DATASET_COLUMNS)
    if held is None or not held.dtypes[columns].equals(frame.dtypes[columns]):
        return changed
    common = min(len(held), len(frame))
    same = held.index[:common] == frame.index[:common]
    for column in columns:
        if not _one_column(held[column], frame[column]):
            same &= _written_alike(held[column].iloc[:common], frame[column].iloc[:common])
    changed[:common] = ~same
    return changed


def _one_column(held: pd.Series, values: pd.Series) -> bool:
    """Whether the two are one column, shared by the two frames: a frame is never changed
    in place (analytics.frames, analytics.cutoff), and most columns of the study's frame
    are shared by the frame brought up to date after a write."""
    if len(held) != len(values):
        return False
    if held.array is values.array:
        return True
    if not isinstance(values.dtype, np.dtype):
        return False
    held_values, new_values = held.to_numpy(), values.to_numpy()
    return (
        held_values.__array_interface__["data"][0] == new_values.__array_interface__["data"][0]
        and held_values.strides == new_values.strides
    )


def _written_alike(held: pd.Series, values: pd.Series) -> np.ndarray:
    """Whether each value is written as the held one is (the columns are of one type).
    Missing (None, NaN, NaT, NA) is written null, whatever it is."""
    if values.dtype == object:
        equal = np.asarray(held.to_numpy() == values.to_numpy(), dtype=bool)
        # None equals None; NaN, never itself. Looked for only among the values not found
        # equal, as finding what is missing costs most on text.
        unequal = np.flatnonzero(~equal)
        held_missing = pd.isna(held.to_numpy()[unequal])
        equal[unequal] = held_missing & pd.isna(values.to_numpy()[unequal])
        return equal
    both_missing = held.isna().to_numpy() & values.isna().to_numpy()
    if isinstance(values.dtype, np.dtype):
        # Floats and dates bit for bit: 0.0 and -0.0 are equal but written apart.
        bits = f"i{values.dtype.itemsize}"
        return (held.to_numpy().view(bits) == values.to_numpy().view(bits)) | both_missing
    # Nullable integers and booleans: unknown where either is missing.
    equal = (held.array == values.array).to_numpy(dtype=bool, na_value=False)
    return equal | both_missing


def frame_rows(frame: pd.DataFrame) -> list[dict]:
    """The frame's rows as analysis_rows gives them: plain values, None where missing."""
    values = [
        frame[column].to_numpy(dtype=object, na_value=None).tolist()
        for column in DATASET_COLUMNS
        if column != "infusion_date"
    ]
    values.insert(DATASET_COLUMNS.index("infusion_date"), _days(frame["infusion_date"]))
    return [dict(zip(DATASET_COLUMNS, row, strict=True)) for row in zip(*values, strict=True)]


def _days(column: pd.Series) -> list:
    """The column's datetimes as dates, None where missing. Not by na_value: the dates of a
    column holding nothing but NaT are datetimes still, whose NaT na_value leaves as it is."""
    days = column.dt.date.to_numpy(dtype=object)
    days[column.isna().to_numpy()] = None
    return days.tolist()
