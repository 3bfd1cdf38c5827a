"""Each section's operations are described by their section, in the OpenAPI schema and in
the answer to OPTIONS, though one viewset serves every list section and one every
one-to-one section."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from registry.sections import SECTIONS
from tests.api.conftest import full_course

INFUSIONS = "CAR-T infusions of a patient (infusions)."
ELIGIBILITY = "A patient's eligibility findings."


@pytest.fixture(scope="module")
def paths() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def test_it_describes_a_list_sections_operations_by_the_section(paths):
    listed = paths["/api/v1/patients/{patient_pk}/infusions/"]
    record = paths["/api/v1/infusions/{id}/"]
    operations = [listed["get"], listed["post"], *record.values()]
    assert {operation["description"] for operation in operations} == {INFUSIONS}


def test_it_describes_a_one_to_one_sections_operations_by_the_section(paths):
    record = paths["/api/v1/patients/{patient_pk}/eligibility/"]
    assert record["get"]["description"] == ELIGIBILITY
    assert record["delete"]["description"] == ELIGIBILITY


def test_it_keeps_an_operations_own_description(paths):
    put = paths["/api/v1/patients/{patient_pk}/eligibility/"]["put"]
    assert put["description"].startswith("Create the record (201)")


def test_it_describes_each_section_differently(paths):
    described = {
        paths[f"/api/v1/patients/{{patient_pk}}/{section.key.replace('_', '-')}/"]["get"][
            "description"
        ]
        for section in SECTIONS
    }
    assert len(described) == len(SECTIONS)


@pytest.mark.django_db
@pytest.mark.usefixtures("roles")
def test_it_names_and_describes_a_section_in_its_answer_to_options(editor_client):
    patient = full_course()
    infusions = editor_client.options(reverse("infusions-list", args=[patient.pk])).json()
    counts = editor_client.options(reverse("car-t-counts-list", args=[patient.pk])).json()
    eligibility = editor_client.options(reverse("eligibility", args=[patient.pk])).json()
    assert (infusions["name"], infusions["description"]) == ("Infusion", INFUSIONS)
    assert counts["name"] == "Car T Count"
    assert (eligibility["name"], eligibility["description"]) == ("Eligibility", ELIGIBILITY)
