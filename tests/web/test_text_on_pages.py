"""Text a form cannot keep: a character the registry cannot store or export (a control
character, as a word processor's line break pastes one) is refused beside its field, and
nothing is saved."""

import pytest

from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.web.conftest import infusion_edited


@pytest.fixture
def infusion(clinician):
    infusion = factories.InfusionFactory(patient=factories.PatientFactory(), lot="SYN-1")
    membership_grant(user=clinician, study=infusion.patient.study, role=Role.COORDINATOR)
    return infusion


def test_it_refuses_a_control_character_beside_its_field(signed_in, infusion):
    # A vertical tab (U+000B): a line break pasted from a word processor.
    html = infusion_edited(signed_in, infusion, lot="SYN-1\x0b2").content.decode()

    infusion.refresh_from_db()
    assert '<ul class="field-errors" id="id_lot_error">' in html
    assert "Must not contain an invisible control character (\\u000b)." in html
    assert (infusion.lot, infusion.version) == ("SYN-1", 1)


def test_it_keeps_line_breaks_and_tabs(signed_in, infusion):
    infusion_edited(signed_in, infusion, lot="SYN-1\tA")

    infusion.refresh_from_db()
    assert infusion.lot == "SYN-1\tA"
