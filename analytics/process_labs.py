"""Each process's lab values: every value of one analyte in one specimen of a study's
patients, as a lab series reads them (analytics.dataset.lab_values), kept in this
process's memory between requests.

A series of a large study reads hundreds of thousands of values (every ANC of a hundred
thousand patients), and reading them costs more than computing the series from them. Most
writes leave them as they were: a patient's own row, a daily assessment, a response. So
each process keeps the values of the last few series asked (at most MAX_KEPT; 23 bytes a
value, some 20 MiB for the ANC of a hundred thousand patients), under the
version of the study's lab results alone (registry.data_version.part_version: their
token, and the latest row of every study's lab results' history), and reads them again
once that moves: a lab value written, in this study or another, or a cohort import.

The values are read by a range of patient ids (lab_values_query), and named by the frame
of the patients asked (named_lab_values), which leaves out the others'. A request whose
patients' ids lie outside the range kept, or that finds the version moved, reads them
again over both ranges, so the requests with other filters share one read.

As recorded on a past day (as_of), the values are read from the audit trail at each
request, not kept. Kept values are never changed: a new read is kept as a new value, so a
request still naming the old one (a threaded server) is not disturbed.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.dataset.records import id_range, lab_rows, named_lab_values
from analytics.process_kept import ProcessKept
from config.routers import use_replica
from registry.data_version import part_version
from registry.models import LabResult

MAX_KEPT = 6


@dataclass(frozen=True)
class ProcessLabValues:
    version: str  # the study's lab results' version they were read at
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
    # Read before the values: a write committing in between moves it again.
    version = part_version(study_id, LabResult)
    asked = id_range(study_ids.index)
    kept = process_lab_values.get(key)
    if kept is not None and kept.version == version and _within(asked, kept.patient_ids):
        return named_lab_values(kept.rows, study_ids, analyte)
    if kept is not None:
        asked = _spanning(asked, kept.patient_ids)
        # The old values let go first: a process holds one copy of them at a time.
        process_lab_values.drop(key)
    kept = ProcessLabValues(version, asked, lab_rows(asked, analyte, specimen))
    process_lab_values.keep(key, kept)
    return named_lab_values(kept.rows, study_ids, analyte)


def _within(asked: range, kept: range) -> bool:
    return not asked or (kept.start <= asked.start and asked.stop <= kept.stop)


def _spanning(first: range, second: range) -> range:
    """The ids from the least of both ranges to the greatest."""
    if not first or not second:
        return first or second
    return range(min(first.start, second.start), max(first.stop, second.stop))
