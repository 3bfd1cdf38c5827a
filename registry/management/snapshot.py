"""The --as-of option of the export commands: a data cut-off (registry.snapshots)."""

from argparse import ArgumentParser, ArgumentTypeError
from datetime import date

from registry.snapshots import future_date_problem


def cutoff_date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None
    problem = future_date_problem(day)
    if problem:
        raise ArgumentTypeError(problem)
    return day


def add_as_of_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=cutoff_date,
        metavar="YYYY-MM-DD",
        help="export the data as it stood at the end of this day (default: as it stands)",
    )
