"""Each process's lab values: every value of one analyte in one specimen of a study's
patients, as a lab series reads them (analytics.dataset.lab_values), kept in this
process's memory between requests.

A series of a large study reads hundreds of thousands of values (every ANC of a hundred
thousand patients), and reading them costs more than computing the series from them. So
each process keeps the values of the last few series asked (at most MAX_KEPT; 23 bytes a
value, some 20 MiB for the ANC of a hundred thousand patients), and brings them up to date
rather than reading them all again:

- While the version of the study's lab results (registry.data_version.part_version: their
  token, and the latest row of every study's lab results' history) is the one they were
  checked at, they are current: a write to a patient's own row or to another section
  leaves them as they are.
- Else the values of the patients whose lab values changed since are read again and put in
  place of theirs. Every lab value saved or deleted leaves a history row naming its
  patient, dated when it was written, so the patients to read again are those named by the
  history rows later than the latest the values have seen, looking back LOOK_BACK further,
  as the frames do (analytics.frames): a transaction that wrote before that latest change
  but committed after it is still found. A value moved to another patient names only its
  new one, so every patient its history names is read again.
- A cohort import, which dates its history rows when it starts and commits minutes later,
  has every process read the values of every study again (`IMPORTED_KEY`, replaced by its
  signal), as has a change to more lab values than REREAD_OVER.

The values are read by a range of patient ids (lab_values_query), and named by the frame
of the patients asked (named_lab_values), which leaves out the others'. A request whose
patients' ids lie outside the range kept reads them again over both ranges, so the
requests with other filters share one read.

As recorded on a past day (as_of), the values are read from the audit trail at each
request, not kept. Kept values are never changed: bringing them up to date makes new ones,
so a request still naming the old ones (a threaded server) is not disturbed.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from analytics.dataset.records import id_range, lab_rows, named_lab_values
from analytics.frames import LOOK_BACK
from analytics.process_kept import ProcessKept
from config.routers import use_replica
from registry import data_version
from registry.models import LabResult

MAX_KEPT = 6
REREAD_OVER = 1000  # lab values changed since last checked, over which all are read again
IMPORTED_KEY = "analytics:labs-imported"


@dataclass(frozen=True)
class ProcessLabValues:
    version: str  # the version of the study's lab results they are current at
    imported: str  # the import token (IMPORTED_KEY) they were read at
    seen: datetime | None  # the latest change to any lab value, when last checked
    patient_ids: range  # the patients whose values they are
    rows: np.ndarray  # analytics.dataset.records.LAB_VALUE rows, in no order


process_lab_values: ProcessKept[tuple[int, str, str], ProcessLabValues] = ProcessKept(MAX_KEPT)


@use_replica()
def study_lab_values(
    study_id: int, study_ids: pd.Series, *, analyte: str, specimen: str
) -> pd.DataFrame:
    """lab_values of the patients `study_ids` names, all of the study `study_id`, on the
    data as it stands: from the values this process keeps."""
    key = (study_id, analyte, specimen)
    # Read before the values: a write committing in between moves them again.
    version = data_version.part_version(study_id, LabResult)
    imported = data_version.cache_token(IMPORTED_KEY)
    asked = id_range(study_ids.index)
    kept = process_lab_values.get(key)
    if kept is not None and kept.imported == imported and _within(asked, kept.patient_ids):
        current = kept
        if kept.version != version:
            current = _brought_up_to_date(kept, version, analyte, specimen)
        if current is not None:
            process_lab_values.keep(key, current)
            return named_lab_values(current.rows, study_ids, analyte)
    if kept is not None:
        asked = _spanning(asked, kept.patient_ids)
        # The old values let go first: a process holds one copy of them at a time.
        process_lab_values.drop(key)
    seen = _latest_change()
    kept = ProcessLabValues(version, imported, seen, asked, lab_rows(asked, analyte, specimen))
    process_lab_values.keep(key, kept)
    return named_lab_values(kept.rows, study_ids, analyte)


def _brought_up_to_date(
    kept: ProcessLabValues, version: str, analyte: str, specimen: str
) -> ProcessLabValues | None:
    """`kept` with the values of the patients whose lab values changed since read again;
    None when more than REREAD_OVER changed, to be read all again."""
    seen = _latest_change()
    history = data_version.history_of(LabResult)
    changes = history.all()
    if kept.seen is not None:
        changes = changes.filter(history_date__gte=kept.seen - LOOK_BACK)
    changed = list(changes.values_list("id", flat=True).distinct()[: REREAD_OVER + 1])
    if len(changed) > REREAD_OVER:
        return None
    # Every patient each changed value was ever of, among those kept.
    patients = kept.patient_ids
    named = history.filter(
        id__in=changed, patient_id__gte=patients.start, patient_id__lt=patients.stop
    )
    patient_ids = sorted(set(named.values_list("patient_id", flat=True)))
    rows = kept.rows
    if patient_ids:
        unchanged = rows[~np.isin(rows["patient_id"], patient_ids)]
        rows = np.concatenate([unchanged, lab_rows(patient_ids, analyte, specimen)])
    return ProcessLabValues(version, kept.imported, seen, patients, rows)


def _latest_change() -> datetime | None:
    """When the latest lab value of any study was written, from the history's index."""
    history = data_version.history_of(LabResult)
    return history.order_by("-history_date").values_list("history_date", flat=True).first()


def _within(asked: range, kept: range) -> bool:
    return not asked or (kept.start <= asked.start and asked.stop <= kept.stop)


def _spanning(first: range, second: range) -> range:
    """The ids from the least of both ranges to the greatest."""
    if not first or not second:
        return first or second
    return range(min(first.start, second.start), max(first.stop, second.stop))


def lab_values_read_after_import(sender, **kwargs) -> None:
    """After a cohort import into any study (registry.signals.cohort_imported): every
    process reads the lab values it keeps again. The values of a range of patient ids may
    be another study's, and the import's history rows are dated before the look back."""
    data_version.replace_token(IMPORTED_KEY)
