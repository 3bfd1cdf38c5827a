"""The parts of a course the FHIR export carries besides the infusion and its results
(registry.interchange.fhir.history, .toxicity): the eligibility and genetics, the prior
therapies, each day's CRS and ICANS findings with the day's ASTCT grade, the dated toxicity
treatments and the follow-up events; each valid, its references resolved, and cut at a
clinical cut-off."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from registry import models
from registry.sections import SECTIONS
from tests import factories
from tests.fhir import by_code, coded, of_type, resources_of, z99
from tests.odm import imported_study

pytestmark = pytest.mark.django_db

FIELD = "urn:cart-registry:field"


def parts(observation: dict) -> dict[str, dict]:
    """The components by the field they hold (the registry's code)."""
    return {coded(part["code"], FIELD)[0]: part for part in observation["component"]}


def in_phase(resources: list[dict], resource_type: str, phase: str) -> list[dict]:
    """Therapies before (prior) or after (follow-up) the CAR-T cells."""
    return [
        resource
        for resource in of_type(resources, resource_type)
        if coded(resource.get("category", {"coding": []}), "urn:cart-registry:phase") == [phase]
    ]


def infused_patient(**changes):
    patient = factories.PatientFactory(**changes)
    factories.InfusionFactory(patient=patient)  # 2020-01-15
    return patient


def test_each_day_is_a_crs_and_an_icans_observation_with_its_findings_and_its_grade():
    patient = infused_patient()
    factories.DailyAssessmentFactory(
        patient=patient, day=3, temperature_c=39.1, vasopressors=1, oxygen="high_flow", ice_score=5
    )
    observations = of_type(resources_of(patient), "Observation")
    [crs] = by_code(observations, "crs-day")
    assert crs["effectiveDateTime"] == "2020-01-18"
    assert crs["valueInteger"] == 3  # one vasopressor, high-flow oxygen
    found = parts(crs)
    assert list(found) == [
        "temperature_c",
        "fever_masked",
        "hypotension",
        "vasopressors",
        "vasopressin",
        "oxygen",
    ]
    assert found["temperature_c"]["valueQuantity"] == {
        "value": 39.1,
        "unit": "°C",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    assert found["vasopressors"]["valueInteger"] == 1
    assert coded(found["oxygen"]["valueCodeableConcept"], "urn:cart-registry:oxygen") == [
        "high_flow"
    ]
    [icans] = by_code(observations, "icans-day")
    assert icans["valueInteger"] == 2  # ICE 5 in an adult
    found = parts(icans)
    assert found["ice_score"]["valueInteger"] == 5
    assert "capd_score" not in found  # not taken: no component
    assert (
        found["consciousness"]["valueCodeableConcept"]["coding"][0]["display"] == "Awake and alert"
    )


def test_a_day_without_fever_is_crs_grade_0_and_says_why():
    patient = infused_patient()
    factories.DailyAssessmentFactory(patient=patient, temperature_c=37.0, hypotension=True)
    [crs] = by_code(of_type(resources_of(patient), "Observation"), "crs-day")
    assert (crs["valueInteger"], crs["note"]) == (0, [{"text": "grade 0: no fever"}])


def test_the_published_patients_day_and_treatments_are_dated_from_the_infusion():
    resources = z99()
    [crs] = by_code(of_type(resources, "Observation"), "crs-day")
    assert (crs["effectiveDateTime"], crs["valueInteger"]) == ("2020-01-08", 1)  # fever only
    given = {
        r["medicationCodeableConcept"]["text"]: r
        for r in of_type(resources, "MedicationAdministration")
        if "toxicity-treatment" in r["medicationCodeableConcept"]["coding"][0]["system"]
    }
    assert sorted(given) == ["Corticosteroid", "Ruxolitinib", "Tocilizumab"]
    tocilizumab = given["Tocilizumab"]
    assert tocilizumab["effectiveDateTime"] == "2020-01-08"  # day 2
    assert tocilizumab["dosage"]["dose"] == {
        "value": 480.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert given["Ruxolitinib"]["effectiveDateTime"] == "2020-01-09"
    assert "dosage" not in given["Ruxolitinib"]  # no dose recorded
    assert coded(given["Ruxolitinib"]["medicationCodeableConcept"], TREATMENTS) == ["other"]


TREATMENTS = "urn:cart-registry:toxicity-treatment"


def test_plasmapheresis_is_a_procedure_and_a_drug_without_an_infusion_a_statement():
    infused = infused_patient()
    factories.ToxicityTreatmentFactory(patient=infused, treatment="plasmapheresis", dose_mg=None)
    [procedure] = of_type(resources_of(infused), "Procedure")
    assert (procedure["performedDateTime"], procedure["code"]["text"]) == (
        "2020-01-17",
        "Plasmapheresis",
    )
    never_infused = factories.ToxicityTreatmentFactory(day=4).patient
    resources = resources_of(never_infused)
    assert of_type(resources, "MedicationAdministration") == []
    [statement] = of_type(resources, "MedicationStatement")
    assert statement["note"] == [{"text": "Day 4 after an infusion that is not recorded"}]
    assert statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 480


def test_the_eligibility_is_the_protocols_verdict_on_the_values_recorded():
    resources = z99()
    [eligibility] = by_code(of_type(resources, "Observation"), "eligibility")
    assert coded(eligibility["valueCodeableConcept"], "urn:cart-registry:eligibility") == [
        "eligible"
    ]
    found = parts(eligibility)
    assert found["cd19_blast_pct"]["valueQuantity"]["value"] == 99.0
    assert found["adequate_organ_function"]["valueBoolean"] is True
    # ECOG in LOINC first, the registry's code beside it.
    assert coded(found["ecog"]["code"], "http://loinc.org") == ["89247-1"]
    assert found["ecog"]["valueInteger"] == 1
    sites = [
        part["valueCodeableConcept"]["coding"][0]["code"]
        for part in eligibility["component"]
        if coded(part["code"], FIELD) == ["extramedullary_sites"]
    ]
    assert sites == ["cns", "lymph_node"]


def test_an_eligibility_with_a_criterion_missing_is_not_yet_judged_and_says_why():
    patient = factories.PatientFactory()
    models.Eligibility.objects.create(
        patient=patient, cd19_blast_pct=99, bm_blast_pct=50, adequate_organ_function=True
    )
    factories.PriorTherapyFactory(patient=patient, kind="murine_cd19_cart")
    [eligibility] = by_code(of_type(resources_of(patient), "Observation"), "eligibility")
    assert eligibility["valueCodeableConcept"]["coding"][0]["code"] == "not-judged"
    assert eligibility["note"] == [{"text": "ECOG not recorded"}]


def test_the_genetics_is_one_observation_of_the_findings_recorded():
    [genetics] = by_code(of_type(z99(), "Observation"), "genetics")
    found = parts(genetics)
    assert (found["bcr_abl1"]["valueBoolean"], found["ph_like"]["valueBoolean"]) == (False, True)
    assert found["other"]["valueString"] == 'KMT2A-r & "IKZF1" <deleted>\nsecond line'


def test_prior_cells_and_transplants_are_procedures_other_therapies_statements():
    resources = z99()
    murine, transplant = in_phase(resources, "Procedure", "prior")
    assert coded(murine["code"], "urn:cart-registry:prior-therapy") == ["murine_cd19_cart"]
    assert murine["performedDateTime"] == "2019-03-01"
    assert coded(murine["outcome"], "urn:cart-registry:best_response") == ["cr"]
    assert murine["extension"] == [
        {"url": "urn:cart-registry:extension:relapse-date", "valueDate": "2019-09-01"}
    ]
    assert (transplant["code"]["text"], transplant["performedDateTime"]) == (
        "Allogeneic HCT",
        "2019-05-01",
    )
    chemotherapy = factories.PriorTherapyFactory(kind="chemotherapy", date=date(2019, 2, 1))
    [statement] = of_type(resources_of(chemotherapy.patient), "MedicationStatement")
    assert statement["effectiveDateTime"] == "2019-02-01"
    assert in_phase([statement], "MedicationStatement", "prior") == [statement]
    assert statement["medicationCodeableConcept"]["text"] == "Chemotherapy"


def test_follow_up_events_are_procedures_and_observations_of_their_dates():
    resources = z99()
    [transplant] = in_phase(resources, "Procedure", "follow-up")
    assert (transplant["code"]["text"], transplant["performedDateTime"]) == (
        "Allogeneic HCT",
        "2020-03-01",
    )
    [relapse] = by_code(of_type(resources, "Observation"), "relapse")
    [condition] = of_type(resources, "Condition")
    assert relapse["effectiveDateTime"] == "2020-06-01"
    assert relapse["focus"] == [{"reference": f"urn:uuid:{condition['id']}"}]
    assert coded(relapse["valueCodeableConcept"], "urn:cart-registry:cd19") == ["negative"]
    # The death is the Patient's deceasedDateTime and ends the ResearchSubject: no more.
    assert by_code(of_type(resources, "Observation"), "death") == []


def test_recovery_loss_and_another_therapy_are_written_too():
    patient = infused_patient()
    for kind, day in (("b_cell_recovery", 1), ("car_t_loss", 2), ("other_therapy", 3)):
        factories.FollowUpEventFactory(patient=patient, kind=kind, date=date(2020, 6, day))
    patient.events.filter(kind="other_therapy").update(description="Blinatumomab")
    resources = resources_of(patient)
    observations = of_type(resources, "Observation")
    [recovery] = by_code(observations, "b_cell_recovery")
    [loss] = by_code(observations, "car_t_loss")
    assert (recovery["effectiveDateTime"], recovery["valueBoolean"]) == ("2020-06-01", True)
    assert loss["effectiveDateTime"] == "2020-06-02"
    [therapy] = of_type(resources, "Procedure")
    assert (therapy["code"]["text"], therapy["performedDateTime"]) == ("Blinatumomab", "2020-06-03")
    assert coded(therapy["code"], "urn:cart-registry:event") == ["other_therapy"]


def test_a_cutoff_leaves_out_later_days_treatments_and_events_but_not_the_history():
    """Z99 was infused on 2020-01-06; at 2020-01-07 (day 1) the day-2 assessment, the
    treatments of days 2 and 3 and every follow-up event are after the cut-off."""
    resources = z99(cutoff=date(2020, 1, 7))
    observations = of_type(resources, "Observation")
    assert by_code(observations, "crs-day") == by_code(observations, "icans-day") == []
    assert by_code(observations, "relapse") == []
    given = [
        r["medicationCodeableConcept"]["text"]
        for r in of_type(resources, "MedicationAdministration")
    ]
    assert sorted(given) == ["Cyclophosphamide", "Fludarabine", "Humanized CD19 CAR-T"]
    procedures = [r["code"]["text"] for r in of_type(resources, "Procedure")]
    assert procedures == ["Murine CD19 CAR-T", "Allogeneic HCT", "Lymphodepleting chemotherapy"]
    assert by_code(observations, "eligibility") and by_code(observations, "genetics")


def test_as_of_a_day_the_events_and_treatments_recorded_after_it_are_left_out():
    imported_study()
    two_days_ago = timezone.now() - timedelta(days=2)
    for model in (models.Study, models.Patient, *(section.model for section in SECTIONS)):
        model.history.update(history_date=two_days_ago)
    patient = models.Patient.objects.get(subject_id="Z99")
    factories.FollowUpEventFactory(patient=patient, kind="b_cell_recovery", date=date(2020, 4, 1))
    factories.ToxicityTreatmentFactory(patient=patient, day=5, treatment="anakinra", dose_mg=100)
    yesterday = timezone.localdate() - timedelta(days=1)
    then, now = resources_of(patient, as_of=yesterday), resources_of(patient)
    assert by_code(of_type(then, "Observation"), "b_cell_recovery") == []
    assert len(by_code(of_type(now, "Observation"), "b_cell_recovery")) == 1
    given_then = [
        r["medicationCodeableConcept"]["text"] for r in of_type(then, "MedicationAdministration")
    ]
    given_now = [
        r["medicationCodeableConcept"]["text"] for r in of_type(now, "MedicationAdministration")
    ]
    assert sorted(set(given_now) - set(given_then)) == ["Anakinra"]
