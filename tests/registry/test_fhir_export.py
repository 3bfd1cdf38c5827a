"""A study as FHIR R4 resources (registry.interchange.fhir): every resource valid with the
fhir.resources library, every reference resolved, and each part of a course where
docs/fhir.md says it goes, with its codes and units."""

from datetime import date
from uuid import uuid5

import pytest
from fhir.resources.R4B.bundle import Bundle

from registry import models
from registry.analytes import ANALYTES
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.fhir.course import NAMESPACE, resource_id
from registry.units import LAB_UNITS_UCUM
from tests import factories
from tests.fhir import (
    bundle_of,
    bundle_resources,
    bundle_unresolved,
    by_code,
    coded,
    invalid,
    ndjson_of,
    ndjson_unresolved,
    of_type,
    resources_of,
    z99,
)
from tests.odm import imported_study

pytestmark = pytest.mark.django_db

UCUM = "http://unitsofmeasure.org"


def lymphodepletion(resources: list[dict]) -> list[dict]:
    procedures = of_type(resources, "Procedure")
    return [p for p in procedures if p["code"]["text"] == "Lymphodepleting chemotherapy"]


def test_the_published_cohort_is_one_valid_bundle_whose_references_resolve():
    bundle = bundle_of(imported_study())
    Bundle.model_validate(bundle)  # the library's model of the whole Bundle, every entry
    resources = bundle_resources(bundle)
    assert invalid(resources) == []
    assert bundle_unresolved(bundle) == []
    assert len(of_type(resources, "ResearchStudy")) == 1
    for kind in ("Patient", "ResearchSubject", "Condition"):
        assert len(of_type(resources, kind)) == 20
    events = [e["event"]["coding"][0]["code"] for e in of_type(resources, "AdverseEvent")]
    graded = models.ToxicityRecord.objects.filter
    assert events.count("crs") == graded(crs_max_grade__gte=1).count() > 0
    assert events.count("icans") == graded(icans_max_grade__gte=1).count()
    assert len({resource["id"] for resource in resources}) == len(resources)


def test_the_demo_study_is_valid_and_resolves_as_ndjson_too():
    study = synthetic_cohort_import(data=synthetic_cohort()).study
    bundle = bundle_of(study)
    assert invalid(bundle_resources(bundle)) == []
    assert bundle_unresolved(bundle) == []
    lines = ndjson_of(study)
    assert invalid(lines) == []
    assert ndjson_unresolved(lines) == []
    assert len(of_type(lines, "Patient")) == study.patients.count()
    # The demo's lab series: blood counts coded in LOINC.
    assert by_code(of_type(lines, "Observation"), "751-8")


def test_the_patient_is_pseudonymous():
    [patient] = of_type(z99(), "Patient")
    assert patient["identifier"] == [{"system": "urn:cart-registry:study-id:HCD19", "value": "Z99"}]
    assert patient["birthDate"] == "2000"  # the year only
    assert "name" not in patient and "address" not in patient
    assert patient["meta"]["security"][0]["code"] == "PSEUDED"
    assert (patient["gender"], patient["deceasedDateTime"]) == ("male", "2020-08-01")


def test_the_condition_is_b_all_in_snomed_ct_and_icd_10():
    [condition] = of_type(z99(), "Condition")
    assert coded(condition["code"], "http://snomed.info/sct") == ["91857003"]
    assert coded(condition["code"], "http://hl7.org/fhir/sid/icd-10") == ["C91.0"]
    assert condition["onsetDateTime"] == "2018-02-01"


def test_the_subject_is_in_the_study_until_death():
    resources = z99()
    [subject] = of_type(resources, "ResearchSubject")
    [study] = of_type(resources, "ResearchStudy")
    assert study["identifier"][0]["value"] == "HCD19"
    assert subject["study"]["reference"] == f"urn:uuid:{study['id']}"
    assert (subject["status"], subject["period"]) == (
        "off-study",
        {"start": "2019-12-20", "end": "2020-08-01"},
    )


def test_a_withdrawal_ends_the_subjects_study_and_none_leaves_it_on_it():
    withdrawn = factories.PatientFactory()
    factories.FollowUpEventFactory(patient=withdrawn, kind="withdrawal", date=date(2020, 5, 1))
    [subject] = of_type(resources_of(withdrawn), "ResearchSubject")
    assert (subject["status"], subject["period"]["end"]) == ("withdrawn", "2020-05-01")
    [subject] = of_type(resources_of(factories.PatientFactory()), "ResearchSubject")
    assert (subject["status"], "end" in subject["period"]) == ("on-study", False)


def test_the_infusion_gives_its_dose_per_kg_in_ucum_and_the_weight():
    resources = z99()
    [infusion] = [
        r for r in of_type(resources, "MedicationAdministration") if "supportingInformation" in r
    ]
    assert infusion["effectiveDateTime"] == "2020-01-06"
    assert coded(infusion["medicationCodeableConcept"], "urn:cart-registry:product") == [
        "humanized_cd19"
    ]
    assert infusion["dosage"]["dose"] == {
        "value": 240000,
        "unit": "cells/kg",
        "system": UCUM,
        "code": "{cells}/kg",
    }
    [weight] = by_code(of_type(resources, "Observation"), "29463-7")
    assert infusion["supportingInformation"] == [{"reference": f"urn:uuid:{weight['id']}"}]
    assert weight["valueQuantity"] == {"value": 61.5, "unit": "kg", "system": UCUM, "code": "kg"}


def test_the_lymphodepletion_is_a_procedure_with_a_dose_per_drug():
    resources = z99()
    [procedure] = lymphodepletion(resources)
    assert procedure["performedPeriod"] == {"start": "2020-01-01", "end": "2020-01-03"}
    drugs = {
        r["medicationCodeableConcept"]["text"]: r
        for r in of_type(resources, "MedicationAdministration")
        if "partOf" in r
    }
    assert sorted(drugs) == ["Cyclophosphamide", "Fludarabine"]
    fludarabine = drugs["Fludarabine"]
    assert fludarabine["partOf"] == [{"reference": f"urn:uuid:{procedure['id']}"}]
    assert fludarabine["dosage"]["dose"] == {
        "value": 30.0,
        "unit": "mg/m2",
        "system": UCUM,
        "code": "mg/m2",
    }
    assert fludarabine["effectivePeriod"] == procedure["performedPeriod"]


def test_a_lymphodepletion_without_a_start_date_says_its_doses_in_words():
    record = factories.LymphodepletionFactory(start_date=None, cyclophosphamide_mg_m2_per_day=0)
    resources = resources_of(record.patient)
    [procedure] = lymphodepletion(resources)
    assert "performedPeriod" not in procedure
    assert procedure["note"] == [{"text": "Fludarabine 30 mg/m²/day; start date not recorded"}]
    assert of_type(resources, "MedicationAdministration") == []


def test_labs_carry_loinc_in_blood_their_unit_in_ucum_and_their_day_as_a_date():
    observations = of_type(z99(), "Observation")
    [crp] = by_code(observations, "1988-5")  # day -5: 2020-01-01, the infusion 2020-01-06
    assert crp["code"]["coding"][0]["system"] == "http://loinc.org"
    assert crp["effectiveDateTime"] == "2020-01-01"
    assert crp["valueQuantity"] == {"value": 1.2, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}
    assert crp["contained"][0]["type"]["text"] == "peripheral blood"
    [il6] = by_code(observations, "26881-3")
    assert il6["valueQuantity"]["comparator"] == "<"  # below detection: 5 is the limit
    assert "comparator" not in by_code(observations, "2276-4")[0]["valueQuantity"]


def test_a_lab_in_marrow_carries_the_registrys_code_only():
    lab = factories.LabResultFactory(analyte="anc", specimen="bm", value=0.2, unit="10^9/L")
    [observation] = of_type(resources_of(lab.patient), "Observation")
    assert [c["system"] for c in observation["code"]["coding"]] == ["urn:cart-registry:analyte"]
    assert observation["contained"][0]["type"]["text"] == "bone marrow"
    assert observation["valueQuantity"]["code"] == "10*9/L"
    # No infusion: a day after it is no date.
    assert "effectiveDateTime" not in observation


def test_every_lab_unit_has_a_ucum_code():
    units = {unit for analyte in ANALYTES.values() for unit in analyte.units}
    assert units <= LAB_UNITS_UCUM.keys()


def test_car_t_counts_are_one_observation_per_measurement():
    observations = of_type(z99(), "Observation")
    flow = by_code(observations, "car-t-cells-flow")
    assert [(o["effectiveDateTime"], o["valueQuantity"]["value"]) for o in flow] == [
        ("2020-01-13", 5.2),
        ("2020-02-03", 0.0),
    ]
    assert flow[0]["valueQuantity"]["code"] == "{cells}/uL"
    [qpcr] = by_code(observations, "car-t-copies-qpcr")
    assert (qpcr["valueQuantity"]["code"], qpcr["contained"][0]["type"]["text"]) == (
        "{copies}/ug",
        "bone marrow",
    )


def test_the_response_and_the_mrd_are_observations_of_the_day():
    observations = of_type(z99(), "Observation")
    [response] = by_code(observations, "response")
    assert response["effectiveDateTime"] == "2020-02-05"  # day 30
    assert coded(response["valueCodeableConcept"], "urn:cart-registry:response") == ["cr"]
    assert response["component"][0]["valueQuantity"]["value"] == 0.5
    [mrd] = by_code(observations, "mrd")
    assert coded(mrd["valueCodeableConcept"], "urn:cart-registry:mrd") == ["negative"]
    assert mrd["method"]["text"] == "Flow cytometry"
    assert mrd["component"][0]["valueQuantity"] == {
        "value": 0.00005,
        "unit": "fraction",
        "system": UCUM,
        "code": "1",
    }


def test_crs_and_icans_are_adverse_events_with_the_astct_grade():
    resources = z99()
    [crs] = of_type(resources, "AdverseEvent")  # ICANS grade 0: none
    assert coded(crs["event"], "urn:cart-registry:toxicity") == ["crs"]
    assert crs["extension"] == [
        {"url": "urn:cart-registry:extension:astct-grade", "valueInteger": 1}
    ]
    assert crs["severity"]["coding"][0]["code"] == "mild"
    assert crs["date"] == "2020-01-08"  # onset day 2
    [infusion] = [
        r for r in of_type(resources, "MedicationAdministration") if "supportingInformation" in r
    ]
    assert crs["suspectEntity"] == [{"instance": {"reference": f"urn:uuid:{infusion['id']}"}}]
    toxicity = models.ToxicityRecord.objects.create(
        patient=factories.PatientFactory(), crs_max_grade=3, icans_max_grade=2
    )
    events = of_type(resources_of(toxicity.patient), "AdverseEvent")
    grades = [(e["event"]["coding"][0]["code"], e["severity"]["coding"][0]["code"]) for e in events]
    assert grades == [("crs", "severe"), ("icans", "moderate")]
    assert all("suspectEntity" not in e and "date" not in e for e in events)


def test_a_resources_id_is_the_same_in_every_export_and_a_uuid5():
    study = imported_study()
    first, again = ndjson_of(study), ndjson_of(study)
    assert [r["id"] for r in first] == [r["id"] for r in again]
    assert resource_id("Patient", 12) == str(uuid5(NAMESPACE, "Patient/12"))
