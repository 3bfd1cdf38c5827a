"""The casebook in Chromium: a monitor verifies a section, an investigator signs with the
password and the meaning shown, and a later change voids the signature on the page, the
card reloaded after the save; the missing data page, on a desktop and on a phone.

Screenshots: test-artifacts/screenshots/casebook-<page>-<width>.png.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.access import membership_grant
from registry.models import Patient, Role
from tests import factories
from tests.conftest import PASSWORD, user_with_role
from tests.htmx import expect_settled
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)


@pytest.fixture
def patient(live_server) -> Patient:
    boren = factories.SiteFactory()
    patient = factories.PatientFactory(subject_id="SIGN-1", site=boren)
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    factories.PatientFactory(subject_id="GAPS-1", site=boren)
    investigator = user_with_role("investigator", Role.CLINICIAN, boren, at_site=True)
    membership_grant(
        user=investigator, study=boren.study, role=Role.CLINICIAN, sites=[boren], investigator=True
    )
    user_with_role("monitor", Role.MONITOR, boren)
    user_with_role("coordinator", Role.COORDINATOR, boren)
    return patient


def fits(page: Page, width: int) -> int:
    page.set_viewport_size({"width": width, "height": 844})
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_a_monitor_verifies_and_an_investigator_signs(page: Page, patient, screenshot):
    sign_in(page, "monitor")
    page.goto(reverse("web:patient-detail", args=[patient.pk]))
    card = page.locator("#casebook")
    card.get_by_role("button", name="Verify CAR-T infusions").click()
    expect(page.get_by_role("status").first).to_contain_text("CAR-T infusions verified.")
    expect(page.locator("#casebook-infusions")).to_contain_text("Verified by monitor")
    page.context.clear_cookies()

    sign_in(page, "investigator")
    page.goto(reverse("web:patient-detail", args=[patient.pk]))
    card = page.locator("#casebook")
    expect(card).to_contain_text(
        "By signing: “I confirm the data of this casebook are complete and accurate”"
    )
    card.get_by_label("Your password").fill("not my password")
    card.get_by_role("button", name="Sign").click()
    expect(page.get_by_role("status").first).to_contain_text("The password is not correct")
    card.get_by_label("Your password").fill(PASSWORD)
    card.get_by_role("button", name="Sign").click()
    expect(page.get_by_role("status").first).to_contain_text("Casebook signed.")
    expect(card).to_contain_text("Signed by investigator")
    expect(page.locator("#patient-header")).to_contain_text("Signed")
    for width in WIDTHS:
        assert fits(page, width) <= width
        screenshot(f"casebook-signed-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A change after signing: the card, reloaded after the save, shows the signature voided.
    lymphodepletion = page.locator("#section-lymphodepletion")
    lymphodepletion.get_by_role("link", name="Edit").click()
    expect(lymphodepletion.locator("form.section-form")).to_be_visible()
    expect_settled(lymphodepletion)
    lymphodepletion.get_by_label("Fludarabine").fill("25")
    lymphodepletion.get_by_label("Reason for change").fill("Dose from the pharmacy record")
    lymphodepletion.get_by_role("button", name="Save").click()
    expect(lymphodepletion.get_by_role("status")).to_contain_text("saved")
    expect(card).to_contain_text("Signature voided")
    expect(card).to_contain_text("lymphodepletion changed after signing")
    expect(card.get_by_role("button", name="Sign")).to_be_visible()
    screenshot("casebook-voided-1280")


def test_a_coordinator_sees_the_missing_data_of_the_sites(page: Page, patient, screenshot):
    sign_in(page, "coordinator")
    page.goto(reverse("web:patient-list", args=["HCD19"]))
    page.get_by_role("link", name="Missing data").click()
    expect(page.get_by_role("heading", name="1 patient with required data missing")).to_be_visible()
    rows = page.locator("#missing-patients tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("GAPS-1")
    expect(rows.first).to_contain_text("6 of 6")
    expect(page.locator("#site-figures")).to_contain_text("50%")
    for width in WIDTHS:
        assert fits(page, width) <= width
        screenshot(f"casebook-missing-data-{width}")
    rows.first.get_by_role("link", name="GAPS-1").click()
    expect(page.locator("#casebook")).to_contain_text("6 of 6 required fields missing")
