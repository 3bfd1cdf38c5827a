"""What changed in a study between two moments, read from the audit trail (the history
rows registry.history reads): for the transactional ODM document."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Model

from registry import models as registry
from registry.sections import SECTIONS

CREATED, DELETED = "+", "-"


@dataclass(slots=True)
class RecordChange:
    """The history rows of one record in the period: how the first and the last changed
    it, and what the last one says of where the record belongs: a section's patient, or a
    patient's study id and site (what a removal names). Only these few values are kept of
    each row, so the changes of a whole study fit in little memory."""

    first_type: str
    last_type: str
    belongs: tuple  # (patient_id,) of a section's record; (subject_id, site_id) of a patient

    @property
    def created(self) -> bool:
        """Created within the period: the receiving system has never had it."""
        return self.first_type == CREATED

    @property
    def deleted(self) -> bool:
        return self.last_type == DELETED


@dataclass
class PatientChanges:
    own: RecordChange | None = None  # the patient's own fields
    records: dict[tuple[str, int], RecordChange] = field(default_factory=dict)  # (section, id)


def study_changes(
    study: registry.Study, since: datetime, until: datetime | None
) -> dict[int, PatientChanges]:
    """By patient id, every patient of `study` with a change after `since` (and up to
    `until`), deleted patients included; one query per table of a course."""
    changes: dict[int, PatientChanges] = defaultdict(PatientChanges)
    patient_rows = _in_period(registry.Patient.history.filter(study_id=study.id), since, until)
    for row_id, change in _by_record(patient_rows, "subject_id", "site_id").items():
        changes[row_id].own = change
    ever_in_study = registry.Patient.history.filter(study_id=study.id).values("id")
    # A patient created in the period is sent whole: its records' changes are not needed.
    created = {patient_id for patient_id, change in changes.items() if change.own.created}
    for section in SECTIONS:
        rows = _in_period(section.model.history.filter(patient_id__in=ever_in_study), since, until)
        for record_id, change in _by_record(rows, "patient_id").items():
            (patient_id,) = change.belongs
            if patient_id not in created:
                changes[patient_id].records[(section.key, record_id)] = change
    return dict(changes)


def _in_period(rows, since: datetime, until: datetime | None):
    rows = rows.filter(history_date__gt=since)
    if until is not None:
        rows = rows.filter(history_date__lte=until)
    return rows.order_by("history_date", "history_id")


def _by_record(rows, *belongs: str) -> dict[int, RecordChange]:
    found: dict[int, RecordChange] = {}
    values = rows.values_list("id", "history_type", *belongs).iterator(chunk_size=2000)
    for row_id, history_type, *where in values:
        change = found.get(row_id)
        if change is None:
            found[row_id] = RecordChange(history_type, history_type, tuple(where))
        else:
            change.last_type, change.belongs = history_type, tuple(where)
    return found


def values_at(model: type[Model], record_ids: list[int], moment: datetime) -> dict[int, dict]:
    """By id, each record's document fields as they stood at `moment` (its last history row
    up to then): what a receiver that holds the snapshot of that moment holds of it."""
    found: dict[int, dict] = {}
    rows = (
        model.history.filter(id__in=record_ids, history_date__lte=moment)
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", *model.document_fields)
    )
    for row_id, *values in rows.iterator(chunk_size=2000):
        found.setdefault(row_id, dict(zip(model.document_fields, values, strict=True)))
    return found
