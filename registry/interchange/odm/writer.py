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

from django.utils import timezone
from odmlib.odm_1_3_2 import model as ODM

from registry import models as registry
from registry.course import record_fields
from registry.interchange.exporter import patients_for_export, present_fields, study_header
from registry.interchange.odm import metadata
from registry.interchange.odm.changes import PatientChanges, study_changes, values_at
from registry.jsontext import without_refused_characters
from registry.sections import BY_KEY
from registry.snapshots import end_of_day

SOURCE_SYSTEM = "CAR-T cell therapy registry"
INSERT, UPDATE, REMOVE, CONTEXT = "Insert", "Update", "Remove", "Context"


@dataclass(frozen=True)
class Entry:
    """One item group of a subject: a record (`record_id`), or the patient's own fields
    (None); its values, none for a record removed."""

    form: metadata.Form
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
    clinical = _attributes(
        StudyOID=study_oid(header["code"]), MetaDataVersionOID=metadata.METADATA_VERSION_OID
    )
    yield f"<ClinicalData{clinical}>\n"
    if since is None:
        for patient in patients_for_export(study, as_of, cutoff):
            yield subject_xml(patient.subject_id, patient.site.code, entries(patient))
    else:
        yield from _changed_subjects(study, as_of, cutoff, since)
    yield "</ClinicalData>\n</ODM>\n"


def entries(patient: registry.Patient) -> Iterator[Entry]:
    """Every item group of the patient, in the order of the phases."""
    for key, form in metadata.forms().items():
        if key == metadata.PATIENT:
            yield Entry(form, None, present_fields(record_fields(patient)))
        elif form.many:
            for record in getattr(patient, key).all():
                yield Entry(form, record.id, present_fields(record_fields(record)))
        else:
            record = getattr(patient, key, None)
            if record is not None:
                yield Entry(form, record.id, present_fields(record_fields(record)))


def subject_xml(
    subject_key: str, site_code: str | None, found: Iterator[Entry], transaction: str | None = None
) -> str:
    """The subject's SubjectData as text. Written out directly rather than through
    ElementTree, which took most of the export's time."""
    parts = [f"<SubjectData{_attributes(SubjectKey=subject_key, TransactionType=transaction)}>"]
    if site_code:
        parts.append(f"<SiteRef{_attributes(LocationOID=site_code)}/>")
    context = CONTEXT if transaction == UPDATE else None
    by_phase = {phase.name: [] for phase in metadata.PHASES}
    for entry in found:
        by_phase[entry.form.phase.name].append(entry)
    for phase in metadata.PHASES:
        if phase.repeating:
            for entry in by_phase[phase.name]:
                _event(parts, phase.oid, [entry], context, repeat_key=entry.record_id)
        elif by_phase[phase.name]:
            _event(parts, phase.oid, by_phase[phase.name], context)
    parts.append("</SubjectData>\n")
    return "".join(parts)


def _event(parts: list[str], oid: str, found: list[Entry], context, repeat_key=None) -> None:
    event = _attributes(StudyEventOID=oid, StudyEventRepeatKey=repeat_key, TransactionType=context)
    parts.append(f"<StudyEventData{event}>")
    form_oid = None
    for entry in found:
        if entry.form.oid != form_oid:
            if form_oid is not None:
                parts.append("</FormData>")
            form_oid = entry.form.oid
            parts.append(f"<FormData{_attributes(FormOID=form_oid, TransactionType=context)}>")
        _group(parts, entry)
    parts.append("</FormData></StudyEventData>")


def _group(parts: list[str], entry: Entry) -> None:
    repeat_key = entry.record_id if entry.form.repeating_group else None
    group = _attributes(
        ItemGroupOID=entry.form.group_oid,
        ItemGroupRepeatKey=repeat_key,
        TransactionType=entry.transaction,
    )
    parts.append(f"<ItemGroupData{group}>")
    for item in entry.form.items:
        value = entry.values.get(item.name)
        if value is not None and value != []:
            text = without_refused_characters(value_text(item, value)).translate(_ESCAPES)
            parts.append(f'<ItemData ItemOID="{item.oid}" Value="{text}"/>')
    parts.append("</ItemGroupData>")


# What an attribute's value cannot hold as it is; line breaks and tabs as references, or a
# parser would read them as spaces. What XML cannot hold at all is left out before
# (registry.jsontext.without_refused_characters): only text stored before the registry
# refused it can hold such a character.
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


def _attributes(**given: object) -> str:
    """The attributes given a value, as XML text: ` Name="value"` each."""
    return "".join(
        f' {name}="{without_refused_characters(str(value)).translate(_ESCAPES)}"'
        for name, value in given.items()
        if value is not None
    )


def value_text(item: metadata.Item, value: object) -> str:
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
    before = _values_before(changes, since)
    for patient in patients_for_export(study, as_of, cutoff, ids=changes.keys()):
        subject = _changed_subject(patient, changes.pop(patient.id), before)
        if subject is not None:
            yield subject
    # Patients left in `changes` are not in the study now: deleted, or left out by the
    # cut-off (those are not removed: they were never sent).
    sites = dict(study.sites.values_list("id", "code"))
    for patient_changes in changes.values():
        own = patient_changes.own
        if own is not None and own.deleted and not own.created:
            subject_id, site_id = own.belongs
            yield subject_xml(subject_id, sites.get(site_id), iter(()), REMOVE)


def _values_before(
    changes: dict[int, PatientChanges], since: datetime
) -> dict[tuple[str, int], dict]:
    """By (section, id), the values at `since` of each record that stood then and has
    changed or gone since: what names it to a receiver holding the snapshot of `since`."""
    wanted: dict[str, list[int]] = {}
    for patient_changes in changes.values():
        for (key, record_id), change in patient_changes.records.items():
            if not change.created:
                wanted.setdefault(key, []).append(record_id)
    before = {}
    for key, record_ids in wanted.items():
        model = BY_KEY[key].model
        for record_id, values in values_at(model, record_ids, since).items():
            before[(key, record_id)] = present_fields(values)
    return before


def _changed_subject(
    patient: registry.Patient, changes: PatientChanges, before: dict[tuple[str, int], dict]
) -> str | None:
    """The patient's changes. A list record changed since is sent as its removal, with the
    values it had (a receiver that keeps no repeat keys finds it by them), then its
    insertion under the same key; a section a patient has one of, or the patient's own
    fields, as an Update."""
    if changes.own is not None and changes.own.created:
        return subject_xml(patient.subject_id, patient.site.code, entries(patient), INSERT)
    changed = []
    for entry in entries(patient):
        if entry.record_id is None:
            if changes.own is not None:
                changed.append(_marked(entry, UPDATE))
            continue
        change = changes.records.get((entry.form.key, entry.record_id))
        if change is None:
            continue
        if change.created:
            changed.append(_marked(entry, INSERT))
        elif entry.form.many:
            removed = before.get((entry.form.key, entry.record_id), {})
            changed.append(Entry(entry.form, entry.record_id, removed, REMOVE))
            changed.append(_marked(entry, INSERT))
        else:
            changed.append(_marked(entry, UPDATE))
    for (key, record_id), change in changes.records.items():
        if change.deleted and not change.created:
            removed = before.get((key, record_id), {})
            changed.append(Entry(metadata.forms()[key], record_id, removed, REMOVE))
    if not changed:
        return None
    return subject_xml(patient.subject_id, patient.site.code, iter(changed), UPDATE)


def _marked(entry: Entry, transaction: str) -> Entry:
    return Entry(entry.form, entry.record_id, entry.values, transaction)


def _root_tag(code: str, as_of: date | None, since: datetime | None) -> str:
    created = timezone.localtime().isoformat()
    attributes = {
        "xmlns": metadata.ODM_NAMESPACE,
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
    return f"<ODM{_attributes(**attributes)}>\n"


def _study(header: dict) -> ODM.Study:
    code = header["code"]
    study = ODM.Study(
        OID=study_oid(code),
        GlobalVariables=ODM.GlobalVariables(
            StudyName=ODM.StudyName(_content=code),
            StudyDescription=ODM.StudyDescription(
                _content=without_refused_characters(header.get("title", ""))
            ),
            ProtocolName=ODM.ProtocolName(_content=code),
        ),
    )
    study.BasicDefinitions = ODM.BasicDefinitions(MeasurementUnit=metadata.measurement_units())
    study.MetaDataVersion.append(metadata.metadata_version(header))
    return study


def _admin_data(study: registry.Study) -> ODM.AdminData:
    admin = ODM.AdminData(StudyOID=study_oid(study.code))
    for code, name in study.sites.order_by("code").values_list("code", "name"):
        name = without_refused_characters(name or code)
        location = ODM.Location(OID=code, Name=name, LocationType="Site")
        location.MetaDataVersionRef.append(
            ODM.MetaDataVersionRef(
                StudyOID=study_oid(study.code),
                MetaDataVersionOID=metadata.METADATA_VERSION_OID,
                EffectiveDate=timezone.localdate().isoformat(),
            )
        )
        admin.Location.append(location)
    return admin


def _xml(element) -> str:
    """An odmlib element as XML text."""
    return ET.tostring(element.to_xml(), encoding="unicode") + "\n"
