"""The analysis dataset: one flat row per patient. The only analytics package that reads
the ORM.

Every statistic is computed from these rows, so a figure can always be traced back to the
row values a user can download (GET .../analytics/dataset/, also as CSV).

Its modules, one job each: ``columns`` (what a row holds), ``patients`` (the study's
patients through the patient filters), ``records`` (the queries that read a patient's
records), ``row_rules`` (one patient's row from its records), ``lab_rules`` (the row's lab
columns: ICAHT, B-cell aplasia, cytokine peaks), ``computed`` (rows computed
from the records, and recounted up to a clinical cut-off), ``stored`` (rows stored between
requests, analytics.models.AnalysisRow, until their patient changes). As recorded on a
past day (``as_of``), rows are computed from the audit trail, so they are those of the data
as it stood at the end of that day (registry.snapshots), and are not stored.

The reads go to the read replica when one is configured (config.routers), as does the data
version the results are cached under (analytics.caching).
"""

from collections.abc import Collection
from datetime import date

from django.db.models import QuerySet

from analytics.dataset.columns import (
    B_CELL_APLASIA,
    COLUMNS,
    DATASET_COLUMNS,
    EARLY_ICAHT,
    GRADES,
    ICAHT,
    KINETICS,
    LAB_LAST_DAYS,
    LABS,
    LATE_ICAHT,
    PART_COLUMNS,
    PARTS,
    PEAK_ANALYTES,
    PEAKS,
    peak_columns,
)
from analytics.dataset.computed import computed_rows, parts_up_to
from analytics.dataset.patients import study_patients
from analytics.dataset.records import car_t_counts, lab_values, tables_read
from analytics.dataset.stored import CHUNK, ROW_CODE, stored_rows, stored_values
from config.routers import use_replica

__all__ = [
    "B_CELL_APLASIA",
    "CHUNK",
    "COLUMNS",
    "DATASET_COLUMNS",
    "EARLY_ICAHT",
    "GRADES",
    "ICAHT",
    "KINETICS",
    "LABS",
    "LAB_LAST_DAYS",
    "LATE_ICAHT",
    "PARTS",
    "PEAK_ANALYTES",
    "PART_COLUMNS",
    "PEAKS",
    "ROW_CODE",
    "analysis_rows",
    "analysis_values",
    "car_t_counts",
    "lab_values",
    "parts_up_to",
    "peak_columns",
    "stored_rows",
    "study_patients",
    "tables_read",
]


@use_replica()
def analysis_rows(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> list[dict]:
    """One row per patient of the queryset, in its order.

    On the data as it stands, the rows stored between requests (analytics.models.AnalysisRow):
    only those of patients changed since they were computed are computed again, so a
    statistic after an edit does not read the whole cohort's records again. Stored rows have
    every column, whatever `parts` asks.

    With `as_of`, `patients` come from study_patients with the same date, and their rows are
    computed from the records as they stood then, in a constant number of queries. `parts`
    names the costlier column groups to fill in (all by default; see PARTS): a statistic
    that needs neither grades nor kinetics does not read a hundred thousand daily
    assessments and CAR-T counts.
    """
    if as_of is not None:
        return list(computed_rows(patients, parts, as_of).values())
    return [dict(zip(COLUMNS, values, strict=True)) for values in stored_values(patients)]


@use_replica()
def analysis_values(
    patients: QuerySet, parts: Collection[str] = PARTS, as_of: date | None = None
) -> dict[int, list]:
    """The rows of analysis_rows by patient id, as lists of their values in COLUMNS order
    (None in the columns of a part not asked for): what a data frame is built from
    (analytics.cohort.patients_frame), without a dict per patient."""
    if as_of is not None:
        rows = computed_rows(patients, parts, as_of)
        return {pk: [row.get(column) for column in COLUMNS] for pk, row in rows.items()}
    return stored_rows(patients)
