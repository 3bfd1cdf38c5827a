"""In Chromium: a study set to DD/MM/YYYY, a date typed that way and one chosen with the
calendar button, and a dose entered with its unit (issue #21, points 8 and 12). Screenshots
of the changed forms at 1366 and 390 px under test-artifacts/screenshots/."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry import services
from registry.access import membership_grant
from registry.models import Patient, Role
from tests import factories
from tests.conftest import PASSWORD
from tests.pages import date_picked_in_calendar
from tests.web.test_browser import open_form, save
from tests.web.test_form_hints_browser import both_widths, open_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(transactional_db) -> Patient:
    """Enrolled 02/01/2020, infused 15/01/2020, last seen 01/09/2020."""
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    patient = factories.infused_in_day_month_year_study()
    membership_grant(user=clinician, study=patient.study, role=Role.CLINICIAN, sites=[patient.site])
    return patient


def reloaded_after_save(page: Page, shown: str, in_history: str = "") -> None:
    """The cards that follow the course have reloaded (before the test's database goes)."""
    expect(page.locator("#patient-timeline")).to_contain_text(shown)
    expect(page.locator("#patient-history")).to_contain_text(in_history or shown)


def test_a_date_is_typed_in_the_study_format(page: Page, patient, screenshot):
    open_patient(page, patient)
    expect(page.locator("#patient-header")).to_contain_text("Enrolled 02/01/2020")
    card = open_form(page, "events", "Add follow-up event")
    card.get_by_label("Event").select_option("other_therapy")
    date_box = card.locator("#id_date")
    expect(date_box).to_have_attribute("placeholder", "DD/MM/YYYY")

    date_box.fill("31/02/2020")
    card.get_by_role("button", name="Save").click()
    expect(card.locator("#id_date_error")).to_contain_text(
        "31/02/2020 is not a date: February 2020 has 29 days. "
        "Enter the date as DD/MM/YYYY, e.g. 15/10/2019"
    )
    both_widths(page, screenshot, "dates-refused")
    card.locator("#id_date").fill("20/03/2020")
    save(card, "Follow-up events: saved.")

    expect(card.get_by_role("row", name="20/03/2020")).to_be_visible()
    reloaded_after_save(page, "20/03/2020")
    assert patient.events.get().date.isoformat() == "2020-03-20"


def test_a_date_is_chosen_with_the_calendar_button(page: Page, patient, screenshot):
    open_patient(page, patient)
    card = open_form(page, "events", "Add follow-up event")
    card.get_by_label("Event").select_option("other_therapy")
    date_picked_in_calendar(card, card.locator("#id_date"))

    both_widths(page, screenshot, "dates-calendar")
    save(card, "Follow-up events: saved.")
    reloaded_after_save(page, "10/04/2020")
    assert patient.events.get().date.isoformat() == "2020-04-10"


def test_a_dose_is_entered_with_its_unit(page: Page, patient, screenshot):
    open_patient(page, patient)
    card = open_form(page, "infusions", "Edit")
    expect(card.get_by_label("Date of infusion")).to_have_value("15/01/2020")
    card.get_by_label("Dose").fill("1,5")
    card.get_by_label("Unit", exact=True).select_option(label="×10⁶/kg")
    card.get_by_label("Reason for change").fill("Dose entered in its unit")
    both_widths(page, screenshot, "dose-unit")

    save(card, "CAR-T infusions: saved.")

    expect(card).to_contain_text("1,500,000 cells/kg")
    reloaded_after_save(page, "1,500,000 cells/kg", "240000 → 1500000")
    assert patient.infusions.get().cells_per_kg == 1_500_000


def test_an_edit_conflict_says_when_in_the_study_format(page: Page, patient, screenshot):
    open_patient(page, patient)
    card = open_form(page, "infusions", "Edit")
    theirs = patient.infusions.get()
    theirs.lot = "L-7"
    services.record_save(record=theirs, user=None, reason="Lot from the bag label")
    changed_at = timezone.localtime(theirs.history.first().history_date)

    card.get_by_label("Weight (kg)").fill("61.5")
    card.get_by_label("Reason for change").fill("Re-weighed on the day")
    card.get_by_role("button", name="Save").click()

    expect(card).to_contain_text(f"This record was changed at {changed_at:%d/%m/%Y %H:%M} UTC")
    expect(card.get_by_label("Weight (kg)")).to_have_value("61.5")
    both_widths(page, screenshot, "dates-edit-conflict")
