"""In Chromium: the admin of a study set to DD/MM/YYYY shows its dates so, takes 15/10/2019
typed or a day chosen with the calendar button, and refuses an impossible date at its field
in words (issue #21, point 8). Screenshots at 1366 and 390 px under
test-artifacts/screenshots/admin-dates-*."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.choices import DateFormat
from registry.models import Patient
from tests import factories
from tests.conftest import PASSWORD
from tests.pages import date_picked_in_calendar, sign_in
from tests.web.test_export_browser import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Corrected from the source document"


@pytest.fixture
def patient(transactional_db) -> Patient:
    """Born 01/03/2000, infused 15/01/2020, an allogeneic transplant on 05/03/2020, in a
    study written day-month-year."""
    User.objects.create_superuser("administrator", password=PASSWORD)
    patient = factories.infused_in_day_month_year_study()
    factories.FollowUpEventFactory(patient=patient, kind="allo_hct", date=date(2020, 3, 5))
    return patient


def open_admin_page(page: Page, patient: Patient) -> None:
    sign_in(page, "administrator")
    page.goto(reverse("admin:registry_patient_change", args=[patient.pk]))


def save(page: Page) -> None:
    page.locator("[name=change_reason]").fill(REASON)
    page.get_by_role("button", name="Save and continue editing").click()


def test_the_admin_shows_and_reads_the_study_format(page: Page, patient):
    open_admin_page(page, patient)
    expect(page.locator("#id_birth_date")).to_have_value("01/03/2000")
    expect(page.locator("#events-0")).to_contain_text("Allogeneic HCT on 05/03/2020")
    diagnosis = page.locator("#id_diagnosis_date")
    expect(diagnosis).to_have_attribute("placeholder", "DD/MM/YYYY")

    diagnosis.fill("15/10/2019")
    save(page)

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#id_diagnosis_date")).to_have_value("15/10/2019")
    patient.refresh_from_db()
    assert patient.diagnosis_date == date(2019, 10, 15)


def test_the_admin_refuses_an_impossible_date_at_its_field(page: Page, patient):
    open_admin_page(page, patient)
    page.locator("#id_diagnosis_date").fill("31/02/2020")
    save(page)

    field = page.locator(".form-row.field-diagnosis_date")
    expect(field.locator(".errorlist")).to_have_text(
        "31/02/2020 is not a date: February 2020 has 29 days. "
        "Enter the date as DD/MM/YYYY, e.g. 15/10/2019"
    )
    expect(field.locator("label")).to_contain_text("Date of diagnosis")
    expect(page.locator("#id_diagnosis_date")).to_have_value("31/02/2020")
    screenshots(page, "admin-dates-refused")
    patient.refresh_from_db()
    assert patient.diagnosis_date is None


def test_a_refused_event_keeps_its_stored_title_and_says_the_rule_in_the_format(
    page: Page, patient
):
    open_admin_page(page, patient)
    page.locator("#id_events-0-date").fill("10/01/2020")
    save(page)

    row = page.locator("#events-0")
    expect(row.locator(".errorlist")).to_have_text("allo hct is before the infusion (15/01/2020)")
    expect(row).to_contain_text("Allogeneic HCT on 05/03/2020")
    expect(page.locator("#id_events-0-date")).to_have_value("10/01/2020")
    assert patient.events.get().date == date(2020, 3, 5)


def test_a_date_is_chosen_with_the_calendar_button_in_an_added_row(page: Page, patient):
    open_admin_page(page, patient)
    page.locator("#events-group .add-row a").click()
    row = page.locator("#events-1")
    row.locator("select[name=events-1-kind]").select_option("other_therapy")
    date_picked_in_calendar(row, row.locator("#id_events-1-date"))
    screenshots(page, "admin-dates-calendar")
    save(page)

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert sorted(event.date for event in patient.events.all()) == [
        date(2020, 3, 5),
        date(2020, 4, 10),
    ]


def test_a_new_patient_s_date_boxes_follow_the_study_chosen(page: Page, patient):
    iso_study = factories.StudyFactory(code="ISO19", date_format=DateFormat.ISO)
    factories.SiteFactory(study=iso_study, code="ISOS")
    sign_in(page, "administrator")
    page.goto(reverse("admin:registry_patient_add"))
    birth = page.locator("#id_birth_date")
    expect(birth).to_have_attribute("placeholder", "YYYY-MM-DD")
    birth.fill("2000-03-01")

    page.locator("#id_study").select_option(str(patient.study.pk))

    expect(birth).to_have_value("01/03/2000")
    expect(birth).to_have_attribute("placeholder", "DD/MM/YYYY")
    expect(page.locator("#id_birth_date_helptext")).to_contain_text("As DD/MM/YYYY")
    page.locator("#events-group .add-row a").click()
    expect(page.locator("#id_events-0-date")).to_have_attribute("placeholder", "DD/MM/YYYY")
    screenshots(page, "admin-dates-new-patient")

    page.locator("#id_study").select_option(str(iso_study.pk))

    expect(birth).to_have_value("2000-03-01")
    expect(page.locator("#id_events-0-date")).to_have_attribute("placeholder", "YYYY-MM-DD")
    # A date typed without separators, as the server reads it, follows the study too.
    birth.fill("20000302")
    page.locator("#id_study").select_option(str(patient.study.pk))
    expect(birth).to_have_value("02/03/2000")
    birth.fill("03032000")
    page.locator("#id_study").select_option(str(iso_study.pk))
    expect(birth).to_have_value("2000-03-03")


def test_the_breadcrumbs_and_the_history_name_a_record_in_the_study_format(page: Page, patient):
    event = patient.events.get()
    sign_in(page, "administrator")
    page.goto(reverse("admin:registry_followupevent_change", args=[event.pk]))
    page.locator("#id_date").fill("06/03/2020")
    save(page)

    expect(page.locator(".messagelist")).to_contain_text("“Allogeneic HCT on 06/03/2020”")
    expect(page.locator(".breadcrumbs")).to_contain_text("Allogeneic HCT on 06/03/2020")
    page.get_by_role("link", name="History").first.click()

    history = page.locator("#change-history")
    expect(history).to_contain_text("Allogeneic HCT on 05/03/2020")
    expect(history).to_contain_text("05/03/2020 → 06/03/2020")
    expect(history).not_to_contain_text("2020-03-0")
    screenshots(page, "admin-dates-history")
