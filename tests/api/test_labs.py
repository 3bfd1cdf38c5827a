"""Lab values, CAR-T counts by qPCR and toxicity treatments through the API: written at
their section's URL, refused in the model layer's words under the field, nested on read."""

import pytest

from registry import models
from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def posted(client, patient: models.Patient, section: str, body: dict):
    return client.post(f"/api/v1/patients/{patient.pk}/{section}/", body, format="json")


def test_it_adds_a_lab_value_as_entered_and_nests_it_on_the_patient(editor_client):
    patient = full_course()

    added = posted(editor_client, patient, "labs",
                   {"day": 7, "analyte": "anc", "value": 300, "unit": "/uL"})  # fmt: skip
    body = editor_client.get(f"/api/v1/patients/{patient.pk}/").json()

    assert added.status_code == 201, added.content
    assert added.json() | {"id": 0} == {
        "id": 0,
        "patient": patient.pk,
        "day": 7,
        "analyte": "anc",
        "value": 300.0,
        "unit": "/uL",
        "specimen": "pb",
        "below_detection": False,
    }
    assert [lab["analyte"] for lab in body["labs"]] == ["crp", "anc"]


@pytest.mark.parametrize(
    ("lab", "field", "message"),
    [
        ({"unit": "g/L"}, "unit", "Unit g/L is not used for ANC; use 10^9/L or /uL"),
        ({"analyte": "il2"}, "analyte", "Unknown analyte 'il2'"),
        ({"day": -31}, "day", "Day of a lab value (after the infusion) must be between -30"),
    ],
)
def test_it_refuses_a_bad_lab_value_under_its_field(editor_client, lab, field, message):
    patient = full_course()
    body = {"day": 7, "analyte": "anc", "value": 0.3, "unit": "10^9/L"} | lab

    refused = posted(editor_client, patient, "labs", body)

    assert refused.status_code == 400
    assert refused.json()[field][0].startswith(message), refused.json()
    assert patient.labs.count() == 1


def test_it_refuses_a_second_value_of_an_analyte_on_one_day(editor_client):
    patient = full_course()  # CRP on day -5

    refused = posted(editor_client, patient, "labs",
                     {"day": -5, "analyte": "crp", "value": 9, "unit": "mg/L"})  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["day"] == [
        "CRP in peripheral blood on day -5 is entered twice: a day holds one value of an "
        "analyte in a specimen"
    ]


def test_it_adds_a_car_t_count_by_qpcr_in_marrow_on_a_day_blood_has_one(editor_client):
    patient = full_course()  # flow counts in blood on days 7 and 14

    added = posted(editor_client, patient, "car-t-counts",
                   {"day": 7, "copies_per_ug_dna": 1200, "specimen": "bm"})  # fmt: skip

    assert added.status_code == 201, added.content
    assert added.json()["cells_per_ul"] is None


def test_it_refuses_a_treatment_the_recorded_toxicities_deny(editor_client):
    patient = full_course()
    models.ToxicityRecord.objects.filter(patient=patient).update(plasmapheresis=False)

    refused = posted(editor_client, patient, "toxicity-treatments",
                     {"day": 4, "treatment": "plasmapheresis"})  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["non_field_errors"] == [
        "Plasmapheresis: the toxicity treatments record a dose, so the recorded toxicities "
        "must say yes"
    ]
    assert patient.toxicity_treatments.count() == 1


def test_it_shows_the_study_s_b_cell_aplasia_specimen(reader_client):
    patient = full_course()

    study = reader_client.get(f"/api/v1/studies/{patient.study.code}/").json()

    assert study["b_cell_aplasia_specimen"] == "bm"
