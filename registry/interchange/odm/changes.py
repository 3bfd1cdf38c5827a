"""What changed in a study between two moments, read from the audit trail (the history
rows registry.history reads): for the transactional ODM document."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from registry import models as registry
from registry.sections import SECTIONS

CREATED, DELETED = "+", "-"


@dataclass
class RecordChange:
    """The history rows of one record in the period: how its first one changed it, and the
    last one, which holds the record as it was left (its values when deleted)."""

    first_type: str
    last: object

    @property
    def created(self) -> bool:
        """Created within the period: the receiving system has never had it."""
        return self.first_type == CREATED

    @property
    def deleted(self) -> bool:
        return self.last.history_type == DELETED


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
    for row_id, change in _by_record(patient_rows).items():
        changes[row_id].own = change
    ever_in_study = registry.Patient.history.filter(study_id=study.id).values("id")
    for section in SECTIONS:
        rows = section.model.history.filter(patient_id__in=ever_in_study)
        for record_id, change in _by_record(_in_period(rows, since, until)).items():
            changes[change.last.patient_id].records[(section.key, record_id)] = change
    return dict(changes)


def _in_period(rows, since: datetime, until: datetime | None):
    rows = rows.filter(history_date__gt=since)
    if until is not None:
        rows = rows.filter(history_date__lte=until)
    return rows.order_by("history_date", "history_id")


def _by_record(rows) -> dict[int, RecordChange]:
    found: dict[int, RecordChange] = {}
    for row in rows.iterator(chunk_size=2000):
        change = found.get(row.id)
        if change is None:
            found[row.id] = RecordChange(row.history_type, row)
        else:
            change.last = row
    return found
