"""What the ODM tests share: the published cohort with a patient who has every section of
format 1.1, the ODM 1.3.2 schema odmlib ships, and reading a document's elements."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from odmlib.odm_parser import ODMSchemaValidator

from registry import models
from registry.interchange.importer import cohort_import
from registry.interchange.odm.writer import iter_odm_xml
from tests.registry.test_interchange import patient

PUBLISHED = Path(__file__).parent / "data" / "hcd19-published-cohort.json"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
SCHEMA = ODMSchemaValidator(standard="odm", version="1.3.2")


def every_section_patient() -> dict:
    """A patient with lab values and toxicity treatments (format 1.1) besides every section
    of version 1, a list of extramedullary sites, and text XML must escape."""
    found = patient("Z99", diagnosis_date="2018-02-01", prior_therapies_complete=True)
    found["eligibility"]["extramedullary_sites"] = ["cns", "lymph_node"]
    # What XML must escape, and a line break, which an attribute keeps only as a reference.
    found["genetics"]["other"] = 'KMT2A-r & "IKZF1" <deleted>\nsecond line'

    found["car_t_counts"].append({"day": 14, "copies_per_ug_dna": 51234.5, "specimen": "bm"})
    found["labs"] = [
        {"day": -5, "analyte": "crp", "value": 1.2, "unit": "mg/dL"},
        {"day": 3, "analyte": "il6", "value": 5.0, "unit": "pg/mL", "below_detection": True},
        {"day": 3, "analyte": "ferritin", "value": 2450.0, "unit": "ng/mL", "specimen": "pb"},
    ]
    found["toxicity_treatments"] = [
        {"day": 2, "treatment": "tocilizumab", "dose_mg": 480.0},
        {"day": 2, "treatment": "corticosteroid", "dose_mg": 10.0},
        {"day": 3, "treatment": "other", "description": "Ruxolitinib"},
    ]
    found["toxicities"] |= {"icaht_grade": 1, "iec_hs": False, "tocilizumab": True}
    return found


def published_cohort() -> dict:
    document = json.loads(PUBLISHED.read_text())
    document["version"] = "1.1"
    document["patients"].append(every_section_patient())
    return document


def imported_study() -> models.Study:
    return cohort_import(data=published_cohort()).study


def odm_text(study: models.Study, **options) -> str:
    return "".join(iter_odm_xml(study, **options))


def schema_errors(text: str) -> list[str]:
    """What the ODM 1.3.2 schema (as odmlib ships it) finds wrong with the document."""
    return [str(error.reason) for error in SCHEMA.xsd.iter_errors(text)]


def root_of(text: str) -> ET.Element:
    return ET.fromstring(text)


def subjects(text: str) -> dict[str, ET.Element]:
    found = root_of(text).findall("odm:ClinicalData/odm:SubjectData", NS)
    return {subject.get("SubjectKey"): subject for subject in found}


def item_values(subject: ET.Element, group_oid: str) -> list[dict[str, str]]:
    """The items of each of the subject's item groups of `group_oid`, by item OID."""
    return [
        {item.get("ItemOID"): item.get("Value") for item in group.findall("odm:ItemData", NS)}
        for group in subject.iterfind(f".//odm:ItemGroupData[@ItemGroupOID='{group_oid}']", NS)
    ]
