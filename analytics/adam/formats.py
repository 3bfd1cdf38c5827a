"""An ADaM dataset written as a SAS transport file (version 5, pyreadstat), as CDISC
Dataset-JSON 1.1 (odmlib's model) or as CSV.

Each writer takes the dataset's data frame (analytics.adam.derive) and its variables
(analytics.adam.variables) and writes to a binary file, so a download goes out of a
temporary file rather than a copy of it held in memory.
"""

import csv
import io
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import BinaryIO

import numpy as np
import orjson
import pandas as pd
import pyreadstat
from odmlib.dataset_json_1_1 import Column, DatasetJSON, SourceSystem

from analytics.adam.variables import DATE, DATE_FORMAT, FLOAT, INTEGER, Dataset

XPT, JSON, CSV = "xpt", "json", "csv"
CONTENT_TYPES = {
    XPT: "application/octet-stream",
    JSON: "application/json",
    CSV: "text/csv; charset=utf-8",
}
DATASET_JSON_VERSION = "1.1.0"
SOURCE_SYSTEM = "CAR-T registry"
DATA_TYPES = {INTEGER: "integer", FLOAT: "float", DATE: "date"}


def write_xpt(found: pd.DataFrame, dataset: Dataset, out: BinaryIO) -> None:
    """SAS transport version 5: SAS's XPORT engine, R's haven::read_xpt and
    pyreadstat.read_xport read it. Dates are SAS dates (days from 1960) shown as DATE9.;
    missing text is blank, as SAS has no missing text."""
    frame = found.copy()
    for variable in dataset.variables:
        if variable.is_text:
            frame[variable.name] = frame[variable.name].map(lambda value: value or "")
    # pyreadstat writes to a path: a temporary one, copied out and removed.
    handle, path = tempfile.mkstemp(suffix=".xpt")
    os.close(handle)
    try:
        pyreadstat.write_xport(
            frame,
            path,
            file_label=dataset.label,
            column_labels=[variable.label for variable in dataset.variables],
            table_name=dataset.name,
            file_format_version=5,
            variable_format={v.name: DATE_FORMAT for v in dataset.variables if v.kind == DATE},
        )
        with open(path, "rb") as written:
            while chunk := written.read(1 << 20):
                out.write(chunk)
    finally:
        os.unlink(path)


def write_csv(found: pd.DataFrame, dataset: Dataset, out: BinaryIO) -> None:
    """A header row of the variables' names; dates in ISO form, missing values empty."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(dataset.names)
    writer.writerows(
        ["" if value is None else value for value in row] for row in _rows(found, dataset)
    )
    text.detach()


def write_dataset_json(
    found: pd.DataFrame, dataset: Dataset, out: BinaryIO, *, study_code: str, written_at: datetime
) -> None:
    """CDISC Dataset-JSON 1.1: the dataset's metadata (its columns, their item OIDs those
    of the Define-XML, define.xml its metadata reference) and its rows as arrays."""
    document = dataset_json(
        dataset, study_code=study_code, records=len(found), written_at=written_at
    )
    metadata = document.to_dict()
    metadata.pop("rows", None)
    head = orjson.dumps(metadata)
    # The rows are written one by one after the metadata, not held as one text.
    out.write(head[:-1] + b',"rows":[')
    for number, row in enumerate(_rows(found, dataset)):
        out.write((b"," if number else b"") + orjson.dumps(row))
    out.write(b"]}")


def dataset_json(
    dataset: Dataset, *, study_code: str, records: int, written_at: datetime
) -> DatasetJSON:
    """The Dataset-JSON document of the dataset, without its rows."""
    columns = [
        Column(
            itemOID=item_oid(dataset, variable.name),
            name=variable.name,
            label=variable.label,
            dataType=DATA_TYPES.get(variable.kind, "string"),
            **_column_extras(dataset, variable),
        )
        for variable in dataset.variables
    ]
    return DatasetJSON(
        datasetJSONCreationDateTime=written_at.astimezone(UTC)
        .replace(tzinfo=None)
        .isoformat(timespec="seconds"),
        datasetJSONVersion=DATASET_JSON_VERSION,
        fileOID=f"{study_oid(study_code)}.{dataset.name}",
        originator=SOURCE_SYSTEM,
        sourceSystem=SourceSystem(name=SOURCE_SYSTEM, version="1"),
        studyOID=study_oid(study_code),
        metaDataVersionOID=METADATA_VERSION_OID,
        metaDataRef="define.xml",
        itemGroupOID=item_group_oid(dataset),
        records=records,
        name=dataset.name,
        label=dataset.label,
        columns=columns,
    )


def _column_extras(dataset: Dataset, variable) -> dict:
    extras = {}
    if variable.is_text:
        extras["length"] = variable.length
    if variable.kind == DATE:
        # Stored as SAS dates (numbers) in the transport file.
        extras |= {"targetDataType": "integer", "displayFormat": DATE_FORMAT}
    if variable.name in dataset.keys:
        extras["keySequence"] = dataset.keys.index(variable.name) + 1
    return extras


METADATA_VERSION_OID = "MDV.ADAM.1"


def study_oid(study_code: str) -> str:
    return f"ST.{study_code}"


def item_group_oid(dataset: Dataset) -> str:
    return f"IG.{dataset.name}"


def item_oid(dataset: Dataset, name: str) -> str:
    return f"IT.{dataset.name}.{name}"


def _rows(found: pd.DataFrame, dataset: Dataset):
    """Each row as a list of plain values: text or None, whole numbers as int, dates in
    ISO form."""
    columns = [_plain(found[variable.name], variable.kind) for variable in dataset.variables]
    return (list(row) for row in zip(*columns, strict=True))


def _plain(values: pd.Series, kind: str) -> list:
    if kind == DATE:
        return [None if value is None else value.isoformat() for value in values]
    if kind in (INTEGER, FLOAT):
        numbers = values.to_numpy(dtype=float)
        plain = numbers.astype(object)
        plain[np.isnan(numbers)] = None
        if kind == INTEGER:
            return [None if value is None else int(value) for value in plain]
        return plain.tolist()
    return values.tolist()


WRITERS: dict[str, Callable] = {XPT: write_xpt, CSV: write_csv}


def write(
    found: pd.DataFrame, dataset: Dataset, file_format: str, out: BinaryIO, *, study_code: str
) -> None:
    """The dataset in `file_format` (XPT, JSON or CSV) to `out`."""
    if file_format == JSON:
        write_dataset_json(found, dataset, out, study_code=study_code, written_at=datetime.now(UTC))
    else:
        WRITERS[file_format](found, dataset, out)
