"""A patient's course as it was known at a clinical cut-off, for the exports that ask
for one (`--cutoff`, `?cutoff=`); they are lossless without it.

The analytics apply the same cut-off to their rows (analytics.cutoff): a patient first
infused after it is left out; infusions and follow-up events after it, and the records
of days after it (assessments, CAR-T counts, lab values, toxicity treatments: their days
count from the first infusion), are left out; the last contact is at the latest the
cut-off. What carries no date (eligibility, genetics, the site's toxicity record) is kept
as it is.
"""

from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache

from registry import models
from registry.sections import SECTIONS
from registry.snapshots import set_prefetched

# List sections dated by a field, and those counted in days from the first infusion.
DATED = {"infusions": "date", "events": "date"}


@cache
def by_day() -> tuple[str, ...]:
    """The list sections whose records are counted in days (read once the models are)."""
    return tuple(s.key for s in SECTIONS if s.many and "day" in s.model.document_fields)


def courses_at_cutoff(
    patients: Iterable[models.Patient], cutoff: date | None
) -> Iterator[models.Patient]:
    """The patients (with their sections loaded: registry.snapshots.courses) as known at
    the end of `cutoff`, without those first infused after it; all as they are for None."""
    for patient in patients:
        if cutoff is None:
            yield patient
            continue
        first = patient.first_infusion
        if first is None or first.date <= cutoff:
            yield _cut(patient, cutoff, first and (cutoff - first.date).days)


def _cut(patient: models.Patient, cutoff: date, last_day: int | None) -> models.Patient:
    for name, field in DATED.items():
        kept = [
            record for record in getattr(patient, name).all() if getattr(record, field) <= cutoff
        ]
        set_prefetched(patient, name, kept)
    for name in by_day():
        records = getattr(patient, name).all()
        set_prefetched(patient, name, [r for r in records if last_day is None or r.day <= last_day])
    if patient.last_contact_date is not None:
        patient.last_contact_date = min(patient.last_contact_date, cutoff)
    return patient
