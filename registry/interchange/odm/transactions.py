"""Apply a transactional ODM document (FileType Transactional, docs/odm.md) to the study
that holds the snapshot it follows: each subject marked Insert is added, Update changed,
Remove deleted, and within a changed subject each item group likewise.

The changes are turned into the whole courses they leave, and those are written by the
cohort import (registry.interchange.importer), the same rules, history, casebooks and
data queries as every write; removed patients are deleted by services.record_delete. All
of it in one transaction: a refusal anywhere writes nothing.

A record of a list section is found without the registry's keys, which a receiver does
not keep: a Remove names it by the values it holds (those the writer sends, as they stood
at `since`), an Update by its section's natural key (registry.interchange.matching).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from registry import models as registry
from registry import services
from registry.interchange.exporter import patient_document, study_header
from registry.interchange.importer import ImportResult, cohort_import, cohort_import_streamed
from registry.interchange.odm.metadata import PATIENT, Form, forms_by_group_oid
from registry.interchange.odm.reader import (
    NS,
    OdmSnapshot,
    Placement,
    item_values,
    patient_from_subject,
    refused,
    snapshot_of,
    source_of,
    study_and_subjects,
)
from registry.interchange.odm.stream import TRANSACTIONAL, checked_document
from registry.interchange.odm.writer import value_text
from registry.interchange.reader import DocumentRejected
from registry.problems import Problem
from registry.sections import BY_KEY

INSERT, UPDATE, REMOVE, UPSERT, CONTEXT = "Insert", "Update", "Remove", "Upsert", "Context"
CHANGES_REASON = "transactional ODM import"
# Removals first, so that a record removed and inserted again under the same key is
# found as it was; insertions last.
ORDER = {REMOVE: 0, UPDATE: 1, UPSERT: 1, CONTEXT: 1, INSERT: 2}
_PATIENT_INDEX = re.compile(r"^patients\[(\d+)\]")


@dataclass(frozen=True)
class OdmChanges:
    """A transactional document, read and checked against the schema
    (stream.checked_document), to be applied by changes_apply."""

    root: etree._Element

    @property
    def study_code(self) -> str | None:
        found = self.root.find("odm:Study/odm:GlobalVariables/odm:StudyName", NS)
        return found.text if found is not None else None


def odm_read(body: bytes | str | BinaryIO) -> OdmSnapshot | OdmChanges:
    """A snapshot, to be imported a batch of subjects at a time, or a transactional
    document's changes, held whole."""
    source = source_of(body)
    placement = Placement()
    root = checked_document(source, placement.note)
    if root.get("FileType") == TRANSACTIONAL:
        return OdmChanges(root)
    return snapshot_of(root, source, placement)


def odm_import(
    *, body: bytes | str | BinaryIO, user: AbstractBaseUser | None = None
) -> ImportResult:
    """Import a snapshot, or apply a transactional document; all or nothing."""
    found = odm_read(body)
    if isinstance(found, OdmChanges):
        return changes_apply(changes=found, user=user)
    return snapshot_import(snapshot=found, user=user)


def snapshot_import(*, snapshot: OdmSnapshot, user: AbstractBaseUser | None = None) -> ImportResult:
    """Import a snapshot by the cohort import, a batch of subjects at a time, in one
    transaction."""
    return cohort_import_streamed(
        header=snapshot.header(), batches=snapshot.patient_batches(), user=user
    )


def changes_apply(*, changes: OdmChanges, user: AbstractBaseUser | None = None) -> ImportResult:
    """Apply the document all or nothing; raises DocumentRejected naming each subject, item
    group OID and repeat key it cannot apply."""
    code = changes.study_code
    study = registry.Study.objects.filter(code=code).first()
    if study is None:
        raise refused(
            "ODM/Study/GlobalVariables/StudyName",
            f"Study {code!r} is not in the registry: a transactional document changes the "
            "study that holds the snapshot it follows; import that snapshot first",
        )
    _study_element, subjects = study_and_subjects(changes.root)
    user = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        stored = _stored_patients(study, subjects)
        courses, removed, problems = [], [], []
        seen = set()
        for subject in subjects:
            key, kind = subject.get("SubjectKey"), _kind(subject)
            where = _subject_path(key)
            earlier = stored.get(key)
            problems += _items_with_a_kind(subject, where)
            if key in seen:
                problem = f"Patient {key} is given more than once: give each patient once"
                problems.append(Problem(where, problem))
                continue
            seen.add(key)
            if kind == UPSERT:
                kind = INSERT if earlier is None else UPDATE
            if kind == INSERT and earlier is not None:
                problem = f"Insert of patient {key}: the study has it already"
                problems.append(Problem(where, problem))
            elif kind != INSERT and earlier is None:
                problem = f"{kind} of patient {key}: the study has no such patient"
                problems.append(Problem(where, problem))
            elif kind == INSERT:
                courses.append(patient_from_subject(subject))
            elif kind == REMOVE:
                removed.append(earlier)
            else:
                course = patient_document(earlier)
                problems += _changed(course, subject, where)
                courses.append(course)
        if problems:
            raise DocumentRejected(problems)
        _remove(removed, user)
        document = study_header(study) | {"patients": courses}
        result = _named_by_subject(lambda: cohort_import(data=document, user=user), courses)
    return replace(result, removed=len(removed))


def _kind(element: etree._Element) -> str:
    kind = element.get("TransactionType")
    return UPDATE if kind in (None, CONTEXT) else kind


def _items_with_a_kind(subject: etree._Element, where: str) -> list[Problem]:
    """A TransactionType on an ItemData, which the registry does not apply item by item: an
    item group is inserted, updated or removed whole."""
    return [
        Problem(
            f'{where}/ItemData[@ItemOID="{item.get("ItemOID")}"]',
            f"{item.get('TransactionType')} of one item: give TransactionType on its "
            "ItemGroupData, with the record's values whole",
        )
        for item in subject.iterfind(".//odm:ItemData[@TransactionType]", NS)
    ]


def _subject_path(key: str | None) -> str:
    return f'SubjectData[@SubjectKey="{key}"]'


def _stored_patients(study: registry.Study, subjects: list[etree._Element]) -> dict:
    keys = [subject.get("SubjectKey") for subject in subjects]
    patients = study.patients.filter(subject_id__in=keys).select_related("site")
    return {patient.subject_id: patient for patient in patients}


def _changed(course: dict, subject: etree._Element, where: str) -> list[Problem]:
    """Apply the subject's item groups to its course (a cohort document's patient)."""
    site = subject.find("odm:SiteRef", NS)
    if site is not None:
        course["site"] = site.get("LocationOID")
    groups = [
        (group.get("TransactionType") or UPSERT, group)
        for group in subject.iterfind("odm:StudyEventData/odm:FormData/odm:ItemGroupData", NS)
    ]
    problems = []
    # A list record removed leaves its place, by its repeat key, to a record inserted
    # under the same key: a changed record keeps its place among records without a key.
    places: dict[tuple[str, str], int] = {}
    for kind, group in sorted(groups, key=lambda pair: ORDER[pair[0]]):
        form = forms_by_group_oid()[group.get("ItemGroupOID")]
        place = f'{where}/ItemGroupData[@ItemGroupOID="{form.group_oid}"]'
        if group.get("ItemGroupRepeatKey"):
            place = place[:-1] + f' and @ItemGroupRepeatKey="{group.get("ItemGroupRepeatKey")}"]'
        problem = _apply_group(course, form, group, kind, places)
        if problem:
            problems.append(Problem(place, problem))
    for form in forms_by_group_oid().values():
        if form.many and form.key in course:
            course[form.key] = [record for record in course[form.key] if record is not None]
    return problems


def _apply_group(
    course: dict, form: Form, group: etree._Element, kind: str, places: dict[tuple[str, str], int]
) -> str | None:
    """Apply one item group to the course; why it cannot be applied, or None. A removed
    list record is left as None in its place until the end of the subject."""
    values = item_values(form, group)
    place = (form.key, group.get("ItemGroupRepeatKey") or "")
    if kind == CONTEXT:
        kind = UPSERT
    if form.key == PATIENT:
        if kind not in (UPDATE, UPSERT):
            return f"{kind} of the patient's own fields: only Update applies to them"
        for item in form.items:
            course.pop(item.name, None)
        course |= values
        return None
    if not form.many:
        present = form.key in course
        if kind == INSERT and present:
            return f"Insert of the {form.label.lower()}: the patient has one already"
        if kind in (UPDATE, REMOVE) and not present:
            return f"{kind} of the {form.label.lower()}: the patient has none"
        if kind == REMOVE:
            del course[form.key]
        else:
            course[form.key] = values
        return None
    records = course.setdefault(form.key, [])
    if kind == INSERT:
        index = places.pop(place, None) if place[1] else None
        if index is None:
            records.append(values)
        else:
            records[index] = values
        return None
    if kind == REMOVE:
        index = _index(records, form, _texts(form, values))
        if index is None:
            return (
                f"Remove of a {form.label.lower()}: the patient has none with these values "
                f"({_described(form, values)})"
            )
        records[index] = None
        if place[1]:
            places[place] = index
        return None
    key = BY_KEY[form.key].model.natural_key
    wanted = _texts(form, values)
    key_oids = [item.oid for item in form.items if item.name in key]
    found = [
        index
        for index, record in enumerate(records)
        if record is not None
        and key_oids
        and all(_texts(form, record).get(oid) == wanted.get(oid) for oid in key_oids)
    ]
    if len(found) == 1:
        records[found[0]] = values
        return None
    if not found and kind == UPSERT:
        records.append(values)
        return None
    named = ", ".join(key) or "no natural key"
    count = "none" if not found else f"{len(found)}"
    return (
        f"Update of a {form.label.lower()}: it is found by its {named}, and the patient has "
        f"{count} with {_described(form, values, key)}"
    )


def _texts(form: Form, values: dict) -> dict[str, str]:
    """A record's values as the document writes them, by item OID."""
    return {
        item.oid: value_text(item, values[item.name])
        for item in form.items
        if values.get(item.name) not in (None, [])
    }


def _index(records: list[dict], form: Form, texts: dict[str, str]) -> int | None:
    for index, record in enumerate(records):
        if record is not None and _texts(form, record) == texts:
            return index
    return None


def _described(form: Form, values: dict, names: tuple[str, ...] | None = None) -> str:
    shown = [
        f"{item.name} {value_text(item, values[item.name])}"
        for item in form.items
        if item.name in values and (names is None or item.name in names)
    ]
    return ", ".join(shown) or "no values"


def _remove(patients: list[registry.Patient], user) -> None:
    for patient in patients:
        try:
            services.record_delete(record=patient, user=user, reason=CHANGES_REASON)
        except ValidationError as error:
            where = _subject_path(patient.subject_id)
            raise DocumentRejected(
                [Problem(where, message) for message in error.messages]
            ) from None


def _named_by_subject(write: Callable[[], ImportResult], courses: list[dict]) -> ImportResult:
    """The cohort import's problems, named by the subject rather than by the place in the
    cohort document built here."""
    try:
        return write()
    except DocumentRejected as rejected:
        problems = [
            Problem(
                _PATIENT_INDEX.sub(
                    lambda match: _subject_path(courses[int(match[1])].get("study_id")),
                    problem.path,
                ),
                problem.message,
            )
            for problem in rejected.problems
        ]
        raise DocumentRejected(problems) from None
