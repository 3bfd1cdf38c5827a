"""Queries whose SQL the ORM writes once, then run again with new values.

A request answered from the cache still reads a few rows to know whom it answers and
what (the user's sites, a patient's version), and making such a query (filters,
subqueries, joins) costs the ORM more CPU than PostgreSQL spends running it. The
queryset is written as usual, with a `Placeholder` where a value changes from one run to
the next (the user's id, a patient's); `prepared` makes its SQL once, `rows` runs it with
this run's values. What the queryset's columns need on reading (a date and time from
SQLite's text) is done as the queryset would.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import BigIntegerField, Expression, Field, QuerySet


class Placeholder(Expression):
    """A value given when the query runs (`rows(query, name=value)`): compiled as one
    parameter of the SQL, which `rows` replaces by the value."""

    def __init__(self, name: str, output_field: Field | None = None) -> None:
        super().__init__(output_field=output_field or BigIntegerField())
        self.name = name

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        return "%s", [self]


def list_size(count: int) -> int:
    """How many placeholders `listed` gives a list of `count` values: the next power of
    two, so that the queries made for a few sizes serve lists of every length."""
    return 1 << max(count - 1, 0).bit_length()


def listed(name: str, size: int) -> list[Placeholder]:
    """Placeholders for a list of values (`pk__in=listed("patient", size)`), given when the
    query runs by `listed_values(name, values, size)`. `size`: `list_size` of the length."""
    return [Placeholder(f"{name}_{at}") for at in range(size)]


def listed_values(name: str, values: Sequence, size: int) -> dict:
    """The values of the placeholders `listed(name, size)`: `values`, then its last value
    again as often as it takes, which a list read with `in` does not change."""
    padded = [*values, *[values[-1]] * (size - len(values))]
    return {f"{name}_{at}": value for at, value in enumerate(padded)}


@dataclass(frozen=True)
class PreparedQuery:
    alias: str
    sql: str
    params: tuple
    # Each column read that needs converting: its place, the functions, its expression.
    converters: tuple


def prepared(queryset: QuerySet) -> PreparedQuery:
    """The SQL of `queryset` (a values_list) with its placeholders, for `rows`."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    columns = compiler.get_converters(column for column, _, _ in compiler.select)
    converters = tuple(
        (at, tuple(functions), column) for at, (functions, column) in columns.items()
    )
    return PreparedQuery(queryset.db, sql, tuple(params), converters)


def rows(query: PreparedQuery, **values) -> list[tuple]:
    """The rows of `query` with these values of its placeholders, each a value ready for
    the database (an int for an id)."""
    params = [values[p.name] if isinstance(p, Placeholder) else p for p in query.params]
    connection = connections[query.alias]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, params)
        found = cursor.fetchall()
    if not query.converters:
        return found
    return [_converted(row, query.converters, connection) for row in found]


def _converted(row: tuple, converters: tuple, connection) -> tuple:
    values = list(row)
    for at, functions, column in converters:
        for convert in functions:
            values[at] = convert(values[at], column, connection)
    return tuple(values)
