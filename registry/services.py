"""Every write to a patient's data, with who made it, why, and on which version.

`record_save` and `record_delete` are the way the clinicians' pages, the API and the admin
change a patient or a section of a course (the cohort import writes in bulk under the same
rules: registry.interchange.importer); `record_update` is `record_save` of some fields only,
on the record as stored (the API's PUT and PATCH). Each runs in one transaction and

- refuses any change while the patient's study is locked (`Study.check_unlocked`);
- refuses a change made on an older version of the record than the stored one
  (`EditConflict`): someone else saved it in the meantime, and overwriting their values
  would lose them;
- requires a reason to change a stored value or to delete a record (optional on create);
- validates the record (`full_clean`, which includes the course rules) and raises its
  version by one;
- for a death recorded or moved, sets the patient's last contact to its date (a change of
  the patient, with its own version and history row);
- leaves a row in the record's history (django-simple-history) naming the user and the
  reason;
- opens and closes the registry's own data queries on the patient (registry.quality).

Rows written by cascades (a patient's sections deleted with the patient) get the same user
and reason.
"""

from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from registry import quality
from registry.choices import EventKind
from registry.course import (
    course_path,
    deletion_problems,
    record_fields,
    records_kept,
    records_written,
)
from registry.date_formats import Moment
from registry.models import FollowUpEvent, Patient, Study
from registry.models.patient import course_summary, deleted_with_patient
from registry.rules import last_contact_after_events
from registry.scoped import set_within

REASON_FIELD = "change_reason"
# The length of simple-history's history_change_reason column.
REASON_MAX_LENGTH = 100
REASON_REQUIRED = "A reason for change is required to change or delete a saved record"
REASON_TOO_LONG = f"A reason for change has at most {REASON_MAX_LENGTH} characters"
REASON_WITH_NUL = "A reason for change must not contain a NUL character"
IMPORT_REASON = "cohort import"
LAST_CONTACT_AT_DEATH = "Last contact follows the date of death"
LAST_CONTACT_AT_EVENT = "Last contact follows the date of a follow-up event"


class EditConflict(ValidationError):
    """The record (`model`, `pk`) changed or went since the version a change was made on."""

    EDITING = (
        "while you were editing it; your changes were not saved — reload to see the current values"
    )

    def __init__(
        self,
        model: type[models.Model],
        pk: int,
        *,
        subject: str = "This record",
        outcome: str = EDITING,
    ):
        self.model, self.pk = model, pk
        last = model.history.filter(id=pk).select_related("history_user").first()
        done = "deleted" if last is not None and last.history_type == "-" else "changed"
        by = f" by {last.history_user}" if last is not None and last.history_user else ""
        # The moment as a param: the pages and the admin write it in the study's format.
        at = " at %(at)s" if last is not None else ""
        super().__init__(
            f"{subject} was %(done)s%(by)s{at} {outcome}",
            code="conflict",
            params={"done": done, "by": by, "at": Moment.of(last.history_date) if last else None},
        )

    @classmethod
    def of(cls, record: models.Model) -> "EditConflict":
        """The conflict of `record` changed or deleted meanwhile; of a new section, the
        conflict of its patient, deleted meanwhile."""
        if record.pk is None and not isinstance(record, Patient):
            return cls(Patient, record.patient_id, subject="The patient")
        return cls(type(record), record.pk)


def check_version(record: models.Model, version: int | None) -> None:
    """Raise EditConflict unless `record` (as stored) is at `version`; None checks nothing."""
    if version is not None and record.version != version:
        raise EditConflict(type(record), record.pk)


def record_save(
    *,
    record: models.Model,
    user: AbstractBaseUser | None,
    reason: str = "",
    version: int | None = None,
    clean: bool = True,
) -> bool:
    """Save a new or changed patient or section; False when no stored value differs.

    `version` is the version the change was made on (None: not checked). `clean=False` is
    for a caller that has validated a whole submission together (the admin's patient page),
    where checking its records one at a time against a half-saved course could refuse it.
    """
    reason = _reason(reason)
    with transaction.atomic(), attributed_to(user, reason), records_kept():
        stored = _stored(record)
        if stored is not None:
            _study_of(stored).check_unlocked()
            check_version(stored, version)
            if not _changed_fields(stored, record):
                return False
            if not reason:
                raise ValidationError({REASON_FIELD: REASON_REQUIRED})
            record.version = stored.version + 1
        if clean:
            record.full_clean()
        else:
            _study_of(record).check_unlocked()
        _stamp(record, user, reason)
        record.save()
        records_written(record)
        _last_contact_follows_event(record, user)
        quality.patient_queries_reconciled(patient_id=_patient_id(record))
    return True


def record_update(
    *,
    record: models.Model,
    values: Mapping[str, object],
    user: AbstractBaseUser | None,
    reason: str = "",
    version: int | None = None,
) -> models.Model:
    """Set only `values` on the stored `record` and save it as `record_save` does; the
    record saved.

    The row is read again under a lock held to the end of the save: a change saved
    meanwhile to other fields is kept, and two changes of one record queue rather than
    the later overwriting the earlier with the values it read before.
    """
    with transaction.atomic():
        stored = _stored(record)
        for name, value in values.items():
            setattr(stored, name, value)
        record_save(record=stored, user=user, reason=reason, version=version)
    return stored


def _last_contact_follows_event(record: models.Model, user) -> None:
    """A death recorded or moved sets the patient's last contact to its date, so that it is
    never typed twice (the course rules check the death against that last contact); another
    follow-up event dated after the last contact moves it to that date, as the patient was
    seen then (registry.rules.last_contact_after_events)."""
    if not isinstance(record, FollowUpEvent) or record.date is None:
        return
    patient = Patient.objects.select_for_update().get(pk=record.patient_id)
    # The rule the course is checked by, on the stored last contact and this event.
    seen = {"last_contact_date": patient.last_contact_date, "events": [record_fields(record)]}
    contact = last_contact_after_events(seen)
    if contact == patient.last_contact_date:
        return
    patient.last_contact_date = contact
    patient.version += 1
    death = record.kind == EventKind.DEATH
    _stamp(patient, user, LAST_CONTACT_AT_DEATH if death else LAST_CONTACT_AT_EVENT)
    patient.save()


def record_delete(
    *,
    record: models.Model,
    user: AbstractBaseUser | None,
    reason: str,
    version: int | None = None,
    check_course: bool = True,
) -> None:
    """Delete a patient (with its course) or a section, keeping its history.

    A section the rest of the course stands on is not deleted (`check_course=False` is for
    the admin's patient page, which checks the submission as a whole).
    """
    reason = _reason(reason)
    with transaction.atomic(), attributed_to(user, reason):
        stored = _stored(record)
        _study_of(stored).check_unlocked()
        check_version(stored, version)
        if not reason:
            raise ValidationError({REASON_FIELD: REASON_REQUIRED})
        if check_course and course_path(stored):
            problems = deletion_problems(stored)
            if problems:
                raise ValidationError(problems)
        _stamp(stored, user, reason)
        stored.delete()
        if not isinstance(stored, Patient):
            quality.patient_queries_reconciled(patient_id=stored.patient_id)


def patient_touched(sender, instance: models.Model, origin=None, **kwargs) -> None:
    """post_save and post_delete of a section: a change to a section is a change to its
    patient, whose `updated` moves on, in the same transaction; and the summary of the
    course that the section feeds (Patient.SUMMARY_FROM) is set again.

    Connected in RegistryConfig.ready(), so that every save or deletion of a section counts,
    whichever code makes it. The analytics read `updated`: their data version
    (analytics.caching) and the analysis rows they store (analytics.models.AnalysisRow).
    Not for sections deleted with their patient; the cohort importer, which writes in bulk
    without signals, stamps its patients itself.
    """
    if deleted_with_patient(origin):
        return
    section = sender._meta.get_field("patient").remote_field.related_name
    names = Patient.SUMMARY_FROM.get(section, ())
    # Most writes (daily assessments, CAR-T counts) feed no summary column: no expressions.
    expressions = course_summary() if names else {}
    summary = {name: expressions[name] for name in names}
    Patient.objects.filter(pk=instance.patient_id).update(updated=timezone.now(), **summary)


def study_lock(*, study: Study, user: AbstractBaseUser | None = None, reason: str = "") -> None:
    """Lock the study: from now on its patients' data cannot change."""
    if study.locked_at is not None:
        raise ValidationError(f"Study {study.code} is already locked")
    study.locked_at = timezone.now()
    _save_study(study, user, _reason(reason))


def study_unlock(*, study: Study, user: AbstractBaseUser | None = None, reason: str) -> None:
    """Unlock the study; the reason is kept in its history."""
    reason = _reason(reason)
    if study.locked_at is None:
        raise ValidationError(f"Study {study.code} is not locked")
    if not reason:
        raise ValidationError("A reason is required to unlock a study")
    study.locked_at = None
    _save_study(study, user, reason)


def _save_study(study: Study, user, reason: str) -> None:
    _stamp(study, user, reason)
    study.save(update_fields=["locked_at"])


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({REASON_FIELD: REASON_TOO_LONG})
    if "\x00" in reason:
        # The history's column is text, which PostgreSQL cannot store with NUL in it.
        raise ValidationError({REASON_FIELD: REASON_WITH_NUL})
    return reason


def _stored(record: models.Model) -> models.Model | None:
    """The stored row of `record`, locked until the transaction ends; None for a new one.

    A section's patient is locked first, a new section's too: deleting a patient locks it,
    then its sections. Locking a section and then its patient (the change's own update of
    the patient) could deadlock with that, and a section added to a patient deleted
    meanwhile would fail only at the commit, on the foreign key.
    """
    if not isinstance(record, Patient) and record.patient_id is not None:
        if not _patient_locked(record.patient_id):
            raise EditConflict.of(record)
    if record.pk is None:
        return None
    stored = type(record).objects.select_for_update().filter(pk=record.pk).first()
    if stored is None:
        raise EditConflict.of(record)
    return stored


def patient_locked(patient_id: int) -> None:
    """Lock the patient's row until the transaction ends, as every write to its course does
    first; EditConflict naming the patient when another user deleted it meanwhile."""
    if not _patient_locked(patient_id):
        raise EditConflict(
            Patient,
            patient_id,
            subject="The patient",
            outcome="before this could be done; nothing was saved",
        )


def _patient_locked(patient_id: int) -> bool:
    """Whether the patient is still there, its row locked until the transaction ends."""
    return bool(list(Patient.objects.select_for_update().filter(pk=patient_id).values("pk")))


def _patient_id(record: models.Model) -> int:
    return record.pk if isinstance(record, Patient) else record.patient_id


def _study_of(record: models.Model) -> Study:
    return record.study if isinstance(record, Patient) else record.patient.study


def _changed_fields(stored: models.Model, record: models.Model) -> list[str]:
    return [
        field.name
        for field in record._meta.concrete_fields
        if field.editable
        and not field.primary_key
        and getattr(stored, field.attname) != getattr(record, field.attname)
    ]


def _stamp(record: models.Model, user, reason: str) -> None:
    """What simple-history writes into the record's history row besides its values."""
    record._change_reason = reason or None
    if user is not None and user.is_authenticated:
        record._history_user = user


_current_change: ContextVar[tuple | None] = ContextVar("current_change", default=None)


def attributed_to(user: AbstractBaseUser | None, reason: str) -> AbstractContextManager[None]:
    """History rows written inside without a user or a reason of their own get these."""
    return set_within(_current_change, (user, reason))


def change_in_progress() -> tuple | None:
    """The user and the reason of the write in progress (`attributed_to`), or None."""
    return _current_change.get()


@receiver(pre_create_historical_record)
def _attribute_history_row(sender, history_instance, **kwargs) -> None:
    """Give a row written by a cascade the user and the reason of the change causing it."""
    change = _current_change.get()
    if change is None:
        return
    user, reason = change
    if history_instance.history_user_id is None and user is not None and user.is_authenticated:
        history_instance.history_user = user
    if not history_instance.history_change_reason and reason:
        history_instance.history_change_reason = reason
