"""Each study's analysis data frame, kept in this process's memory between requests.

Every statistic on the data as it stands starts from the data frame of the study's
analysis rows (analytics.dataset). For a hundred thousand patients, building it takes
seconds (reading and decoding the stored rows, then typing the columns), where most
statistics then take tens of milliseconds. So each process keeps the frames of the
studies it was last asked about (at most MAX_STUDIES; some 70 MiB for a hundred thousand
patients) and brings a frame up to date rather than building it again:

- While the study's data version (analytics.caching) is the one the frame was checked
  at, the frame is current.
- Else the rows of the patients changed since are read (stored, or computed: see
  dataset.stored_rows) and put in place of theirs. Every change to a patient or a section
  of its course moves the patient's `updated` (registry.services.patient_touched), so the
  patients to look at are those whose `updated` is later than the latest the frame has
  seen, looking back LOOK_BACK further: a transaction that stamped a patient before that
  latest change but committed after it is still found, unless it lasted longer than that
  (gunicorn stops a request after 30 s, config/gunicorn.py; an import, which takes longer,
  has the frame built again). Of those, the changed ones are those whose `updated` differs
  from the stamp the frame holds for them. The look back is kept short because every
  patient stamped in it is read at each new data version: just after an import, tens of
  thousands of them.
- A patient created, moved to another study or deleted changes which rows there are: the
  frame is put back in the study's order. A patient deleted is found by its history row,
  with the same look back.
- A cohort import, which stamps its patients when it starts and commits minutes later,
  has the frame built again (`imported`, replaced by its signal), as has a change to more
  patients than REBUILD_OVER.
- A site renamed: its new code is written into the frame's site column.

A frame is never changed once made: bringing it up to date makes a new one (sharing the
columns that did not change), so a request still reading the old one (a threaded server)
is not disturbed.

As recorded on a past day (as_of), frames are computed from the audit trail instead, and kept
in the shared cache (analytics.results).
"""

import math
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pandas as pd
from django.db.models import TextField
from django.db.models.functions import Cast

from analytics.cohort import patients_frame
from analytics.dataset import CHUNK, stored_rows
from analytics.process_kept import ProcessKept
from config.routers import use_replica
from registry import data_version, models
from registry.data_version import DataVersion

MAX_STUDIES = 4
LOOK_BACK = timedelta(minutes=1)  # twice the longest a request runs
REBUILD_OVER = CHUNK


@dataclass(frozen=True)
class ProcessFrame:
    frame: pd.DataFrame  # indexed by patient id, in the study's order (by study id)
    # Each patient's `updated` (as text) its row is at least as new as. Read and updated
    # only under the lock, so a frame brought up to date shares its predecessor's rather
    # than copying every patient's stamp at each change.
    stamps: dict[int, str]
    sites: dict[int, str]  # the study's sites' codes, as the frame writes them
    seen: datetime | None  # the latest `updated` of the study's patients, when last checked
    version: DataVersion
    imported: str  # the study's import token it was built at


process_frames: ProcessKept[int, ProcessFrame] = ProcessKept(MAX_STUDIES)
# One frame built or brought up to date at a time: a frame shares its stamps with the one
# it replaces, read and changed only under this lock.
_lock = threading.Lock()


@use_replica()
def study_frame(study: models.Study, version: DataVersion) -> ProcessFrame:
    """The frame of every patient of the study, current at `version` (read before)."""
    with _lock:
        held = process_frames.get(study.pk)
        imported = _imported(study.pk)
        if held is None or held.imported != imported:
            held = _built(study, version, imported)
        elif held.version != version:
            held = _brought_up_to_date(held, study, version)
        process_frames.keep(study.pk, held)
        return held


def _built(study: models.Study, version: DataVersion, imported: str) -> ProcessFrame:
    # The stamps before the rows: a row newer than its stamp is read again next time, never
    # the other way round.
    stamps = {pk: stamp for pk, _study, stamp in _stamped(study.patients.all())}
    frame = patients_frame(stored_rows(study.patients.order_by("subject_id")))
    stamps = {pk: stamp for pk, stamp in stamps.items() if pk in frame.index}
    return ProcessFrame(frame, stamps, _site_codes(study), version.updated, version, imported)


def _brought_up_to_date(
    held: ProcessFrame, study: models.Study, version: DataVersion
) -> ProcessFrame:
    patients = models.Patient.objects.all()
    deleted = models.Patient.history.filter(study_id=study.pk, history_type="-")
    if held.seen is not None:
        patients = patients.filter(updated__gte=held.seen - LOOK_BACK)
        deleted = deleted.filter(history_date__gte=held.seen - LOOK_BACK)
    found = _stamped(patients)
    changed = {
        pk: stamp
        for pk, study_id, stamp in found
        if study_id == study.pk and held.stamps.get(pk) != stamp
    }
    if len(changed) > REBUILD_OVER:
        return _built(study, version, held.imported)
    # Moved to another study, or deleted.
    gone = [pk for pk, study_id, _ in found if study_id != study.pk and pk in held.stamps]
    gone += [pk for pk in deleted.values_list("id", flat=True) if pk in held.stamps]
    sites = _site_codes(study)
    if not changed and not gone and sites == held.sites:
        # A change elsewhere: this study's frame stands.
        return replace(held, version=version)
    rows = stored_rows(models.Patient.objects.filter(pk__in=changed))
    frame, stamps = held.frame, held.stamps
    gone += [pk for pk in changed if pk not in rows]  # deleted while read
    if not gone and all(pk in frame.index for pk in rows):
        frame = _replaced(frame, rows)
    else:
        dropped = [pk for pk in [*changed, *gone] if pk in frame.index]
        frame = pd.concat([frame.drop(index=dropped), patients_frame(rows)])
        # Only the study's own, in its order.
        order = study.patients.order_by("subject_id").values_list("pk", flat=True)
        frame = frame.reindex([pk for pk in order if pk in frame.index])
        stamps = {pk: stamp for pk, stamp in {**stamps, **changed}.items() if pk in frame.index}
    if sites != held.sites:
        renamed = {held.sites[pk]: code for pk, code in sites.items() if pk in held.sites}
        frame = frame.assign(site=frame["site"].map(lambda code: renamed.get(code, code)))
    if stamps is held.stamps:
        # Last, once the new frame is made: the held frame's stamps never say a row is
        # newer than the frame holding them.
        stamps.update(changed)
    return ProcessFrame(frame, stamps, sites, version.updated, version, held.imported)


def _stamped(patients) -> list[tuple[int, int, str]]:
    """Each patient's id, study and `updated`, as text: compared, never computed with, and
    a hundred thousand strings are read far faster than as many datetimes."""
    stamp = Cast("updated", output_field=TextField())
    return list(patients.values_list("pk", "study_id", stamp))


def _replaced(frame: pd.DataFrame, rows: dict[int, list]) -> pd.DataFrame:
    """A frame with these rows (stored_rows') in place of those of the same patients. It
    shares with the old one the columns in which none of these rows changed (safe: neither
    is ever changed in place) and holds its own copy of the others: an edit changes a few
    columns, and copying all of them would cost a large study's frame far more.

    Each column's new values are typed as the column is, which is as analysis_frame types
    them, not by building and typing a frame of the new rows, which costs more than the
    rest of the change.
    """
    if not rows:
        return frame
    positions = frame.index.get_indexer(list(rows))
    new = frame.copy(deep=False)
    columns = zip(*rows.values(), strict=True)
    for column, row_values in zip(frame.columns, columns, strict=True):
        values = frame[column].array
        if all(
            _unchanged(values[at], value) for at, value in zip(positions, row_values, strict=True)
        ):
            continue
        changed = pd.array(list(row_values), dtype=values.dtype)
        if values[positions].equals(changed):
            continue
        values = values.copy()
        values[positions] = changed
        new[column] = values
    return new


def _unchanged(held, value) -> bool:
    """Whether a frame's cell (`held`, as the column types it) certainly holds a stored
    row's value: both missing, or equal as they are. Typing a value for every column costs
    more than the rest of an edit, and an edit changes few columns. Values that compare
    unequal untyped (an infusion date against its datetime) are then compared typed, as a
    changed one is."""
    missing = held is pd.NA or held is pd.NaT or (isinstance(held, float) and math.isnan(held))
    if value is None or missing:
        return value is None and missing
    return bool(held == value)


def _site_codes(study: models.Study) -> dict[int, str]:
    return dict(study.sites.order_by("pk").values_list("pk", "code"))


def _imported_key(study_id: int) -> str:
    return f"analytics:imported:{study_id}"


def _imported(study_id: int) -> str:
    # A fresh token when there is none (never set, or evicted): every frame is built again.
    return data_version.cache_token(_imported_key(study_id))


def frame_rebuilt_after_import(sender, study: models.Study, **kwargs) -> None:
    """After a cohort import (registry.signals.cohort_imported): every process builds the
    study's frame again."""
    data_version.replace_token(_imported_key(study.pk))
