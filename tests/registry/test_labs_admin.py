"""Lab values and toxicity treatments in the admin: the model layer's refusals on the page,
and the value in the registry's own unit beside the one entered."""

import pytest
from django.urls import reverse

from registry import models
from tests import factories
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_it_refuses_a_unit_not_used_for_the_analyte(signed_in):
    patient = full_course()
    data = {"patient": patient.pk, "day": 7, "analyte": "platelets", "value": 40,
            "unit": "g/dL", "specimen": "pb"}  # fmt: skip

    response = signed_in.post(reverse("admin:registry_labresult_add"), data)

    assert response.status_code == 200
    assert "Unit g/dL is not used for platelets; use 10^9/L or /uL" in response.content.decode()
    assert patient.labs.count() == 1


def test_it_refuses_other_without_a_description(signed_in):
    patient = full_course()
    data = {"patient": patient.pk, "day": 3, "treatment": "other"}

    response = signed_in.post(reverse("admin:registry_toxicitytreatment_add"), data)

    assert "&#x27;other&#x27; needs a description" in response.content.decode()
    assert patient.toxicity_treatments.count() == 1


def test_it_shows_a_value_in_the_registry_s_unit_on_the_patient_page(signed_in):
    patient = full_course()
    factories.LabResultFactory(patient=patient, day=7, value=450, unit="/uL")

    page = signed_in.get(reverse("admin:registry_patient_change", args=[patient.pk]))

    # 1 x10^9/L = 1000/µL (cohort format 1.1, labs); CRP 1.2 mg/dL = 12 mg/L.
    assert "0.45 10^9/L" in page.content.decode()
    assert "12 mg/L" in page.content.decode()
    assert models.LabResult.objects.get(day=7).value == 450
