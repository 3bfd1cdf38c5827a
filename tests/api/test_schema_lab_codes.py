"""The OpenAPI schema (GET /api/v1/schema/) lists the codes of the lab sections' coded
fields: analyte, unit and specimen of a lab value, the specimen of a CAR-T count, the
treatment of a toxicity treatment (registry.analytes), each as an enum."""

import pytest

from registry.analytes import ANALYTES, SPECIMENS, TOXICITY_TREATMENTS
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db

UNITS = {unit for analyte in ANALYTES.values() for unit in analyte.units}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def codes(schema: dict, component: str, field: str) -> set[str]:
    """The codes a field of a component takes, through the enum components it refers to."""
    waiting, found = [schema["components"]["schemas"][component]["properties"][field]], set()
    while waiting:
        item = waiting.pop()
        if "$ref" in item:
            waiting.append(schema["components"]["schemas"][item["$ref"].rpartition("/")[2]])
        waiting += item.get("allOf", []) + item.get("oneOf", [])
        found |= set(item.get("enum", ()))
    return found


@pytest.mark.parametrize("component", ["LabResult", "PatchedLabResult"])
def test_it_lists_the_analytes_units_and_specimens_of_a_lab_value(schema, component):
    assert codes(schema, component, "analyte") == set(ANALYTES)
    assert "b_cells_pct" in codes(schema, component, "analyte")
    assert codes(schema, component, "unit") == UNITS
    assert {"10^9/L", "/uL", "pg/mL", "%"} <= codes(schema, component, "unit")
    # Blank: the default, blood.
    assert codes(schema, component, "specimen") == {"pb", "bm", "csf", ""}


def test_it_lists_the_specimens_of_a_car_t_count(schema):
    assert codes(schema, "CarTCount", "specimen") == {*SPECIMENS, ""}


def test_it_lists_the_treatments_of_a_toxicity_treatment(schema):
    assert codes(schema, "ToxicityTreatment", "treatment") == set(TOXICITY_TREATMENTS)
    assert "tocilizumab" in codes(schema, "ToxicityTreatment", "treatment")


def test_it_lists_the_specimens_of_a_study_s_settings(schema):
    for field in ("b_cell_aplasia_specimen", "car_t_kinetics_specimen"):
        assert codes(schema, "Study", field) == {"pb", "bm", "csf"}


@pytest.mark.usefixtures("roles")
def test_a_listed_unit_is_still_checked_against_its_analyte(schema, editor_client):
    # Listed, g/L is still refused for CRP by the model, in its words (registry.analytes).
    assert "g/L" in codes(schema, "LabResult", "unit")
    patient = full_course()

    refused = editor_client.post(
        f"/api/v1/patients/{patient.pk}/labs/",
        {"day": 3, "analyte": "crp", "value": 1.0, "unit": "g/L"},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["unit"][0].startswith("Unit g/L is not used for CRP")
