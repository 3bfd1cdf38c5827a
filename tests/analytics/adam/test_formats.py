"""Each format of the ADaM datasets read back by what reads it elsewhere: the transport
file by pyreadstat (as SAS and R's haven read it), Dataset-JSON into odmlib's model, the
Define-XML against the Define-XML 2.1 schema odmlib ships; the ADaM naming rules."""

import re
import tempfile
import xml.etree.ElementTree as ET

import pandas as pd
import pyreadstat
import pytest
from odmlib.dataset_json_1_1 import DatasetJSON
from odmlib.odm_parser import ODMSchemaValidator

from analytics.adam.variables import DATASETS, LABEL_MAX, NAME_MAX, TEXT_MAX
from tests.analytics.adam.estimates import aalen_johansen, product_limit

EXPORT = "/api/v1/studies/HCD19/export/adam/"
DEFINE_SCHEMA = ODMSchemaValidator(standard="define", version="2.1")
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def content(client, path: str, **params) -> bytes:
    response = client.get(EXPORT + path, params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_xpt(data: bytes) -> tuple[pd.DataFrame, object]:
    with tempfile.NamedTemporaryFile(suffix=".xpt") as file:
        file.write(data)
        file.flush()
        return pyreadstat.read_xport(file.name)


@pytest.mark.parametrize("dataset", DATASETS.values(), ids=list(DATASETS))
def test_names_labels_and_lengths_keep_to_the_transport_limits(dataset):
    assert re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", dataset.name)
    assert len(dataset.label) <= LABEL_MAX
    for variable in dataset.variables:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", variable.name)
        assert len(variable.name) <= NAME_MAX, variable.name
        assert len(variable.label) <= LABEL_MAX, variable.label
        assert 1 <= variable.length <= TEXT_MAX
        for value, _ in variable.codes:
            assert len(str(value)) <= variable.length, (variable.name, value)


@pytest.mark.parametrize("name", list(DATASETS))
def test_the_transport_file_holds_every_variable_with_its_label(exporter, name):
    found, meta = read_xpt(content(exporter, f"{name}.xpt"))
    dataset = DATASETS[name]
    assert meta.table_name == name
    assert meta.file_label == dataset.label
    assert meta.column_names == dataset.names
    assert meta.column_labels == [variable.label for variable in dataset.variables]
    dates = [variable.name for variable in dataset.variables if variable.kind == "date"]
    assert all(meta.original_variable_types[date] == "DATE9." for date in dates)
    # Every value of a text column fits the length the Define-XML declares.
    for variable in dataset.variables:
        if variable.is_text:
            assert found[variable.name].str.len().max() <= variable.length


def test_the_transport_files_adtte_gives_rs_kaplan_meier(exporter):
    # R 4, survival: d <- foreign::read.xport("adtte.xpt") (haven::read_xpt reads it the
    # same); for each PARAMCD: summary(survfit(Surv(AVAL, CNSR == 0) ~ 1,
    # data = subset(d, PARAMCD == p)), times = c(12, 18) * 30.4375)$surv; for CIR:
    # summary(survfit(Surv(AVAL, factor(EVNTTYPN, 0:2)) ~ 1, data = subset(d,
    # PARAMCD == "CIR")), times = c(6, 12) * 30.4375)$pstate[, 2].
    found, _ = read_xpt(content(exporter, "ADTTE.xpt"))
    expected = {
        "OS": (0.7578947, 0.5774436),
        "EFS": (0.4736842, 0.4736842),
        "RFS": (0.6923077, 0.6923077),
    }
    for code, (at_12, at_18) in expected.items():
        rows = found[found["PARAMCD"] == code]
        days, events = rows["AVAL"].to_numpy(), rows["CNSR"].to_numpy() == 0
        for month, survival in ((12, at_12), (18, at_18)):
            assert product_limit(days, events, month * 30.4375) == pytest.approx(survival, abs=5e-8)
    cir = found[found["PARAMCD"] == "CIR"]
    days, kinds = cir["AVAL"].to_numpy(), cir["EVNTTYPN"].to_numpy()
    for month, incidence in ((6, 0.07692307692), (12, 0.30769230769)):
        assert aalen_johansen(days, kinds, month * 30.4375) == pytest.approx(incidence, abs=5e-11)


@pytest.mark.parametrize("name", list(DATASETS))
def test_dataset_json_reads_into_odmlibs_model_and_matches_the_csv(exporter, name):
    model = DatasetJSON.from_json(content(exporter, f"{name}.json").decode())
    rows = model.rows
    assert model.datasetJSONVersion == "1.1.0"
    assert model.column_names == DATASETS[name].names
    assert model.records == len(rows) > 0
    assert model.itemGroupOID == f"IG.{name}"
    # Each value of the type its column says, or null.
    types = {"string": str, "integer": int, "float": float, "date": str}
    for row in rows:
        assert len(row) == len(model.columns)
        for value, column in zip(row, model.columns, strict=True):
            assert value is None or type(value) is types[column.dataType], (column.name, value)
    lines = content(exporter, f"{name}.csv").decode().splitlines()
    assert lines[0].split(",") == DATASETS[name].names
    assert len(lines) == len(rows) + 1


def test_the_define_xml_validates_and_describes_every_variable(exporter):
    text = content(exporter, "define.xml").decode()
    assert [str(error.reason) for error in DEFINE_SCHEMA.xsd.iter_errors(text)] == []
    root = ET.fromstring(text)
    version = root.find("odm:Study/odm:MetaDataVersion", NS)
    groups = version.findall("odm:ItemGroupDef", NS)
    assert [group.get("Name") for group in groups] == list(DATASETS)
    items = {item.get("OID"): item for item in version.findall("odm:ItemDef", NS)}
    for group in groups:
        dataset = DATASETS[group.get("Name")]
        references = [ref.get("ItemOID") for ref in group.findall("odm:ItemRef", NS)]
        assert [items[oid].get("Name") for oid in references] == dataset.names
        assert group.find("def:leaf", NS).get("{http://www.w3.org/1999/xlink}href") == (
            f"{dataset.name.lower()}.xpt"
        )
    censor = version.find("odm:CodeList[@OID='CL.ADTTE.CNSR']", NS)
    assert [item.get("CodedValue") for item in censor] == ["0", "1", "2", "3"]


def test_the_schema_check_finds_a_broken_define(exporter):
    text = content(exporter, "define.xml").decode()
    broken = text.replace('def:Structure="One record per subject"', "", 1)
    assert list(DEFINE_SCHEMA.xsd.iter_errors(broken))
