"""Turn a cohort document into unsaved patients and their records' values, collecting every
problem on the way.

Each problem carries its JSON path (`patients[3].events[1].date`). Values are checked for
their JSON type first (so `"yes"` is not taken for true), then by the models' own checks
(the patient's `full_clean()`, a record's fields and `clean()` through
registry.interchange.records) and by `registry.rules` across each patient's course: the
same rules as the forms, the admin and the API.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import DateField

from registry import models as registry
from registry.course import record_fields
from registry.dates import date_from_text
from registry.interchange import schema
from registry.interchange.records import RecordChecker
from registry.jsontext import refusals
from registry.problems import Problem, grouped
from registry.rules import Protocol, course_problems, last_contact_after_death
from registry.sections import SECTIONS, CourseSection


@dataclass
class PatientRecords:
    patient: registry.Patient
    site_code: str
    # key → a record's values by field, a list of them or None
    sections: dict = field(default_factory=dict)
    course: dict = field(default_factory=dict)  # the patient as the course rules read it


@dataclass
class CohortDocument:
    study: dict
    patients: list[PatientRecords]


class DocumentRejected(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the cohort document")
        self.problems = problems


def read_document(data: object, protocol: Protocol) -> CohortDocument:
    """Check the whole document; raise DocumentRejected listing every problem found."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise DocumentRejected([Problem("", "The document must be a JSON object")])
    refuse_unstorable(data)
    problems += _unknown_keys(data, schema.DOCUMENT_KEYS, "")
    if data.get("format") != schema.FORMAT_NAME:
        problems.append(Problem("format", f'The format must be "{schema.FORMAT_NAME}"'))
    problems += _version_problems(data)
    study = _read_study(data.get("study"), problems)
    patients = _read_patients(data.get("patients"), protocol, problems)
    if problems:
        raise DocumentRejected(problems)
    return CohortDocument(study=study, patients=patients)


def _version_problems(data: dict) -> list[Problem]:
    """Versions 1 (the number) and "1.1" (text) are read; a version 1 document may not use
    a key of version 1.1."""
    version = data.get("version")
    if version == schema.FORMAT_VERSION:
        return []
    if type(version) is not int or version != schema.VERSION_1:
        return [
            Problem(
                "version",
                f'The version must be 1 (the number) or "{schema.FORMAT_VERSION}" (text), '
                f"not {version!r}",
            )
        ]
    patients = data.get("patients")
    study = data.get("study")
    in_study = [
        (f"study.{key}", key)
        for key in schema.STUDY_SETTINGS
        if isinstance(study, dict) and key in study
    ]
    return [
        Problem(path, f"{key!r} is a key of version 1.1, and this document says version 1")
        for path, key in in_study
        + [
            found
            for index, patient in enumerate(patients if isinstance(patients, list) else [])
            for found in _keys_of_1_1(patient, f"patients[{index}]")
        ]
    ]


def _keys_of_1_1(patient: object, path: str) -> Iterator[tuple[str, str]]:
    """The path and name of each key of version 1.1 in a patient of a document."""
    if not isinstance(patient, dict):
        return
    for where, keys in schema.ADDED_IN_1_1.items():
        value = patient.get(where) if where else patient
        if isinstance(value, list):
            records = [(f"{path}.{where}[{index}]", item) for index, item in enumerate(value)]
        else:
            records = [(f"{path}.{where}" if where else path, value)]
        for at, record in records:
            for key in sorted(keys & set(record if isinstance(record, dict) else ())):
                yield f"{at}.{key}", key


def refuse_unstorable(data: object) -> None:
    """Raise DocumentRejected naming each value in `data` the registry cannot store
    (registry.jsontext.refusals): before anything looks a value up, as PostgreSQL fails on
    text holding a NUL character."""
    refused = [Problem(path, message) for path, message in refusals(data)]
    if refused:
        raise DocumentRejected(refused)


def _unknown_keys(item: dict, allowed: set[str], path: str) -> list[Problem]:
    return [
        Problem(
            _join(path, key), f"Unknown key {key!r}; allowed keys: {', '.join(sorted(allowed))}"
        )
        for key in item
        if key not in allowed
    ]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _site_code_problems(code: str, path: str) -> list[Problem]:
    """A site is added by its code as the admin adds one: the same rules (Site.code)."""
    try:
        registry.Site._meta.get_field("code").clean(code, None)
    except ValidationError as error:
        return [Problem(path, message) for message in error.messages]
    return []


def _read_study(study: object, problems: list[Problem]) -> dict:
    if not isinstance(study, dict):
        problems.append(
            Problem("study", "The study must be an object with code, title, data_cutoff")
        )
        return {}
    problems += _unknown_keys(study, schema.STUDY_KEYS, "study")
    settings = {key: study[key] for key in schema.STUDY_SETTINGS if key in study}
    instance = registry.Study(
        code=study.get("code") or "",
        title=study.get("title") or "",
        data_cutoff=study.get("data_cutoff"),
        **settings,
    )
    _check_types(
        registry.Study, study, ("code", "title", "data_cutoff", *settings), "study", problems
    )
    try:
        instance.clean_fields(exclude=["dose_ceiling_post_hct_per_kg", "dose_ceiling_per_kg"])
    except ValidationError as error:
        problems += _field_problems(error, "study", registry.Study)
    read = {"code": instance.code, "title": instance.title, "data_cutoff": instance.data_cutoff}
    return read | {key: getattr(instance, key) for key in settings}


def _read_patients(patients: object, protocol: Protocol, problems: list[Problem]) -> list:
    if not isinstance(patients, list):
        problems.append(Problem("patients", "The patients must be a list"))
        return []
    return PatientsReader(protocol).read(patients, problems)


class PatientsReader:
    """Reads a document's patients, all at once or a batch at a time: each named by its
    place in the whole document, and a study id used twice found across the batches."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.checkers = {section.key: RecordChecker(section.model) for section in SECTIONS}
        self.count = 0  # patients read so far
        self.seen: dict[str, tuple[str, str]] = {}  # lower-case study id -> (path, as given)

    def read(self, patients: list, problems: list[Problem]) -> list[PatientRecords]:
        """The patients read, the problems found added to `problems`."""
        read = []
        for index, patient in enumerate(patients, start=self.count):
            path = f"patients[{index}]"
            records = _read_patient(patient, path, self.protocol, self.checkers, problems)
            if records is None:
                continue
            subject = records.patient.subject_id
            # In any case, as the database's constraint on study ids compares them.
            if subject.lower() in self.seen:
                problems.append(_study_id_used(path, subject, *self.seen[subject.lower()]))
            self.seen[subject.lower()] = (path, subject)
            read.append(records)
        self.count += len(patients)
        return read


def _study_id_used(path: str, subject: str, used_by: str, used_as: str) -> Problem:
    message = f"Study id {subject!r} is already used by {used_by}"
    if used_as != subject:
        message += (
            f" as {used_as!r}: study ids differing only in upper and lower case count as the same"
        )
    return Problem(f"{path}.study_id", message)


def _read_patient(
    item: object, path: str, protocol: Protocol, checkers: dict, problems: list
) -> PatientRecords | None:
    if not isinstance(item, dict):
        problems.append(Problem(path, "A patient must be an object"))
        return None
    problems += _unknown_keys(item, schema.PATIENT_KEYS, path)
    for key in ("study_id", "site"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            problems.append(Problem(f"{path}.{key}", f"{key} is required (text)"))
        elif key == "site":
            problems += _site_code_problems(item[key], f"{path}.site")
    patient = registry.Patient(subject_id=item.get("study_id") or "")
    accepted, refused = _accepted(registry.Patient, item, path, problems)
    for key, value in accepted.items():
        setattr(patient, key, value)
    _validate(patient, path, problems, exclude=["study", "site", *refused])
    records = PatientRecords(patient=patient, site_code=str(item.get("site") or ""))
    for section in SECTIONS:
        key = section.key
        checker = checkers[key]
        records.sections[key] = _read_section(item.get(key), section, checker, path, problems)
    if not item.get("infusions"):
        problems.append(Problem(f"{path}.infusions", "At least one infusion is required"))
    _fill_in_treatments(records)
    course = records.course = _course(records)
    if not patient.last_contact_date:
        patient.last_contact_date = course["last_contact_date"] = last_contact_after_death(course)
    problems += [
        Problem(f"{path}.{p.path}", p.message) for p in grouped(course_problems(course, protocol))
    ]
    return records


def _fill_in_treatments(records: PatientRecords) -> None:
    """The recorded toxicities' yes/no of a treatment left out says what the dated
    toxicity treatments say (ToxicityRecord.fill_in_treatments)."""
    recorded = records.sections["toxicities"]
    if recorded is not None:
        given = [item["treatment"] for item in records.sections["toxicity_treatments"] if item]
        toxicities = registry.ToxicityRecord(**recorded)
        toxicities.fill_in_treatments(given)
        recorded.update(record_fields(toxicities))


def _read_section(value, section: CourseSection, checker: RecordChecker, path, problems):
    section_path = f"{path}.{section.key}"
    if value is None:
        return [] if section.many else None
    if section.many:
        if not isinstance(value, list):
            problems.append(Problem(section_path, f"{section.key} must be a list"))
            return []
        return [
            _read_record(item, checker, f"{section_path}[{index}]", problems)
            for index, item in enumerate(value)
        ]
    return _read_record(value, checker, section_path, problems)


def _read_record(item, checker: RecordChecker, path, problems) -> dict | None:
    """The record's values by field, checked as its model's full_clean() checks them; the
    fields a document does not hold (the patient, the id, the version) are the registry's."""
    if not isinstance(item, dict):
        problems.append(Problem(path, "Must be an object"))
        return None
    model = checker.model
    problems += _unknown_keys(item, _keys_of(model).document, path)
    accepted, refused = _accepted(model, item, path, problems)
    values, errors = checker.check(checker.defaults() | accepted, refused)
    if errors:
        problems += _field_problems(ValidationError(errors), path, model)
    _drop_unreadable_dates(model, values)
    return values


@dataclass(frozen=True)
class ModelKeys:
    """What reading a model's keys needs to know of its fields, worked out once a model:
    a large cohort's import reads millions of values."""

    document: frozenset[str]
    json_types: dict[str, tuple[tuple[type, ...], str]]  # schema.json_type of each field
    exact_types: dict[str, frozenset[type]]  # those types themselves, not a subclass
    whole_numbers: frozenset[str]  # integer fields, which read 3.0 as 3
    dates: tuple[str, ...]  # the document's date fields


@cache
def _keys_of(model) -> ModelKeys:
    fields = model._meta.concrete_fields
    document = frozenset(getattr(model, "document_fields", ()))
    return ModelKeys(
        document=document,
        json_types={field.name: schema.json_type(field) for field in fields},
        exact_types={field.name: frozenset(schema.json_type(field)[0]) for field in fields},
        whole_numbers=frozenset(
            field.name for field in fields if field.get_internal_type().endswith("IntegerField")
        ),
        dates=tuple(
            field.name
            for field in fields
            if field.name in document and isinstance(field, DateField)
        ),
    )


def _accepted(model, item: dict, path: str, problems: list) -> tuple[dict, list[str]]:
    """The document's values of the model's fields whose JSON types are right, and the keys
    whose values were refused, so that they are not reported twice."""
    accepted, refused = {}, []
    exact_types = _keys_of(model).exact_types
    for key in model.document_fields:
        value = item.get(key)
        if value is None:
            continue
        if type(value) in exact_types[key]:
            accepted[key] = value  # what nearly every value is, known at once
        elif _check_type(model, key, value, path, problems):
            accepted[key] = _default_blank(model, key, value)
        else:
            refused.append(key)
    return accepted, refused


def _default_blank(model, key, value):
    if isinstance(value, float) and value.is_integer() and key in _keys_of(model).whole_numbers:
        return int(value)
    return value


def _check_types(model, item: dict, keys, path: str, problems: list) -> None:
    for key in keys:
        if item.get(key) is not None:
            _check_type(model, key, item[key], path, problems)


def _check_type(model, key: str, value, path: str, problems: list) -> bool:
    types, described = _keys_of(model).json_types[key]
    whole_float = isinstance(value, float) and value.is_integer() and int in types
    if (isinstance(value, bool) and bool not in types) or not (
        isinstance(value, types) or whole_float
    ):
        problems.append(Problem(_join(path, key), f"Must be {described}, not {value!r}"))
        return False
    return True


def _validate(instance, path: str, problems: list, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        problems += _field_problems(error, path, type(instance))
    # A patient's fields are plain attributes, by their names.
    _drop_unreadable_dates(type(instance), vars(instance))


def _drop_unreadable_dates(model, values: dict) -> None:
    """A date that did not parse is already reported; the course rules must not see it."""
    for key in _keys_of(model).dates:
        if not isinstance(values[key], date | None):
            values[key] = None


def _field_problems(error: ValidationError, path: str, model) -> list[Problem]:
    problems = []
    for key, errors in error.error_dict.items():
        where = path if key == NON_FIELD_ERRORS else _join(path, _document_key(key))
        problems += [Problem(where, _message(model, key, found)) for found in errors]
    return problems


def _message(model, key: str, error: ValidationError) -> str:
    """The error in the document's words: a required value left out by its key, not
    Django's "This field cannot be null."; a date that is none as the pages say it
    (registry.dates: "2023-02-30 is not a date: February 2023 has 28 days. …")."""
    if error.code in ("null", "blank"):
        return f"{_document_key(key)} is required"
    dated = key in {
        field.name for field in model._meta.concrete_fields if isinstance(field, DateField)
    }
    if error.code in ("invalid", "invalid_date") and dated:
        try:
            date_from_text(str((error.params or {}).get("value", "")))
        except ValidationError as explained:
            return explained.messages[0]
    (message,) = error.messages
    return message


def _document_key(field_name: str) -> str:
    return "study_id" if field_name == "subject_id" else field_name


def _course(records: PatientRecords) -> dict:
    course = record_fields(records.patient)
    for key, value in records.sections.items():
        course[key] = (
            [item for item in value if item is not None] if isinstance(value, list) else value
        )
    return course
