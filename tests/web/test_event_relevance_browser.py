"""The follow-up event's form in a browser (issue #21, point 9): a death's cause shows only
for a death, a relapse's CD19 status only for a relapse, and a cause chosen before the event
changed to a relapse is not posted with it.

Saved as test-artifacts/screenshots/event-relapse-<width>.png.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.conftest import PASSWORD
from tests.htmx import expect_settled
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def events(page: Page, live_server):
    """The follow-up events of a patient in remission since day 30, opened by its clinician."""
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    User.objects.create_user("clinician", password=PASSWORD)
    membership_grant(
        user=User.objects.get(username="clinician"),
        study=patient.study,
        role=Role.CLINICIAN,
        sites=[patient.site],
    )
    sign_in(page, "clinician")
    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))
    card = page.locator("#section-events")
    card.get_by_role("link", name="Add follow-up event").click()
    expect(card.locator("form.section-form")).to_be_visible()
    expect_settled(card)
    return patient, card


def test_it_shows_each_field_only_with_its_kind_of_event(events):
    _patient, card = events
    cd19, cause = card.get_by_label("CD19 status at relapse"), card.get_by_label("Cause of death")
    expect(cd19).to_be_hidden()
    expect(cause).to_be_hidden()

    card.get_by_label("Event").select_option("death")
    expect(cause).to_be_visible()
    expect(cd19).to_be_hidden()

    card.get_by_label("Event").select_option("relapse")
    expect(cd19).to_be_visible()
    expect(cause).to_be_hidden()


def test_it_saves_a_relapse_without_the_cause_chosen_before(events, page, screenshot):
    patient, card = events
    card.get_by_label("Event").select_option("death")
    card.get_by_label("Cause of death").select_option("disease")
    card.get_by_label("Event").select_option("relapse")
    card.get_by_label("Date").fill("2020-06-01")
    card.get_by_label("CD19 status at relapse").select_option("negative")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"event-relapse-{width}")

    card.get_by_role("button", name="Save").click()

    expect(page.locator("#section-events").get_by_role("status")).to_be_visible()
    relapse = patient.events.get()
    assert (relapse.kind, relapse.cd19, relapse.cause) == ("relapse", "negative", "")
