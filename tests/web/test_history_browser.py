"""The reason for change and the History card in a real browser, under the page's CSP."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from registry import models
from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Role
from tests.conftest import PASSWORD
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def patient(transactional_db) -> models.Patient:
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=study.sites.all())
    return study.patients.get(subject_id="P16")


def test_a_change_asks_why_and_shows_in_the_history(page: Page, patient, screenshot):
    sign_in(page, "clinician")
    page.goto(f"/patients/{patient.pk}/")
    history = page.locator("#patient-history")
    expect(history).to_contain_text("Reason: cohort import")

    card = page.locator("#section-toxicities")
    card.get_by_role("link", name="Edit").click()
    card.get_by_label("Plasmapheresis").select_option("true")
    card.get_by_role("button", name="Save").click()
    expect(card.locator("#id_change_reason_error")).to_contain_text("A reason for change")
    card.get_by_label("Reason for change").fill("Plasmapheresis found in the discharge letter")
    screenshot("reason-for-change")
    card.get_by_role("button", name="Save").click()

    expect(card.get_by_role("status")).to_contain_text("Recorded toxicities: saved.")
    expect(history.locator(".history-entry").first).to_contain_text(
        "Recorded toxicity changed by clinician"
    )
    expect(history).to_contain_text("Reason: Plasmapheresis found in the discharge letter")
    screenshot("history")
