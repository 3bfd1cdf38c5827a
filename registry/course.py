"""A stored patient as a course (see `registry.rules`), and model validation through it."""

from contextlib import AbstractContextManager
from contextvars import ContextVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from registry.problems import Problem, grouped
from registry.rules import Protocol, course_problems, last_contact_after_events
from registry.scoped import set_within
from registry.sections import BY_KEY, LIST_KEYS, ONE_TO_ONE_KEYS, section_of


def protocol_of(study) -> Protocol:
    return Protocol(
        dose_ceiling_post_hct_per_kg=study.dose_ceiling_post_hct_per_kg,
        dose_ceiling_per_kg=study.dose_ceiling_per_kg,
    )


def course_path(record) -> str:
    """Where the record sits in its patient's course: its section's key, or "" for the
    patient itself."""
    section = section_of(type(record))
    return section.key if section else ""


def record_fields(record) -> dict:
    return {name: getattr(record, name) for name in record.document_fields}


_kept: ContextVar[dict[int, dict] | None] = ContextVar("course_records_kept", default=None)


def records_kept() -> AbstractContextManager[None]:
    """Inside, each patient's stored records are read once (`stored_records`) and kept, and
    a section written is read again (`records_written`): a write validates its record
    against the course, saves it, and reconciles its data queries on the course as saved
    (registry.quality) from one read of the course. For a write that holds its patient's
    row locked to the end (services.record_save), so that no other write changes the
    records meanwhile."""
    return set_within(_kept, {})


def stored_records(patient) -> dict:
    """Each section's stored records of the patient: a record or None, or a list."""
    kept = _kept.get()
    if kept is not None and patient.pk in kept:
        return kept[patient.pk]
    records = {name: _section_records(patient, name) for name in (*ONE_TO_ONE_KEYS, *LIST_KEYS)}
    if kept is not None and patient.pk:
        kept[patient.pk] = records
    return records


def records_written(record) -> None:
    """`record` was saved: inside `records_kept`, its section of its patient's records is
    read again (the patient's own row is not kept)."""
    kept = _kept.get()
    name = course_path(record)
    if kept is None or not name or record.patient_id not in kept:
        return
    kept[record.patient_id] = kept[record.patient_id] | {
        name: _section_records(record.patient, name)
    }


def _section_records(patient, name: str):
    if name in ONE_TO_ONE_KEYS:
        return _one_to_one(patient, name)
    return list(getattr(patient, name).all()) if patient.pk else []


def loaded_records(patient) -> dict:
    """Each section's records of a patient read with its sections loaded
    (registry.snapshots.courses), as `stored_records` gives them, without a query."""
    records = {name: getattr(patient, name, None) for name in ONE_TO_ONE_KEYS}
    return records | {name: list(getattr(patient, name).all()) for name in LIST_KEYS}


def stored_course(patient, replacing=None, records: dict | None = None) -> tuple[dict, str]:
    """The patient's course as stored, with `replacing` in place of its stored version.

    Returns the course and the path of `replacing` in it. A new list record goes last so
    that the paths of the stored records do not move. `records` saves reading the stored
    records again when the caller already has them (`stored_records`).
    """
    records = stored_records(patient) if records is None else records
    replaced = None if replacing is None else course_path(replacing)
    course = record_fields(replacing if replaced == "" else patient)
    path = ""
    for name in ONE_TO_ONE_KEYS:
        record = records[name]
        if replaced == name:
            record, path = replacing, name
        course[name] = record_fields(record) if record else None
    for name in LIST_KEYS:
        section = list(records[name])
        if replaced == name:
            index = next((i for i, r in enumerate(section) if r.pk == replacing.pk), len(section))
            section[index : index + 1] = [replacing]
            path = f"{name}[{index}]"
        course[name] = [record_fields(record) for record in section]
    return course, path


def _one_to_one(patient, name):
    if not patient.pk:
        return None
    return BY_KEY[name].model.objects.filter(patient=patient).first()


def validate_in_course(record) -> None:
    """Raise the problems that saving `record` would add to its patient's course."""
    stored = _stored_patient(record)
    protocol = protocol_of((stored or record).study)
    records = stored_records(stored or record)
    before = set()
    if stored:
        before = set(course_problems(stored_course(stored, records=records)[0], protocol))
    course, path = stored_course(stored or record, replacing=record, records=records)
    if path:
        # Saving a section: an event it records or moves takes last contact with it. The
        # patient's own last contact is checked as typed.
        course["last_contact_date"] = last_contact_after_events(course)
    added = [p for p in course_problems(course, protocol) if p not in before]
    if added:
        raise ValidationError(_errors_by_field(grouped(added, saved=[path]), path))


def _stored_patient(record):
    """The record's patient as stored; None for a patient not saved yet."""
    if course_path(record):
        return record.patient
    return type(record).objects.filter(pk=record.pk).first() if record.pk else None


def _errors_by_field(problems: list[Problem], path: str) -> dict:
    errors: dict[str, list[ValidationError]] = {}
    prefix = f"{path}." if path else ""
    for problem in problems:
        field = problem.path.removeprefix(prefix) if problem.path.startswith(prefix) else None
        if field is None or "." in field or "[" in field:
            field = NON_FIELD_ERRORS
        said = errors.setdefault(field, [])
        if problem.message not in (error.messages[0] for error in said):
            said.append(problem_error(problem))
    return errors


def problem_error(problem: Problem) -> ValidationError:
    """The problem as the model layer raises it, the dates it quotes as parameters."""
    return ValidationError(problem.template, params=problem.params or None)


def deletion_problems(record) -> list[ValidationError]:
    """The problems deleting `record` would add to its patient's course, e.g. removing the
    response assessment a relapse stands on."""
    patient = record.patient
    protocol = protocol_of(patient.study)
    records = stored_records(patient)
    course = stored_course(patient, records=records)[0]
    before = {problem.message for problem in course_problems(course, protocol)}
    name = course_path(record)
    if name in LIST_KEYS:
        course[name] = [record_fields(other) for other in records[name] if other.pk != record.pk]
    else:
        course[name] = None
    return [
        problem_error(problem)
        for problem in course_problems(course, protocol)
        if problem.message not in before
    ]
