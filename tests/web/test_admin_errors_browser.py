"""In Chromium: the admin's patient page answers one wrong death date with the field's own
error and one line per section it affects, not a message per record (issue #21, point 7).
Screenshots at 1366 and 390 px under test-artifacts/screenshots/admin-death-date-*, and the
events alone as admin-death-date-events.png (the admin's tables run wider than the screen)."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.interchange.importer import cohort_import
from registry.models import Patient
from tests.conftest import PASSWORD
from tests.pages import sign_in
from tests.web.conftest import SCREENSHOTS
from tests.web.test_export_browser import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def patient(transactional_db) -> Patient:
    """P01: infused 2019-01-15, died 2019-04-20, with 11 daily assessments (days 0-10), 10
    CAR-T counts (days 0-90) and a response assessment on day 30."""
    cohort_import(data=json.loads(PUBLISHED.read_text()))
    User.objects.create_superuser("administrator", password=PASSWORD)
    return Patient.objects.get(subject_id="P01")


def test_a_wrong_death_date_is_one_message_per_section(page: Page, patient):
    sign_in(page, "administrator")
    page.goto(reverse("admin:registry_patient_change", args=[patient.pk]))
    page.locator("#id_events-0-date").fill("2019-01-10")
    page.locator("[name=change_reason]").fill("Corrected from the source document")
    page.get_by_role("button", name="Save", exact=True).click()

    died = "(day -5, 2019-01-10)"
    errors = page.locator("#events-0 .errorlist li")
    expect(errors).to_have_text(
        [
            "death is before the infusion (2019-01-15)",
            f"10 CAR-T counts would fall after the death {died}",
            f"11 daily assessments would fall after the death {died}",
            f"1 response assessment would fall after the death {died}",
        ]
    )
    expect(page.get_by_text("is after the death")).to_have_count(0)
    screenshots(page, "admin-death-date")
    page.locator("#events-group").screenshot(path=SCREENSHOTS / "admin-death-date-events.png")
