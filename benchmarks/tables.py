"""The table the export and import benchmarks print: a row per size and operation."""

from collections.abc import Callable, Iterable


def seconds_table(
    sizes: list[int],
    rows_of: Callable[[int], Iterable[tuple[str, float, str]]],
    *,
    what: str,
    width: int,
    notes: str,
) -> None:
    """For each number of patients, the rows (what was timed, seconds, notes) of
    `rows_of(patients)`, printed as each is measured, under one heading."""
    print(f"{'patients':>8}  {what:<{width}}  {'seconds':>8}  {notes}")
    for patients in sizes:
        for label, seconds, note in rows_of(patients):
            print(f"{patients:>8,}  {label:<{width}}  {seconds:8.2f}  {note}", flush=True)
