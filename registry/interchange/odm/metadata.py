"""The registry's ODM metadata: which study event, form, item group and item holds each
section and field of a course, generated from the table of sections
(registry.sections) and the models' fields, never written out by hand.

OIDs (docs/odm.md): `SE.<PHASE>` a phase of the course, `F.<SECTION>` and `IG.<SECTION>` a
section (`PATIENT` for the patient's own fields), `IT.<SECTION>.<FIELD>` a field,
`CL.<SECTION>.<FIELD>` its code list, `MU.<unit>` a unit. A section is a form of one item
group; a list section's item group repeats, one `ItemGroupData` per record, except in a
repeating phase, where each record is one `StudyEventData`.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.db import models
from odmlib.odm_1_3_2 import model as ODM

from registry import models as registry
from registry.interchange.schema import STUDY_SETTINGS
from registry.sections import BY_KEY, FIELD_CODES
from registry.units import FIELD_UNITS

ODM_NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
METADATA_VERSION_OID = "MDV.CART-COHORT.1.1"
PATIENT = "patient"  # the patient's own fields, a form of the screening phase


@dataclass(frozen=True)
class Phase:
    name: str
    label: str
    repeating: bool  # each record of its one section is an occurrence of the event
    sections: tuple[str, ...]  # keys of registry.sections, or PATIENT

    @property
    def oid(self) -> str:
        return f"SE.{self.name}"


# The course in the order it runs. Every section of registry.sections has one phase
# (tests/registry/test_odm_export.py): the lab values and CAR-T counts, taken before
# and after the infusion, are kept with the follow-up.
PHASES: tuple[Phase, ...] = (
    Phase("SCREENING", "Screening", False, (PATIENT, "eligibility", "genetics", "prior_therapies")),
    Phase("LYMPHODEPLETION", "Lymphodepletion", False, ("lymphodepletion",)),
    Phase("INFUSION", "Infusion", False, ("infusions",)),
    Phase("DAILY", "Daily assessment", True, ("daily_assessments",)),
    Phase("RESPONSE", "Response assessment", False, ("response_assessments",)),
    Phase(
        "FOLLOWUP",
        "Follow-up",
        False,
        ("car_t_counts", "labs", "toxicities", "toxicity_treatments", "events"),
    ),
)


@dataclass(frozen=True)
class Item:
    name: str  # the field's name, its key in a cohort document
    oid: str
    field: models.Field
    data_type: str
    codes: dict[str, str] | None  # code -> decode, for a coded field

    @property
    def unit_oid(self) -> str | None:
        unit = FIELD_UNITS.get(self.name)
        return unit_oid(unit.ucum) if unit and unit.ucum else None

    @property
    def is_list(self) -> bool:
        return isinstance(self.field, models.JSONField)


@dataclass(frozen=True)
class Form:
    key: str  # the section's key, or PATIENT
    label: str
    phase: Phase
    many: bool
    items: tuple[Item, ...]

    @property
    def name(self) -> str:
        return self.key.upper()

    @property
    def oid(self) -> str:
        return f"F.{self.name}"

    @property
    def group_oid(self) -> str:
        return f"IG.{self.name}"

    @property
    def repeating_group(self) -> bool:
        """One ItemGroupData per record within the form (a repeating phase's records are
        occurrences of the event instead)."""
        return self.many and not self.phase.repeating


# UCUM units that are symbols only, by the name their OID gives them.
_UNIT_NAMES = {"%": "PERCENT", "1": "FRACTION"}


def unit_oid(ucum: str) -> str:
    return "MU." + (_UNIT_NAMES.get(ucum) or re.sub(r"[^A-Za-z0-9]+", "_", ucum).strip("_"))


@cache
def forms() -> dict[str, Form]:
    """Every form by its key, in the order of the phases."""
    found = {}
    for phase in PHASES:
        for key in phase.sections:
            model, names = _model_and_fields(key)
            items = tuple(_item(key, model._meta.get_field(name)) for name in names)
            many = key != PATIENT and BY_KEY[key].many
            label = str(model._meta.verbose_name).capitalize()
            found[key] = Form(key, label, phase, many, items)
    return found


@cache
def forms_by_group_oid() -> dict[str, Form]:
    return {form.group_oid: form for form in forms().values()}


def _model_and_fields(key: str) -> tuple[type[models.Model], tuple[str, ...]]:
    if key == PATIENT:
        return registry.Patient, registry.Patient.document_fields
    section = BY_KEY[key]
    return section.model, section.fields


def _item(key: str, field: models.Field) -> Item:
    oid = f"IT.{key.upper()}.{field.name.upper()}"
    codes = dict(field.flatchoices) if field.choices else FIELD_CODES.get(field.name)
    if codes is not None:
        codes = {str(code): str(decode) for code, decode in codes.items()}
    return Item(field.name, oid, field, _data_type(field), codes)


def _data_type(field: models.Field) -> str:
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.IntegerField):
        return "integer"
    if isinstance(field, models.FloatField):
        return "float"
    return "text"


def metadata_version(study: dict) -> ODM.MetaDataVersion:
    """The MetaDataVersion of every document the registry writes. The data cut-off and the
    settings of the study (a cohort document's `study`), which ODM has no attribute for,
    are said in the protocol's description (protocol_text)."""
    version = ODM.MetaDataVersion(
        OID=METADATA_VERSION_OID,
        Name="CAR-T registry, cohort format 1.1",
        Description="Sections and fields of a CAR-T course as the registry records them",
    )
    version.Protocol = ODM.Protocol(Description=_description(protocol_text(study)))
    for number, phase in enumerate(PHASES, start=1):
        version.Protocol.StudyEventRef.append(
            ODM.StudyEventRef(StudyEventOID=phase.oid, OrderNumber=number, Mandatory="No")
        )
        version.StudyEventDef.append(_event_def(phase))
    for form in forms().values():
        version.FormDef.append(_form_def(form))
        version.ItemGroupDef.append(_group_def(form))
    for form in forms().values():
        for item in form.items:
            version.ItemDef.append(_item_def(item))
    for form in forms().values():
        for item in form.items:
            if item.codes is not None:
                version.CodeList.append(_code_list(form, item))
    return version


CUTOFF_PREFIX = "Data cut-off: "
NO_CUTOFF = "Data cut-off: not set"


def protocol_text(study: dict) -> str:
    """The study's data cut-off on the first line (`Data cut-off: 2021-07-31`, or `Data
    cut-off: not set`), then a line for each of its settings the document holds
    (`car_t_kinetics_specimen: bm`)."""
    cutoff = study.get("data_cutoff")
    lines = [CUTOFF_PREFIX + str(cutoff) if cutoff else NO_CUTOFF]
    return "\n".join(lines + [f"{key}: {study[key]}" for key in STUDY_SETTINGS if key in study])


def protocol_read(text: str | None) -> dict:
    """The data cut-off and the settings that protocol_text wrote in `text`; another
    system's description says neither."""
    lines = (text or "").splitlines() or [""]
    found = {}
    if lines[0].startswith(CUTOFF_PREFIX) and lines[0] != NO_CUTOFF:
        found["data_cutoff"] = lines[0].removeprefix(CUTOFF_PREFIX)
    for line in lines[1:]:
        key, _colon, value = line.partition(": ")
        if key in STUDY_SETTINGS:
            found[key] = value
    return found


def measurement_units() -> list[ODM.MeasurementUnit]:
    units = sorted({unit.ucum for unit in FIELD_UNITS.values() if unit.ucum})
    return [
        ODM.MeasurementUnit(
            OID=unit_oid(ucum), Name=ucum, Symbol=ODM.Symbol(**_description_text(ucum))
        )
        for ucum in units
    ]


def _description_text(text: str) -> dict:
    return {"TranslatedText": [ODM.TranslatedText(_content=text, lang="en")]}


def _description(text: str) -> ODM.Description:
    return ODM.Description(**_description_text(text))


def _event_def(phase: Phase) -> ODM.StudyEventDef:
    event = ODM.StudyEventDef(
        OID=phase.oid,
        Name=phase.label,
        Repeating="Yes" if phase.repeating else "No",
        Type="Scheduled",
    )
    for number, key in enumerate(phase.sections, start=1):
        event.FormRef.append(
            ODM.FormRef(FormOID=forms()[key].oid, OrderNumber=number, Mandatory="No")
        )
    return event


def _form_def(form: Form) -> ODM.FormDef:
    definition = ODM.FormDef(OID=form.oid, Name=form.label, Repeating="No")
    definition.ItemGroupRef.append(ODM.ItemGroupRef(ItemGroupOID=form.group_oid, Mandatory="No"))
    return definition


def _group_def(form: Form) -> ODM.ItemGroupDef:
    group = ODM.ItemGroupDef(
        OID=form.group_oid,
        Name=form.key,
        Repeating="Yes" if form.repeating_group else "No",
        Description=_description(form.label),
    )
    for number, item in enumerate(form.items, start=1):
        group.ItemRef.append(ODM.ItemRef(ItemOID=item.oid, OrderNumber=number, Mandatory="No"))
    return group


def _item_def(item: Item) -> ODM.ItemDef:
    field = item.field
    definition = ODM.ItemDef(OID=item.oid, Name=item.name, DataType=item.data_type)
    if item.data_type == "text" and getattr(field, "max_length", None) and not item.is_list:
        definition.Length = field.max_length
    text = str(field.verbose_name)
    if field.help_text:
        text += f": {field.help_text}"
    if item.is_list:
        text += " (codes separated by spaces)"
    definition.Description = _description(text)
    definition.Question = ODM.Question(**_description_text(str(field.verbose_name).capitalize()))
    if item.unit_oid:
        definition.MeasurementUnitRef.append(
            ODM.MeasurementUnitRef(MeasurementUnitOID=item.unit_oid)
        )
    if item.codes is not None:
        definition.CodeListRef = ODM.CodeListRef(CodeListOID=code_list_oid(item))
    return definition


def code_list_oid(item: Item) -> str:
    return "CL." + item.oid.removeprefix("IT.")


def _code_list(form: Form, item: Item) -> ODM.CodeList:
    code_list = ODM.CodeList(
        OID=code_list_oid(item), Name=f"{form.key} {item.name}", DataType="text"
    )
    for code, decode in item.codes.items():
        code_list.CodeListItem.append(
            ODM.CodeListItem(CodedValue=code, Decode=ODM.Decode(**_description_text(decode)))
        )
    return code_list
