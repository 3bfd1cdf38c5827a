"""In Chromium: the warning before leaving unsaved typing, and why a day is CRS grade 0."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect

from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Patient, Role
from tests.conftest import PASSWORD
from tests.web.test_browser import log_in, open_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"
WIDTHS = (1366, 390)


@pytest.fixture
def patient(transactional_db) -> Patient:
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=study.sites.all())
    return study.patients.order_by("subject_id").first()


def open_patient(page: Page, patient: Patient) -> None:
    page.goto(f"/patients/{patient.pk}/")
    log_in(page)
    expect(page.get_by_role("heading", name=f"Patient {patient.subject_id}")).to_be_visible()


def leave(page: Page) -> list[str]:
    """Follows the Studies link; the dialogs the browser showed on the way, each dismissed."""
    shown = []

    def dismiss(dialog) -> None:
        shown.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Studies").click()
    page.wait_for_timeout(500)
    return shown


def both_widths(page: Page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_it_warns_before_leaving_unsaved_typing(page: Page, patient):
    open_patient(page, patient)
    card = open_form(page, "daily_assessments", "Add daily assessment")
    card.get_by_label("Day after infusion").fill("40")

    assert leave(page) == ["beforeunload"]
    expect(card.get_by_label("Day after infusion")).to_have_value("40")

    card.get_by_role("link", name="Cancel").click()
    expect(card.locator("form.section-form")).to_have_count(0)
    assert leave(page) == []
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()


def test_it_submits_typing_without_a_warning(page: Page, patient):
    shown = []
    page.on("dialog", lambda dialog: shown.append(dialog.type) or dialog.dismiss())
    page.goto(f"/studies/{patient.study.code}/enrol/")
    log_in(page)
    page.get_by_label("Study id").fill("BR-099")

    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_role("heading", name="Patient BR-099")).to_be_visible()
    assert shown == []


def vasopressors_without_fever(page: Page, patient: Patient) -> Locator:
    """The daily assessment's form, typed in: a vasopressor, 37.2 °C at most."""
    open_patient(page, patient)
    card = open_form(page, "daily_assessments", "Add daily assessment")
    card.get_by_label("Day after infusion").fill("40")
    card.get_by_label("Highest temperature").fill("37.2")
    card.get_by_label("Hypotension").check()
    card.get_by_label("Vasopressors other than vasopressin").fill("1")
    return card


def test_it_says_why_vasopressors_without_fever_are_grade_0(page: Page, patient, screenshot):
    card = vasopressors_without_fever(page, patient)
    hint = card.get_by_test_id("crs-no-fever-hint")
    expect(hint).to_contain_text("ASTCT CRS needs fever (≥38.0 °C)")
    expect(card.get_by_test_id("computed-grades")).to_contain_text("grade 0: no fever")
    both_widths(page, screenshot, "grade-0-without-fever")

    hint.get_by_role("link", name="Go to “fever masked”").click()
    masked = card.get_by_label("Fever masked by antipyretic or anti-cytokine therapy")
    expect(masked).to_be_in_viewport()
    masked.check()

    expect(card.get_by_test_id("computed-grades")).to_contain_text("grade 3: one vasopressor")
    expect(hint).to_have_count(0)


def test_the_go_to_link_works_under_a_slow_click_that_ends_the_typing(page: Page, patient):
    """A person's click lasts a tenth of a second or more. Pressing the link takes the focus
    from the vasopressors field, whose change posts the grades again; the grades that come
    back are the same, and the link must still be there when the button is let go."""
    card = vasopressors_without_fever(page, patient)
    expect(card.get_by_test_id("computed-grades")).to_contain_text("grade 0: no fever")
    link = card.get_by_test_id("crs-no-fever-hint").get_by_role("link", name="Go to “fever masked”")
    link.scroll_into_view_if_needed()
    box = link.bounding_box()

    with page.expect_response(lambda response: "/grades/" in response.url):
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
    page.wait_for_timeout(300)
    page.mouse.up()

    assert page.evaluate("location.hash") == "#id_fever_masked"
    expect(
        card.get_by_label("Fever masked by antipyretic or anti-cytokine therapy")
    ).to_be_in_viewport()


def test_an_empty_enrolment_form_is_not_yet_assessed(page: Page, patient, screenshot):
    page.goto(f"/studies/{patient.study.code}/enrol/")
    log_in(page)
    verdict = page.locator("#eligibility-verdict")
    expect(verdict).to_contain_text("Not yet assessed")
    both_widths(page, screenshot, "enrol-not-yet-assessed")
