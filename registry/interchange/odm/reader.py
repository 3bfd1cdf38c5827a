"""Read an ODM 1.3.2 snapshot into a cohort document, for the cohort import to check and
write (registry.interchange.importer): the same rules, in the same words, all or nothing.

What is read is what registry.interchange.odm.writer writes: a study's code from its
StudyName, its title from its StudyDescription, its data cut-off from the protocol's
description; a patient from each SubjectData (the study id its SubjectKey, the site its
SiteRef); each item group by its OID as a section (metadata.forms), each item by its OID as
a field. A document whose metadata version, study events, forms, item groups or items are
not the registry's is refused naming each OID that cannot be placed; a value that does not
read as its field's data type is handed on as the text it is, for the cohort reader to name.
"""

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from itertools import islice
from typing import BinaryIO

from lxml import etree

from registry.interchange.odm import stream
from registry.interchange.odm.metadata import (
    METADATA_VERSION_OID,
    ODM_NAMESPACE,
    PATIENT,
    PHASES,
    Form,
    Item,
    forms,
    forms_by_group_oid,
    protocol_read,
)
from registry.interchange.reader import DocumentRejected
from registry.interchange.schema import FORMAT_NAME, FORMAT_VERSION
from registry.problems import Problem

NS = {"odm": ODM_NAMESPACE}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
TRUE, FALSE = {"true", "1"}, {"false", "0"}


SUBJECTS_A_BATCH = 200  # read and written together: the memory an import holds at once


@dataclass(frozen=True)
class OdmSnapshot:
    """A snapshot found valid and every subject's data placed (odm_snapshot), its subjects
    still in the document, to be read a batch at a time as the import writes them."""

    root: etree._Element  # the document without its subjects
    source: BinaryIO

    @property
    def study_code(self) -> str | None:
        return _text(self.root, "odm:Study/odm:GlobalVariables/odm:StudyName")

    def header(self) -> dict:
        """The cohort document without its patients."""
        study = one_element(self.root, "odm:Study", "ODM")
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "study": _study(study)}

    def patient_batches(self, size: int = SUBJECTS_A_BATCH) -> Iterator[list[dict]]:
        """The cohort document's patients, `size` subjects at a time, in document order."""
        patients = (patient_from_subject(subject) for subject in stream.subjects(self.source))
        while batch := list(islice(patients, size)):
            yield batch


def source_of(body: bytes | str | BinaryIO) -> BinaryIO:
    """The document as a file to read (and read again) as a stream."""
    if isinstance(body, str):
        return BytesIO(body.encode())
    if isinstance(body, bytes):
        return BytesIO(body)
    return body


def cohort_from_odm(body: bytes | str | BinaryIO) -> dict:
    """The cohort document `body` holds, whole; raises DocumentRejected naming what cannot
    be read, before anything is written."""
    snapshot = odm_snapshot(source_of(body))
    patients = [patient for batch in snapshot.patient_batches() for patient in batch]
    return snapshot.header() | {"patients": patients}


def odm_snapshot(source: BinaryIO) -> OdmSnapshot:
    """The snapshot `source` holds, read through once; raises DocumentRejected naming what
    cannot be read."""
    placement = Placement()
    root = stream.checked_document(source, placement.note)
    return snapshot_of(root, source, placement)


def snapshot_of(root: etree._Element, source: BinaryIO, placement: "Placement") -> OdmSnapshot:
    """The snapshot of a document read by stream.checked_document, each subject shown to
    `placement`."""
    if root.get("FileType") != "Snapshot":
        raise refused(
            "ODM/@FileType",
            "A transactional document holds changes, not whole courses: it is applied to "
            "the study that holds the snapshot it follows (registry.interchange.odm.transactions)",
        )
    study_and_subjects(root, placement.unplaced)
    placement.refuse()
    return OdmSnapshot(root, source)


def study_and_subjects(root, unplaced: dict[tuple[str, str], str] | None = None) -> tuple:
    """The document's Study element and its subjects, once its clinical data are found to be
    of that study, in the registry's metadata version, and every subject's data placed in
    that metadata. `unplaced`: what a Placement already noted of the subjects read."""
    study = one_element(root, "odm:Study", "ODM")
    clinical = one_element(root, "odm:ClinicalData", "ODM")
    if clinical.get("StudyOID") != study.get("OID"):
        raise refused(
            "ODM/ClinicalData/@StudyOID",
            f"The clinical data are of study {clinical.get('StudyOID')!r}, the document's "
            f"study is {study.get('OID')!r}",
        )
    found: dict[tuple[str, str], str] = {}
    version = clinical.get("MetaDataVersionOID") or ""
    if version != METADATA_VERSION_OID:
        found["MetaDataVersionOID", version] = "ODM/ClinicalData"
    found.update(unplaced or {})
    subjects = clinical.findall("odm:SubjectData", NS)
    for subject in subjects:
        _note_unplaced(subject, found)
    _refuse_unplaced(found)
    return study, subjects


def one_element(parent: etree._Element, path: str, where: str) -> etree._Element:
    found = parent.findall(path, NS)
    name = path.removeprefix("odm:")
    if len(found) != 1:
        count = "none" if not found else f"{len(found)}"
        raise refused(f"{where}/{name}", f"The document must hold one {name} ({count} found)")
    return found[0]


def refused(path: str, message: str) -> DocumentRejected:
    return DocumentRejected([Problem(path, message)])


class Placement:
    """What cannot be placed in the registry's metadata, and what is given twice, noted
    subject by subject as the document is read."""

    def __init__(self) -> None:
        self.unplaced: dict[tuple[str, str], str] = {}
        self.repeated: list[Problem] = []

    def note(self, subject) -> None:
        _note_unplaced(subject, self.unplaced)
        if not self.unplaced:
            self.repeated += _repeated(subject)

    def refuse(self) -> None:
        _refuse_unplaced(self.unplaced)
        if self.repeated:
            raise DocumentRejected(self.repeated)


def _note_unplaced(subject, unplaced: dict[tuple[str, str], str]) -> None:
    events = {phase.oid for phase in PHASES}
    form_oids = {form.oid for form in forms().values()}
    groups = forms_by_group_oid()
    subject_path = f'SubjectData[@SubjectKey="{subject.get("SubjectKey")}"]'

    def note(kind: str, oid: str | None) -> None:
        unplaced.setdefault((kind, oid or ""), subject_path)

    for event in subject.findall("odm:StudyEventData", NS):
        if event.get("StudyEventOID") not in events:
            note("StudyEventOID", event.get("StudyEventOID"))
        for form in event.findall("odm:FormData", NS):
            if form.get("FormOID") not in form_oids:
                note("FormOID", form.get("FormOID"))
            for group in form.findall("odm:ItemGroupData", NS):
                found = groups.get(group.get("ItemGroupOID"))
                if found is None:
                    note("ItemGroupOID", group.get("ItemGroupOID"))
                    continue
                known = {item.oid for item in found.items}
                for item in group.findall("odm:ItemData", NS):
                    if item.get("ItemOID") not in known:
                        note("ItemOID", item.get("ItemOID"))


def _refuse_unplaced(unplaced: dict[tuple[str, str], str]) -> None:
    """Every OID of the clinical data that is not the registry's, once, where first seen."""
    if unplaced:
        raise DocumentRejected(
            [_unplaced_problem(kind, oid, where) for (kind, oid), where in unplaced.items()]
        )


def _unplaced_problem(kind: str, oid: str, where: str) -> Problem:
    if kind == "MetaDataVersionOID":
        return Problem(
            where,
            f"MetaDataVersionOID {oid!r} is not the registry's: its clinical data follow "
            f"the metadata version {METADATA_VERSION_OID!r} (docs/odm.md); nothing was "
            "imported",
        )
    return Problem(
        where,
        f"{kind} {oid!r} cannot be placed: the registry's ODM metadata has no "
        f"such {_KIND_NAMES[kind]}"
        + (" in that item group" if kind == "ItemOID" else "")
        + " (docs/odm.md lists them); nothing was imported",
    )


def _repeated(subject) -> list[Problem]:
    """A section a patient has one of, or an item of one record, given twice: which of
    the two to keep is not the registry's to guess."""
    problems = []
    where = f'SubjectData[@SubjectKey="{subject.get("SubjectKey")}"]'
    once = Counter()
    for group in subject.iterfind("odm:StudyEventData/odm:FormData/odm:ItemGroupData", NS):
        form = forms_by_group_oid()[group.get("ItemGroupOID")]
        once[form.key] += not form.many
        items = Counter(item.get("ItemOID") for item in group.findall("odm:ItemData", NS))
        problems += [
            Problem(where, f"ItemOID {oid!r} is given {count} times in one {form.group_oid}")
            for oid, count in items.items()
            if count > 1
        ]
    for key, count in once.items():
        if count > 1:
            form = forms()[key]
            message = f"{form.group_oid} is given {count} times: a patient has one"
            problems.append(Problem(where, f"{message} {form.label.lower()}"))
    return problems


_KIND_NAMES = {
    "StudyEventOID": "study event",
    "FormOID": "form",
    "ItemGroupOID": "item group",
    "ItemOID": "item",
}


def _study(study: etree._Element) -> dict:
    variables = study.find("odm:GlobalVariables", NS)
    found = {
        "code": _text(variables, "odm:StudyName"),
        "title": _text(variables, "odm:StudyDescription"),
    }
    protocol = _text(study, "odm:MetaDataVersion/odm:Protocol/odm:Description/odm:TranslatedText")
    return {key: value for key, value in found.items() if value} | protocol_read(protocol)


def _text(parent: etree._Element | None, path: str) -> str | None:
    found = parent.find(path, NS) if parent is not None else None
    return found.text if found is not None else None


def patient_from_subject(subject: etree._Element) -> dict:
    patient: dict = {"study_id": subject.get("SubjectKey")}
    site = subject.find("odm:SiteRef", NS)
    if site is not None:
        patient["site"] = site.get("LocationOID")
    for form in forms().values():
        if form.many:
            patient[form.key] = []
    groups = forms_by_group_oid()
    for group in subject.iterfind("odm:StudyEventData/odm:FormData/odm:ItemGroupData", NS):
        form = groups[group.get("ItemGroupOID")]
        values = item_values(form, group)
        if form.key == PATIENT:
            patient |= values
        elif form.many:
            patient[form.key].append(values)
        else:
            patient[form.key] = values
    return patient


def item_values(form: Form, group: etree._Element) -> dict:
    by_oid = {item.oid: item for item in form.items}
    values = {}
    for data in group.findall("odm:ItemData", NS):
        item = by_oid[data.get("ItemOID")]
        # IsNull="Yes": the item said to hold no value, as one left out.
        if data.get("IsNull") != "Yes":
            values[item.name] = read_value(item, data.get("Value", ""))
    return values


def read_value(item: Item, text: str) -> object:
    """The value of `text` as the item's field takes it; the text itself when it is not one,
    for the cohort reader to refuse in its words."""
    if item.is_list:
        return text.split()
    if item.data_type == "boolean" and text.lower() in TRUE | FALSE:
        return text.lower() in TRUE
    if item.data_type == "integer" and WHOLE_NUMBER.fullmatch(text.strip()):
        return int(text)
    if item.data_type == "float":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text
