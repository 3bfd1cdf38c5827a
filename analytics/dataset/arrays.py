"""Rows of numbers read straight into a numpy array, without a Python object per value:
for queries of hundreds of thousands of rows, such as every value of one analyte in a
cohort (analytics.dataset.lab_values).

On PostgreSQL the rows come by COPY in its binary format, each field cast to the type of
its column of the array, and are read in place: a row of fixed-size fields, none of them
null, has the same layout every time, so the whole answer is one array of records
(https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"). Elsewhere
(SQLite) they are fetched as rows.
"""

import numpy as np
from django.db import connections
from django.db.models import QuerySet

# The PostgreSQL type each column type of the array is read as, and its binary layout:
# big-endian, as the COPY format sends every number.
WIRE_TYPES = {
    np.dtype(np.int64): ("int8", ">i8"),
    np.dtype(np.int32): ("int4", ">i4"),
    np.dtype(np.int16): ("int2", ">i2"),
    np.dtype(np.float64): ("float8", ">f8"),
    np.dtype(np.bool_): ("bool", "?"),
}
# Signature, flags and the length of the header extension (none), then the rows, then -1.
HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
TRAILER = b"\xff\xff"


class UnexpectedCopy(Exception):
    """The database sent something other than one fixed-size row per record."""


def numeric_rows(queryset: QuerySet, dtype: np.dtype) -> np.ndarray:
    """The rows of a values_list queryset as an array of `dtype`, whose fields are its
    columns in order: numbers and booleans, none of them null."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        # Bound here: a COPY takes no parameters. Through Django's cursor, which logs it
        # as it logs every query.
        with connection.cursor() as cursor:
            return _copied(cursor, connection.ops.compose_sql(sql, params), dtype)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.fromiter(rows, dtype=dtype, count=len(rows))


def _copied(cursor, sql: str, dtype: np.dtype) -> np.ndarray:
    names = dtype.names
    columns = ", ".join(f"{name}::{WIRE_TYPES[dtype[name]][0]}" for name in names)
    copy = (
        f"COPY (SELECT {columns} FROM ({sql}) AS found ({', '.join(names)})) "
        "TO STDOUT (FORMAT BINARY)"
    )
    with cursor.copy(copy) as copied:
        data = b"".join(copied)
    return _read(data, dtype)


def _read(data: bytes, dtype: np.dtype) -> np.ndarray:
    # A row: the number of fields, then each field's size and its bytes.
    wire = np.dtype(
        [("fields", ">i2")]
        + [
            field
            for name in dtype.names
            for field in ((f"{name}_size", ">i4"), (name, WIRE_TYPES[dtype[name]][1]))
        ]
    )
    body = len(data) - len(HEADER) - len(TRAILER)
    if not (data.startswith(HEADER) and data.endswith(TRAILER)) or body % wire.itemsize:
        raise UnexpectedCopy("not rows of fixed-size fields: a null, or a value of another size")
    rows = np.frombuffer(data, dtype=wire, offset=len(HEADER), count=body // wire.itemsize)
    if (rows["fields"] != len(dtype.names)).any():
        raise UnexpectedCopy("a row of another number of fields")
    found = np.empty(len(rows), dtype=dtype)
    for name in dtype.names:
        # A null's size is -1, and then no bytes follow: the layout would not hold.
        if (rows[f"{name}_size"] != dtype[name].itemsize).any():
            raise UnexpectedCopy(f"{name}: a null or a value of another size")
        found[name] = rows[name]
    return found
