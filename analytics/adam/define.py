"""The Define-XML 2.1 document describing the ADaM datasets: one ItemGroupDef per dataset
(its ADaM class, structure, keys and transport file), one ItemDef per variable (name,
label, type, length, how it is derived) and a CodeList per coded variable. Built with
odmlib's Define-XML 2.1 model; the tests validate it against the schema odmlib ships.
"""

from datetime import UTC, datetime

from odmlib.define_2_1 import model as DEFINE

from analytics.adam.formats import METADATA_VERSION_OID, item_group_oid, item_oid, study_oid
from analytics.adam.variables import DATASETS, DATE, FLOAT, INTEGER, Dataset, Variable

ADAMIG = "STD.ADAMIG"
DATA_TYPES = {INTEGER: "integer", FLOAT: "float", DATE: "date"}


def define_xml(study_code: str, study_title: str, written_at: datetime | None = None) -> str:
    """The document as XML text, with its declaration."""
    written_at = written_at or datetime.now(UTC)
    version = DEFINE.MetaDataVersion(
        OID=METADATA_VERSION_OID,
        Name=f"{study_code} ADaM datasets",
        Description=f"The ADaM datasets of {study_code}, derived from the analysis dataset",
        DefineVersion="2.1.0",
    )
    version.Standards = DEFINE.Standards(
        Standard=[
            DEFINE.Standard(OID=ADAMIG, Name="ADaMIG", Type="IG", Version="1.3", Status="Final")
        ]
    )
    shared: dict[str, Variable] = {}
    for dataset in DATASETS.values():
        version.ItemGroupDef.append(_item_group(dataset))
        for variable in dataset.variables:
            version.ItemDef.append(_item(dataset, variable))
            if variable.codes:
                shared.setdefault(_code_list_oid(dataset, variable), variable)
    for oid, variable in shared.items():
        version.CodeList.append(_code_list(oid, variable))
    study = DEFINE.Study(
        OID=study_oid(study_code),
        GlobalVariables=DEFINE.GlobalVariables(
            StudyName=DEFINE.StudyName(_content=study_code),
            StudyDescription=DEFINE.StudyDescription(_content=study_title or study_code),
            ProtocolName=DEFINE.ProtocolName(_content=study_code),
        ),
        MetaDataVersion=version,
    )
    document = DEFINE.ODM(
        FileType="Snapshot",
        FileOID=f"{study_oid(study_code)}.DEFINE",
        CreationDateTime=written_at.isoformat(timespec="seconds"),
        ODMVersion="1.3.2",
        Originator="CAR-T registry",
        SourceSystem="CAR-T registry",
        Context="Other",
        Study=study,
    )
    return document.to_xml_string(xml_declaration=True)


def _item_group(dataset: Dataset) -> DEFINE.ItemGroupDef:
    group = DEFINE.ItemGroupDef(
        OID=item_group_oid(dataset),
        Name=dataset.name,
        SASDatasetName=dataset.name,
        Repeating="No" if dataset.name == "ADSL" else "Yes",
        IsReferenceData="No",
        Purpose="Analysis",
        Structure=dataset.structure,
        ArchiveLocationID=_leaf_id(dataset),
        StandardOID=ADAMIG,
        Description=_description(dataset.label),
        leaf=DEFINE.leaf(
            ID=_leaf_id(dataset),
            href=f"{dataset.name.lower()}.xpt",
            title=DEFINE.title(_content=f"{dataset.name.lower()}.xpt"),
        ),
    )
    group.Class = DEFINE.Class(Name=dataset.adam_class)
    if dataset.subclass:
        group.Class.SubClass.append(DEFINE.SubClass(Name=dataset.subclass))
    for number, variable in enumerate(dataset.variables, start=1):
        reference = DEFINE.ItemRef(
            ItemOID=item_oid(dataset, variable.name),
            OrderNumber=number,
            Mandatory="Yes" if variable.name in dataset.keys else "No",
        )
        if variable.name in dataset.keys:
            reference.KeySequence = dataset.keys.index(variable.name) + 1
        group.ItemRef.append(reference)
    return group


def _item(dataset: Dataset, variable: Variable) -> DEFINE.ItemDef:
    item = DEFINE.ItemDef(
        OID=item_oid(dataset, variable.name),
        Name=variable.name,
        SASFieldName=variable.name,
        DataType=DATA_TYPES.get(variable.kind, "text"),
        Description=_description(variable.label),
    )
    if variable.is_text:
        item.Length = variable.length
    if variable.kind == DATE:
        item.DisplayFormat = "DATE9"
    if variable.codes:
        item.CodeListRef = DEFINE.CodeListRef(CodeListOID=_code_list_oid(dataset, variable))
    origin = DEFINE.Origin(Type="Derived", Source="Sponsor")
    if variable.derivation:
        origin.Description = _description(variable.derivation)
    item.Origin.append(origin)
    return item


def _code_list(oid: str, variable: Variable) -> DEFINE.CodeList:
    code_list = DEFINE.CodeList(
        OID=oid, Name=variable.label, DataType="text" if variable.is_text else "integer"
    )
    for value, meaning in variable.codes:
        item = DEFINE.CodeListItem(CodedValue=str(value))
        item.Decode = DEFINE.Decode()
        item.Decode.TranslatedText.append(DEFINE.TranslatedText(_content=meaning, lang="en"))
        code_list.CodeListItem.append(item)
    return code_list


def _code_list_oid(dataset: Dataset, variable: Variable) -> str:
    return f"CL.{dataset.name}.{variable.name}"


def _leaf_id(dataset: Dataset) -> str:
    return f"LF.{dataset.name}"


def _description(text: str) -> DEFINE.Description:
    description = DEFINE.Description()
    description.TranslatedText.append(DEFINE.TranslatedText(_content=text, lang="en"))
    return description
