"""The stored rows (analytics.models.AnalysisRow): served until their patient changes. A
written patient's row is computed as the write commits, an import's rows as it commits, and
a statistic computes only the rows still stale (a write made some other way, or whose row
failed)."""

import hashlib
import sys
from datetime import date, datetime
from pathlib import Path

import orjson
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Case, F, QuerySet, When

from analytics import stats
from analytics.dataset import columns, computed, lab_rules, records, row_rules
from analytics.dataset.columns import COLUMNS
from analytics.dataset.computed import computed_rows
from analytics.models import AnalysisRow
from registry import analytes, biomarkers, choices, grading, icaht, models
from registry.services import deleted_with_patient


def _source_digest(*modules) -> str:
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


# The code a stored row was computed by (analytics.models.AnalysisRow): the modules of this
# package that read, compute and store a row, and the grading, kinetics and choices they
# call (and the lab rules and unit conversions). Changing any of them makes every stored
# row stale, so no row of an older version of the rules is ever served.
ROW_CODE = _source_digest(
    columns,
    records,
    row_rules,
    lab_rules,
    computed,
    sys.modules[__name__],
    stats,
    grading,
    biomarkers,
    icaht,
    analytes,
    choices,
    models.section,
    models.course_start,
    models.toxicity,
    models.outcomes,
    models.patient,
    models.labs,
    models.study,
)


def stored_values(patients: QuerySet) -> list[list]:
    return list(stored_rows(patients).values())


def stored_rows(patients: QuerySet) -> dict[int, list]:
    """The patients' stored rows by patient id, in the queryset's order; those missing or
    stale computed, returned and stored. A patient deleted meanwhile has none."""
    # The order first: sorting the patients with their rows would make the database sort
    # tens of megabytes, on disk.
    order = list(patients.values_list("id", flat=True))
    # Each patient's site's code (a site's code can change, which its patients' `updated`
    # does not show, so a stored row's site is read fresh) and its stored row where that row is
    # current: compared in the database, the stamps cost nothing to read. Compared in the
    # select list, not in the join: just after the rows were computed again for a new
    # ROW_CODE, PostgreSQL's statistics still count none of that code, and a join on it
    # was planned as a nested loop of a hundred thousand scans.
    current = Case(
        When(
            analysis_row__code=ROW_CODE,
            analysis_row__stamp=F("updated"),
            then=F("analysis_row__values"),
        )
    )
    found = patients.order_by().annotate(current=current)
    found = found.values_list("id", "site__code", "current")
    # A whole study through a server-side cursor, a chunk at a time, which keeps memory
    # flat; a few patients (the one an edit changed) in one round trip, as the cursor's
    # opening, fetches and closing would each take one.
    rows, stale = {}, []
    for pk, site, values in found.iterator(chunk_size=CHUNK) if len(order) > CHUNK else found:
        if values is None:
            stale.append(pk)
        else:
            rows[pk] = _loaded(values, site)
    if len(stale) > CHUNK:
        # Most of a large cohort, as after a first import: all at once, in a constant
        # number of queries, rather than a few thousand patients at a time.
        rows |= _computed_and_stored(patients)
    elif stale:
        rows |= _computed_and_stored(models.Patient.objects.filter(pk__in=stale))
    # Without any patient deleted while its row was computed.
    return {pk: rows[pk] for pk in order if pk in rows}


def rows_stored_after_import(sender, study: models.Study, **kwargs) -> None:
    """After a cohort import (registry.signals.cohort_imported): the rows of the study's
    patients changed by it computed and stored now, so that the first statistic after an
    import does not wait for them."""
    stored_values(study.patients.all())


def row_stored_after_write(sender, instance, origin=None, **kwargs) -> None:
    """post_save and post_delete of a patient or a section of its course: once the write
    commits, the patient's row is computed and stored, so that the first statistic after it
    reads the row rather than computing it (some 16 queries). A failure is logged, not
    raised: the write stands, and the next statistic computes the row.

    Not for a patient deleted, nor for the sections deleted with it: it has no row."""
    if deleted_with_patient(origin):
        return
    patient_id = instance.pk if isinstance(instance, models.Patient) else instance.patient_id

    # A function with a name, which Django logs a failure with (a partial has none).
    def store_row() -> None:
        stored_rows(models.Patient.objects.filter(pk=patient_id))

    transaction.on_commit(store_row, robust=True)


def _computed_and_stored(patients: QuerySet) -> dict[int, list]:
    # The stamps are read before any record: a row computed from records newer than its
    # stamp is found stale at the next read and computed again, never the other way round.
    stamps = dict(patients.values_list("id", "updated"))
    rows = {pk: [row[column] for column in COLUMNS] for pk, row in computed_rows(patients).items()}
    _store(rows, stamps)
    return rows


CHUNK = 2000
SITE, INFUSION_DATE = list(COLUMNS).index("site"), list(COLUMNS).index("infusion_date")


def _loaded(text: str, site: str) -> list:
    values = orjson.loads(text)
    values[SITE] = site
    if values[INFUSION_DATE] is not None:
        values[INFUSION_DATE] = date.fromisoformat(values[INFUSION_DATE])
    return values


def _store(rows: dict[int, list], stamps: dict[int, datetime]) -> None:
    """Store the rows with the stamps they were computed at, over any stored before."""
    computed = sorted(pk for pk in rows if pk in stamps)
    for start in range(0, len(computed), CHUNK):
        chunk = computed[start : start + CHUNK]
        # Not those of patients deleted since (on the primary: the reads may be the replica's).
        present = models.Patient.objects.using(DEFAULT_DB_ALIAS).filter(pk__in=chunk)
        stored = [
            AnalysisRow(
                patient_id=pk,
                stamp=stamps[pk],
                code=ROW_CODE,
                values=orjson.dumps(rows[pk]).decode(),
            )
            for pk in present.order_by("pk").values_list("pk", flat=True)
        ]
        try:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                AnalysisRow.objects.bulk_create(
                    stored,
                    update_conflicts=True,
                    unique_fields=["patient"],
                    update_fields=["stamp", "code", "values"],
                )
        except IntegrityError:
            # A patient deleted in the meantime: the rows are still this request's answer,
            # and the others are stored at the next read.
            pass
