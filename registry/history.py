"""A patient's audit trail: every change to the patient and its course, newest first.

It is read from the history django-simple-history keeps of each model, written with the
user and the reason by registry.services and the cohort import; the casebook's (section
"casebook": a section verified, set back by a change, a signature and its voiding) by
registry.casebook. The trail outlives the
patient: a deleted patient's history is still read here.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import models

from registry.choices import DateFormat
from registry.date_formats import date_text
from registry.models import CasebookSignature, Patient, SectionStatus, Site
from registry.sections import BY_KEY, LIST_KEYS, ONE_TO_ONE_KEYS, section_of

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# The patient's `subject_id` is `study_id` in the API and the cohort format.
PUBLIC_NAMES = {"subject_id": "study_id"}
EMPTY = (None, "", [])


@dataclass(frozen=True)
class FieldChange:
    field: str  # the name the API and the cohort format use
    label: str
    old: object
    new: object
    old_text: str
    new_text: str


@dataclass(frozen=True)
class HistoryEntry:
    section: str  # "patient", or where in the course, e.g. "infusions"
    record: str  # the kind of record, e.g. "infusion"
    record_id: int
    action: str  # created, changed or deleted
    user: str | None
    date: datetime
    reason: str | None
    changes: list[FieldChange]


def patient_history(patient_id: int, date_format: str = DateFormat.ISO) -> list[HistoryEntry]:
    """Every change to the patient and its sections, newest first; one query per model.
    The texts of the values write dates in `date_format` (the pages', the study's)."""
    entries = []
    for model, key in _tracked_models():
        rows = model.history.filter(**{key: patient_id}).select_related("history_user")
        rows = list(rows.order_by("history_date", "history_id"))
        # The patient's site is shown by its code.
        codes = _site_codes(rows) if model is Patient else {}
        previous = {}
        for row in rows:
            # A section's status goes only with its patient, whose deletion says it.
            if not (model is SectionStatus and row.history_type == "-"):
                entries.append(_entry(model, row, previous.get(row.id), codes, date_format))
            previous[row.id] = row
    return sorted(entries, key=lambda entry: entry.date, reverse=True)


def _site_codes(rows) -> dict[int, str]:
    ids = {row.site_id for row in rows}
    return dict(Site.objects.filter(pk__in=ids).values_list("pk", "code"))


def _tracked_models() -> list[tuple[type[models.Model], str]]:
    # The one-to-one sections first: of the entries of one moment (an import's), the
    # trail lists them in this order.
    sections = [BY_KEY[key].model for key in (*ONE_TO_ONE_KEYS, *LIST_KEYS)]
    casebook = [(SectionStatus, "patient_id"), (CasebookSignature, "patient_id")]
    return [(Patient, "id"), *[(section, "patient_id") for section in sections], *casebook]


def _entry(model, row, before, codes: dict[int, str], date_format: str) -> HistoryEntry:
    user = row.history_user
    return HistoryEntry(
        section=_section_key(model),
        record=str(model._meta.verbose_name),
        record_id=row.id,
        action=ACTIONS[row.history_type],
        user=user.get_username() if user else None,
        date=row.history_date,
        reason=row.history_change_reason,
        changes=_changes(model, row, before, codes, date_format),
    )


# The casebook's records, in the trail with the fields that say what happened.
CASEBOOK_FIELDS = {
    SectionStatus: ("section", "status"),
    CasebookSignature: ("meaning", "voided_at", "void_reason"),
}


def _section_key(model) -> str:
    if model in CASEBOOK_FIELDS:
        return "casebook"
    section = section_of(model)
    return section.key if section else "patient"


def _changes(model, row, before, codes: dict[int, str], date_format: str) -> list[FieldChange]:
    """Values set by a creation, changed by a change, or held when the record was deleted."""
    changes = []
    for name in _fields(model):
        field = model._meta.get_field(name)
        value = _value(field, row, codes)
        if row.history_type == "+":
            old, new = None, value
        elif row.history_type == "-":
            old, new = value, None
        else:
            old, new = (_value(field, before, codes) if before else None), value
        if old != new and not (old in EMPTY and new in EMPTY):
            changes.append(
                FieldChange(
                    field=PUBLIC_NAMES.get(name, name),
                    label=str(field.verbose_name),
                    old=old,
                    new=new,
                    old_text=_text(field, old, date_format),
                    new_text=_text(field, new, date_format),
                )
            )
    return changes


def _fields(model) -> tuple[str, ...]:
    if model is Patient:
        return ("subject_id", "site", *Patient.document_fields)
    return CASEBOOK_FIELDS.get(model) or model.document_fields


def _value(field: models.Field, row, codes: dict[int, str]) -> object:
    value = getattr(row, field.attname)
    if isinstance(field, models.ForeignKey):
        return codes.get(value, value)
    return value


def _text(field: models.Field, value, date_format: str) -> str:
    if value in EMPTY:
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return date_text(value, date_format)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
