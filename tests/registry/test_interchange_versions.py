"""Cohort format versions 1 and 1.1 (docs/cohort-format.md): what each may say, the
refusals with their JSON paths, the round trip and the re-import of the 1.1 sections."""

import pytest

from registry import models
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from tests.registry.test_interchange import cohort, patient, problems_of

pytestmark = pytest.mark.django_db


def version_1_1(*patients: dict) -> dict:
    return cohort(*patients) | {"version": "1.1"}


def with_labs(**changes) -> dict:
    """A patient of version 1.1 using each of its keys; defaults left out, as exported."""
    document = patient(
        diagnosis_date="2018-11-02",
        prior_therapies_complete=True,
        car_t_counts=[
            {"day": 7, "cells_per_ul": 5.2},
            {"day": 14, "copies_per_ug_dna": 41000.0},
            {"day": 28, "cells_per_ul": 0.0, "copies_per_ug_dna": 0.0, "specimen": "bm"},
        ],
        labs=[
            {"day": -5, "analyte": "anc", "value": 2.1, "unit": "10^9/L"},
            {"day": 3, "analyte": "crp", "value": 1.2, "unit": "mg/dL"},
            {"day": 3, "analyte": "il6", "value": 5.0, "unit": "pg/mL", "below_detection": True},
            {"day": 28, "analyte": "b_cells_pct", "value": 0.0, "unit": "%", "specimen": "bm"},
        ],
        toxicity_treatments=[
            {"day": 2, "treatment": "corticosteroid", "dose_mg": 10.0},
            {"day": 2, "treatment": "corticosteroid", "dose_mg": 10.0},
            {"day": 3, "treatment": "other", "description": "ruxolitinib"},
        ],
    )
    document["toxicities"] = document["toxicities"] | {"icaht_grade": 1, "iec_hs": False}
    return document | changes


def test_it_gives_back_a_version_1_1_document_as_it_was():
    document = version_1_1(with_labs())
    cohort_import(data=document)

    assert cohort_document(models.Study.objects.get(code="HCD19")) == document


def test_it_stores_the_defaults_a_document_left_out():
    cohort_import(data=version_1_1(with_labs()))

    stored = models.Patient.objects.get(subject_id="P01")
    assert stored.labs.get(day=-5).specimen == "pb"
    assert stored.labs.get(day=3, analyte="il6").below_detection is True
    assert stored.labs.get(day=3, analyte="crp").series_value == pytest.approx(12)
    assert stored.car_t_counts.get(day=14).cells_per_ul is None
    assert stored.toxicity_treatments.filter(day=2).count() == 2


@pytest.mark.parametrize("version", [True, 1.0, "1", "1.0", 2, "1.2", None])
def test_it_refuses_any_other_version(version):
    assert problems_of(cohort() | {"version": version}) == {
        "version": f'The version must be 1 (the number) or "1.1" (text), not {version!r}'
    }


def test_it_refuses_a_key_of_version_1_1_in_a_version_1_document():
    assert problems_of(cohort(with_labs())) == {
        f"patients[0].{path}": f"'{path.rpartition('.')[2]}' is a key of version 1.1, "
        "and this document says version 1"
        for path in (
            "diagnosis_date",
            "labs",
            "prior_therapies_complete",
            "toxicity_treatments",
            "car_t_counts[1].copies_per_ug_dna",
            "car_t_counts[2].copies_per_ug_dna",
            "car_t_counts[2].specimen",
            "toxicities.icaht_grade",
            "toxicities.iec_hs",
        )
    }


@pytest.mark.parametrize(
    ("lab", "path", "message"),
    [
        ({"analyte": "il2"}, "analyte", "Unknown analyte 'il2': use one of anc, alc"),
        ({"unit": "g/L"}, "unit", "Unit g/L is not used for CRP; use mg/L or mg/dL"),
        ({"value": -3}, "value", "CRP cannot be negative (-3 mg/dL)"),
        ({"day": -31}, "day", "Day of a lab value (after the infusion) must be between -30 and 3650"),
        ({"specimen": "urine"}, "specimen", "Unknown specimen 'urine': use pb (peripheral blood)"),
        ({"value": "1.2"}, "value", "Must be a number, not '1.2'"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_lab_value_at_its_path(lab, path, message):
    document = with_labs()
    document["labs"][1] |= lab

    found = problems_of(version_1_1(document))

    assert found[f"patients[0].labs[1].{path}"].startswith(message), found


def test_it_refuses_a_second_value_of_an_analyte_on_one_day():
    document = with_labs()
    document["labs"].append({"day": 3, "analyte": "crp", "value": 15.0, "unit": "mg/L"})

    assert problems_of(version_1_1(document)) == {
        "patients[0].labs[4].day": "CRP in peripheral blood on day 3 is entered twice: a day "
        "holds one value of an analyte in a specimen"
    }


def test_it_refuses_a_car_t_count_without_a_measurement():
    document = with_labs()
    document["car_t_counts"].append({"day": 21})

    assert problems_of(version_1_1(document)) == {
        "patients[0].car_t_counts[3]": "A CAR-T count needs cells/µL (flow cytometry) or "
        "copies/µg DNA (qPCR)"
    }


def test_it_fills_in_a_treatment_the_toxicities_left_out():
    document = with_labs()
    del document["toxicities"]["corticosteroids"]
    cohort_import(data=version_1_1(document))

    assert models.ToxicityRecord.objects.get().corticosteroids is True


def test_it_refuses_treatments_the_toxicities_contradict():
    document = with_labs()
    document["toxicities"]["tocilizumab"] = True

    assert problems_of(version_1_1(document)) == {
        "patients[0].toxicities.tocilizumab": "Tocilizumab: the toxicity treatments record "
        "none, so the recorded toxicities must say no"
    }
    assert not models.Patient.objects.exists()


def test_it_refuses_a_diagnosis_after_a_prior_therapy():
    document = with_labs(diagnosis_date="2019-04-01")

    assert problems_of(version_1_1(document)) == {
        "patients[0].prior_therapies[0].date": "A prior therapy cannot be before the diagnosis "
        "(2019-04-01)"
    }


def test_a_re_import_changes_a_lab_value_in_place_and_keeps_the_treatments():
    document = version_1_1(with_labs())
    cohort_import(data=document)
    lab = models.LabResult.objects.get(day=3, analyte="crp")
    treatments = set(models.ToxicityTreatment.objects.values_list("pk", flat=True))
    document["patients"][0]["labs"][1]["value"] = 1.5

    result = cohort_import(data=document)

    changed = models.LabResult.objects.get(day=3, analyte="crp")
    assert (changed.pk, changed.value, changed.version) == (lab.pk, 1.5, 2)
    assert set(models.ToxicityTreatment.objects.values_list("pk", flat=True)) == treatments
    assert (result.records.changed, result.records.created, result.records.deleted) == (1, 0, 0)


def test_a_re_import_replaces_the_treatments_when_the_list_differs():
    document = version_1_1(with_labs())
    cohort_import(data=document)
    document["patients"][0]["toxicity_treatments"].pop(1)

    result = cohort_import(data=document)

    assert models.ToxicityTreatment.objects.count() == 2
    assert (result.records.created, result.records.deleted) == (2, 3)
