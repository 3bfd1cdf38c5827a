"""The infusion form reads a dose with its unit and a decimal comma, and refuses at the
field what it cannot read for sure (issue #21, point 12)."""

import pytest
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.htmx import HTMX
from tests.web.conftest import infusion_edited


@pytest.fixture
def infusion(clinician):
    infusion = factories.InfusionFactory(patient=factories.PatientFactory())
    membership_grant(user=clinician, study=infusion.patient.study, role=Role.COORDINATOR)
    return infusion


def test_it_stores_a_dose_typed_with_its_unit_in_cells_per_kg(signed_in, infusion):
    infusion_edited(signed_in, infusion, cells_per_kg="2,4", cells_per_kg_unit="1e5")

    infusion.refresh_from_db()
    assert infusion.cells_per_kg == 240_000


def test_it_reads_a_weight_with_a_decimal_comma(signed_in, infusion):
    infusion_edited(signed_in, infusion, weight_kg="61,5")

    infusion.refresh_from_db()
    assert infusion.weight_kg == 61.5


def test_it_refuses_at_the_field_a_number_it_cannot_read_for_sure(signed_in, infusion):
    html = infusion_edited(signed_in, infusion, weight_kg="61,500").content.decode()

    infusion.refresh_from_db()
    assert '<ul class="field-errors" id="id_weight_kg_error">' in html
    assert "Is 61,500 a decimal or a number in thousands?" in html
    assert infusion.weight_kg != 61_500


def test_the_form_offers_the_dose_units_with_cells_per_kg_chosen_for_a_new_infusion(
    signed_in, infusion
):
    address = reverse("web:section-add", args=[infusion.patient.pk, "infusions"])
    html = signed_in.get(address, **HTMX).content.decode()

    assert '<select name="cells_per_kg_unit" aria-label="Unit"' in html
    assert '<option value="1" selected>cells/kg</option>' in html
    assert '<option value="1e6">×10⁶/kg</option>' in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # Found walking the pages: Django's "Ensure this value is less than or equal to
        # 9223372036854775807." and "… greater than or equal to 0."
        ({"cells_per_kg": "1e20"}, "Dose (cells/kg) cannot be more than 10,000,000,000"),
        ({"cells_per_kg": "-1"}, "Dose cannot be negative"),
        ({"weight_kg": "1e400"}, "Too large a number"),
    ],
)
def test_it_refuses_a_number_beyond_the_database_in_plain_words(
    signed_in, infusion, typed, message
):
    html = infusion_edited(signed_in, infusion, **typed).content.decode()

    (field,) = typed
    infusion.refresh_from_db()
    errors = html.split(f'<ul class="field-errors" id="id_{field}_error">')[1].split("</ul>")[0]
    assert errors.split() == f"<li>{message}</li>".split()
    assert infusion.version == 1
