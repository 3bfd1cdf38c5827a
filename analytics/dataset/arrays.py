"""Rows of numbers read straight into a numpy array, without a Python object per value:
for queries of hundreds of thousands of rows, such as every value of one analyte in a
cohort (analytics.dataset.lab_values).

On PostgreSQL the database packs the rows itself: each field is cast to the type of its
column of the array and written in that type's binary form (int8send, float8send, ...:
big-endian numbers of fixed size), a row's fields one after the other, and the rows into
one bytea value. The answer is then one value, not a row per record, and numpy reads it in
place as an array of records. Elsewhere (SQLite) the rows are fetched one by one.

One bytea holds at most 1 GB: some forty million rows of lab values.
"""

import numpy as np
from django.db import connections
from django.db.models import QuerySet

# The PostgreSQL type each column type of the array is read as, the function writing its
# binary form, and that form's layout.
PACKED_TYPES = {
    np.dtype(np.int64): ("int8", "int8send", ">i8"),
    np.dtype(np.int32): ("int4", "int4send", ">i4"),
    np.dtype(np.int16): ("int2", "int2send", ">i2"),
    np.dtype(np.float64): ("float8", "float8send", ">f8"),
    np.dtype(np.bool_): ("bool", "boolsend", "?"),
}


class UnexpectedNull(Exception):
    """A row held a null, which an array of numbers cannot."""


def numeric_rows(queryset: QuerySet, dtype: np.dtype) -> np.ndarray:
    """The rows of a values_list queryset as an array of `dtype`, whose fields are its
    columns in order: numbers and booleans, none of them null."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _packed(cursor, sql, params, dtype)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.fromiter(rows, dtype=dtype, count=len(rows))


def _packed(cursor, sql: str, params: tuple, dtype: np.dtype) -> np.ndarray:
    names = dtype.names
    fields = " || ".join(
        f"{PACKED_TYPES[dtype[name]][1]}({name}::{PACKED_TYPES[dtype[name]][0]})" for name in names
    )
    # Counted beside them: a row with a null packs to null, which string_agg leaves out.
    cursor.execute(
        f"SELECT count(*), string_agg({fields}, ''::bytea) "
        f"FROM ({sql}) AS found ({', '.join(names)})",
        params,
    )
    count, packed = cursor.fetchone()
    layout = np.dtype([(name, PACKED_TYPES[dtype[name]][2]) for name in names])
    if len(packed or b"") != count * layout.itemsize:
        raise UnexpectedNull(f"a null among the rows of {', '.join(names)}")
    return np.frombuffer(packed or b"", dtype=layout).astype(dtype)
