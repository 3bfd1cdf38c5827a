"""A study as a CDISC ODM 1.3.2 snapshot: valid against the schema, every patient and
value there, generated from the table of sections; cut-off and as-recorded dates."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from registry import choices, models
from registry.interchange.exporter import cohort_document
from registry.interchange.odm.metadata import PATIENT, PHASES, forms
from registry.sections import SECTIONS
from tests.odm import (
    NS,
    imported_study,
    item_values,
    odm_text,
    published_cohort,
    root_of,
    schema_errors,
    subjects,
)

pytestmark = pytest.mark.django_db


def test_every_section_has_one_phase_and_every_field_an_item():
    placed = [key for phase in PHASES for key in phase.sections]
    assert sorted(placed) == sorted([PATIENT, *(section.key for section in SECTIONS)])
    for section in SECTIONS:
        assert [item.name for item in forms()[section.key].items] == list(section.fields)
    assert [item.name for item in forms()[PATIENT].items] == list(models.Patient.document_fields)


def test_the_snapshot_is_valid_odm_1_3_2():
    assert schema_errors(odm_text(imported_study())) == []


def test_the_metadata_gives_data_types_units_and_code_lists():
    version = root_of(odm_text(imported_study())).find("odm:Study/odm:MetaDataVersion", NS)
    items = {item.get("OID"): item for item in version.findall("odm:ItemDef", NS)}
    dose = items["IT.INFUSIONS.CELLS_PER_KG"]
    assert dose.get("DataType") == "integer"
    assert dose.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID") == "MU.cells_kg"
    assert items["IT.INFUSIONS.DATE"].get("DataType") == "date"
    assert items["IT.DAILY_ASSESSMENTS.TEMPERATURE_C"].get("DataType") == "float"
    assert items["IT.GENETICS.TP53_MUTATION"].get("DataType") == "boolean"
    assert items["IT.INFUSIONS.LOT"].get("Length") == "60"  # Infusion.lot's max_length
    lists = {code_list.get("OID"): code_list for code_list in version.findall("odm:CodeList", NS)}
    product = items["IT.INFUSIONS.PRODUCT"].find("odm:CodeListRef", NS).get("CodeListOID")
    codes = [item.get("CodedValue") for item in lists[product].findall("odm:CodeListItem", NS)]
    assert codes == list(choices.Product.values)
    analytes = lists["CL.LABS.ANALYTE"].findall("odm:CodeListItem", NS)
    assert "il6" in {item.get("CodedValue") for item in analytes}
    events = {event.get("OID"): event for event in version.findall("odm:StudyEventDef", NS)}
    assert list(events) == [
        "SE.SCREENING", "SE.LYMPHODEPLETION", "SE.INFUSION", "SE.DAILY", "SE.RESPONSE",
        "SE.FOLLOWUP",
    ]  # fmt: skip
    assert events["SE.DAILY"].get("Repeating") == "Yes"
    units = root_of(odm_text(imported_study())).findall(".//odm:MeasurementUnit", NS)
    assert {"MU.kg", "MU.Cel", "MU.mg_m2_d"} <= {unit.get("OID") for unit in units}


def test_every_patient_is_a_subject_at_its_site():
    document = published_cohort()
    found = subjects(odm_text(imported_study()))
    assert list(found) == sorted(patient["study_id"] for patient in document["patients"])
    for patient in document["patients"]:
        site = found[patient["study_id"]].find("odm:SiteRef", NS).get("LocationOID")
        assert site == patient["site"]


def test_the_values_are_those_of_the_cohort_file():
    # P01 of tests/data/hcd19-published-cohort.json: infused 2019-01-15, 68 kg, 2×10⁵/kg.
    p01 = subjects(odm_text(imported_study()))["P01"]
    (infusion,) = item_values(p01, "IG.INFUSIONS")
    assert infusion == {
        "IT.INFUSIONS.DATE": "2019-01-15",
        "IT.INFUSIONS.PRODUCT": "humanized_cd19",
        "IT.INFUSIONS.WEIGHT_KG": "68.0",
        "IT.INFUSIONS.CELLS_PER_KG": "200000",
    }


def test_lab_values_and_toxicity_treatments_are_there():
    z99 = subjects(odm_text(imported_study()))["Z99"]
    labs = item_values(z99, "IG.LABS")
    assert {"IT.LABS.DAY": "3", "IT.LABS.ANALYTE": "il6", "IT.LABS.VALUE": "5.0",
            "IT.LABS.UNIT": "pg/mL", "IT.LABS.BELOW_DETECTION": "true"} in labs  # fmt: skip
    treatments = item_values(z99, "IG.TOXICITY_TREATMENTS")
    assert {"IT.TOXICITY_TREATMENTS.DAY": "3", "IT.TOXICITY_TREATMENTS.TREATMENT": "other",
            "IT.TOXICITY_TREATMENTS.DESCRIPTION": "Ruxolitinib"} in treatments  # fmt: skip
    (eligibility,) = item_values(z99, "IG.ELIGIBILITY")
    assert eligibility["IT.ELIGIBILITY.EXTRAMEDULLARY_SITES"] == "cns lymph_node"


def test_each_daily_assessment_is_an_occurrence_of_the_daily_event():
    study = imported_study()
    z99 = subjects(odm_text(study))["Z99"]
    daily = z99.findall("odm:StudyEventData[@StudyEventOID='SE.DAILY']", NS)
    stored = models.DailyAssessment.objects.filter(patient__subject_id="Z99")
    assert [event.get("StudyEventRepeatKey") for event in daily] == [
        str(record.id) for record in stored.order_by("day")
    ]


def test_a_cutoff_leaves_out_what_the_cohort_export_leaves_out():
    study = imported_study()
    cutoff = date(2019, 6, 30)
    text = odm_text(study, cutoff=cutoff)
    assert schema_errors(text) == []
    expected = cohort_document(study, cutoff=cutoff)["patients"]
    found = subjects(text)
    assert list(found) == [patient["study_id"] for patient in expected]
    for patient in expected:
        events = item_values(found[patient["study_id"]], "IG.EVENTS")
        assert len(events) == len(patient["events"])


def test_as_of_a_day_before_a_change_gives_the_value_then():
    study = imported_study()
    yesterday = timezone.localdate() - timedelta(days=1)
    models.Patient.history.update(history_date=timezone.now() - timedelta(days=2))
    models.Study.history.update(history_date=timezone.now() - timedelta(days=2))
    p01 = models.Patient.objects.get(subject_id="P01")
    p01.last_contact_date = date(2021, 7, 1)
    p01.save()
    text = odm_text(study, as_of=yesterday)
    assert schema_errors(text) == []
    assert root_of(text).get("AsOfDateTime").startswith(yesterday.isoformat())
    (own,) = item_values(subjects(text)["P01"], "IG.PATIENT")
    assert own["IT.PATIENT.LAST_CONTACT_DATE"] == "2019-04-20"
    (now,) = item_values(subjects(odm_text(study))["P01"], "IG.PATIENT")
    assert now["IT.PATIENT.LAST_CONTACT_DATE"] == "2021-07-01"


def test_the_command_writes_the_document(tmp_path):
    imported_study()
    out = tmp_path / "hcd19.xml"
    call_command("export_odm", "HCD19", "-o", str(out))
    assert schema_errors(out.read_text()) == []
    assert len(subjects(out.read_text())) == 20


def test_characters_xml_cannot_hold_stored_before_they_were_refused_are_left_out():
    # Imports and forms refuse such characters (registry.jsontext); a value stored before
    # that, or written to the database directly, must not make the document unreadable.
    study = imported_study()
    infusion = models.Infusion.objects.filter(patient__study=study).first()
    models.Infusion.objects.filter(pk=infusion.pk).update(lot="LOT\x0b7\ufffe")
    models.Study.objects.filter(pk=study.pk).update(title="Humanized\x0c CD19")
    models.Site.objects.filter(study=study).update(name="Site\x01 one")
    text = odm_text(models.Study.objects.get(pk=study.pk))
    assert schema_errors(text) == []
    lots = {
        values.get("IT.INFUSIONS.LOT")
        for subject in subjects(text).values()
        for values in item_values(subject, "IG.INFUSIONS")
    }
    assert "LOT7" in lots
    assert "Humanized CD19" in text
    assert 'Name="Site one"' in text
