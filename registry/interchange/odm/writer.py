"""Write a study as one CDISC ODM 1.3.2 document, streamed subject by subject.

A snapshot holds every patient as the cohort document does (registry.interchange.exporter:
the same patients, the same values, `as_of` and `cutoff` alike); a transactional document
(`since`) holds only what the audit trail shows changed after that moment, each subject,
record and the patient's own fields marked Insert, Update or Remove (docs/odm.md).
Every record is keyed by its id in the registry (`ItemGroupRepeatKey`, or
`StudyEventRepeatKey` in the repeating phase), so a later transactional document names
the same record.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import quoteattr

from django.utils import timezone
from odmlib.odm_1_3_2 import model as ODM

from registry import models as registry
from registry.course import record_fields
from registry.interchange.exporter import patients_for_export, present_fields, study_header
from registry.interchange.odm.changes import PatientChanges, study_changes
from registry.interchange.odm.metadata import (
    METADATA_VERSION_OID,
    ODM_NAMESPACE,
    PATIENT,
    PHASES,
    Form,
    Item,
    forms,
    measurement_units,
    metadata_version,
)
from registry.snapshots import end_of_day

SOURCE_SYSTEM = "CAR-T cell therapy registry"
INSERT, UPDATE, REMOVE, CONTEXT = "Insert", "Update", "Remove", "Context"


@dataclass(frozen=True)
class Entry:
    """One item group of a subject: a record (`record_id`), or the patient's own fields
    (None); its values, none for a record removed."""

    form: Form
    record_id: int | None
    values: dict
    transaction: str | None = None


def study_oid(code: str) -> str:
    return f"ST.{code}"


def iter_odm_xml(
    study: registry.Study,
    as_of: date | None = None,
    cutoff: date | None = None,
    since: datetime | None = None,
) -> Iterator[str]:
    """The document as XML text in pieces, holding one chunk of patients at a time; a
    transactional document of the changes after `since` when given."""
    header = study_header(study, as_of)["study"]
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield _root_tag(header["code"], as_of, since)
    yield _xml(_study(header))
    yield _xml(_admin_data(study))
    oid = quoteattr(study_oid(header["code"]))
    yield f'<ClinicalData StudyOID={oid} MetaDataVersionOID="{METADATA_VERSION_OID}">\n'
    if since is None:
        for patient in patients_for_export(study, as_of, cutoff):
            yield _xml(subject_element(patient.subject_id, patient.site.code, entries(patient)))
    else:
        yield from _changed_subjects(study, as_of, cutoff, since)
    yield "</ClinicalData>\n</ODM>\n"


def entries(patient: registry.Patient) -> Iterator[Entry]:
    """Every item group of the patient, in the order of the phases."""
    for key, form in forms().items():
        if key == PATIENT:
            yield Entry(form, None, present_fields(record_fields(patient)))
        elif form.many:
            for record in getattr(patient, key).all():
                yield Entry(form, record.id, present_fields(record_fields(record)))
        else:
            record = getattr(patient, key, None)
            if record is not None:
                yield Entry(form, record.id, present_fields(record_fields(record)))


def subject_element(
    subject_key: str, site_code: str | None, found: Iterator[Entry], transaction: str | None = None
) -> ET.Element:
    subject = ET.Element("SubjectData", SubjectKey=subject_key)
    if transaction:
        subject.set("TransactionType", transaction)
    if site_code:
        ET.SubElement(subject, "SiteRef", LocationOID=site_code)
    context = CONTEXT if transaction == UPDATE else None
    by_phase = {phase.name: [] for phase in PHASES}
    for entry in found:
        by_phase[entry.form.phase.name].append(entry)
    for phase in PHASES:
        if phase.repeating:
            for entry in by_phase[phase.name]:
                _event(subject, phase.oid, [entry], context, repeat_key=entry.record_id)
        elif by_phase[phase.name]:
            _event(subject, phase.oid, by_phase[phase.name], context)
    return subject


def _event(subject, oid: str, found: list[Entry], context, repeat_key=None) -> None:
    event = ET.SubElement(subject, "StudyEventData", StudyEventOID=oid)
    if repeat_key is not None:
        event.set("StudyEventRepeatKey", str(repeat_key))
    if context:
        event.set("TransactionType", context)
    form_data = None
    for entry in found:
        if form_data is None or form_data.get("FormOID") != entry.form.oid:
            form_data = ET.SubElement(event, "FormData", FormOID=entry.form.oid)
            if context:
                form_data.set("TransactionType", context)
        _group(form_data, entry)


def _group(form_data: ET.Element, entry: Entry) -> None:
    group = ET.SubElement(form_data, "ItemGroupData", ItemGroupOID=entry.form.group_oid)
    if entry.form.repeating_group:
        group.set("ItemGroupRepeatKey", str(entry.record_id))
    if entry.transaction:
        group.set("TransactionType", entry.transaction)
    for item in entry.form.items:
        value = entry.values.get(item.name)
        if value is not None and value != []:
            ET.SubElement(group, "ItemData", ItemOID=item.oid, Value=value_text(item, value))


def value_text(item: Item, value: object) -> str:
    """A value as ODM writes its data type; a list of codes separated by spaces."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _changed_subjects(study, as_of, cutoff, since: datetime) -> Iterator[str]:
    until = end_of_day(as_of) if as_of is not None else None
    changes = study_changes(study, since, until)
    for patient in patients_for_export(study, as_of, cutoff, ids=changes.keys()):
        subject = _changed_subject(patient, changes.pop(patient.id))
        if subject is not None:
            yield _xml(subject)
    # Patients left in `changes` are not in the study now: deleted, or left out by the
    # cut-off (those are not removed: they were never sent).
    sites = dict(study.sites.values_list("id", "code"))
    for patient_changes in changes.values():
        own = patient_changes.own
        if own is not None and own.deleted and not own.created:
            subject_id, site_id = own.belongs
            yield _xml(subject_element(subject_id, sites.get(site_id), iter(()), REMOVE))


def _changed_subject(patient: registry.Patient, changes: PatientChanges) -> ET.Element | None:
    if changes.own is not None and changes.own.created:
        return subject_element(patient.subject_id, patient.site.code, entries(patient), INSERT)
    changed = []
    for entry in entries(patient):
        if entry.record_id is None:
            if changes.own is not None:
                changed.append(_marked(entry, UPDATE))
            continue
        change = changes.records.get((entry.form.key, entry.record_id))
        if change is not None:
            changed.append(_marked(entry, INSERT if change.created else UPDATE))
    for (key, record_id), change in changes.records.items():
        if change.deleted and not change.created:
            changed.append(Entry(forms()[key], record_id, {}, REMOVE))
    if not changed:
        return None
    return subject_element(patient.subject_id, patient.site.code, iter(changed), UPDATE)


def _marked(entry: Entry, transaction: str) -> Entry:
    return Entry(entry.form, entry.record_id, entry.values, transaction)


def _root_tag(code: str, as_of: date | None, since: datetime | None) -> str:
    created = timezone.localtime().isoformat()
    attributes = {
        "xmlns": ODM_NAMESPACE,
        "FileType": "Transactional" if since else "Snapshot",
        "FileOID": f"CART.{code}.{created}",
        "CreationDateTime": created,
        "ODMVersion": "1.3.2",
        "Originator": SOURCE_SYSTEM,
        "SourceSystem": SOURCE_SYSTEM,
    }
    if since is None:
        attributes["Granularity"] = "All"
    if as_of is not None:
        attributes["AsOfDateTime"] = timezone.localtime(end_of_day(as_of)).isoformat()
    text = " ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())
    return f"<ODM {text}>\n"


def _study(header: dict) -> ODM.Study:
    code = header["code"]
    study = ODM.Study(
        OID=study_oid(code),
        GlobalVariables=ODM.GlobalVariables(
            StudyName=ODM.StudyName(_content=code),
            StudyDescription=ODM.StudyDescription(_content=header.get("title", "")),
            ProtocolName=ODM.ProtocolName(_content=code),
        ),
    )
    study.BasicDefinitions = ODM.BasicDefinitions(MeasurementUnit=measurement_units())
    study.MetaDataVersion.append(metadata_version(header.get("data_cutoff")))
    return study


def _admin_data(study: registry.Study) -> ODM.AdminData:
    admin = ODM.AdminData(StudyOID=study_oid(study.code))
    for code, name in study.sites.order_by("code").values_list("code", "name"):
        location = ODM.Location(OID=code, Name=name or code, LocationType="Site")
        location.MetaDataVersionRef.append(
            ODM.MetaDataVersionRef(
                StudyOID=study_oid(study.code),
                MetaDataVersionOID=METADATA_VERSION_OID,
                EffectiveDate=timezone.localdate().isoformat(),
            )
        )
        admin.Location.append(location)
    return admin


def _xml(element) -> str:
    if not isinstance(element, ET.Element):
        element = element.to_xml()
    return ET.tostring(element, encoding="unicode") + "\n"
