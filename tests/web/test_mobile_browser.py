"""The patient page and its section pages on a phone (issue #21, point 15): nothing wider
than the screen, every column and every Edit/Delete button in view, and the computed grades
beside the daily assessment's inputs; the lab grid as a card of measured days per analyte.

Saved as test-artifacts/screenshots/mobile-<page>-<width>.png, and at 1366 px.
"""

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Patient, Role
from registry.web.sections import SECTIONS
from tests.conftest import PASSWORD
from tests.pages import sign_in
from tests.web.conftest import SCREENSHOTS
from tests.web.test_accessibility import PUBLISHED, richest_patient, with_labs_and_treatments

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONES = (360, 390, 414)

# What lies beyond the screen's right or left edge: the page's own width, and each button.
OFF_SCREEN = """() => {
  const width = window.innerWidth;
  const found = [];
  if (document.scrollingElement.scrollWidth > width) {
    found.push(`the page is ${document.scrollingElement.scrollWidth} px wide`);
  }
  for (const button of document.querySelectorAll('main .button, main button')) {
    const box = button.getBoundingClientRect();
    if (box.width && (box.left < 0 || box.right > width)) {
      found.push(`${button.textContent.trim()} spans ${box.left}-${box.right} px`);
    }
  }
  for (const region of document.querySelectorAll('.section-card .table-scroll')) {
    if (region.scrollWidth > region.clientWidth) {
      found.push(`${region.getAttribute('aria-label')} hides columns to the right`);
    }
  }
  return found;
}"""


@pytest.fixture
def patient(page: Page, live_server) -> Patient:
    """The published cohort's patient with the most records, and its clinician signed in."""
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=study.sites.all())
    sign_in(page, "clinician")
    patient = richest_patient(study)
    with_labs_and_treatments(patient)
    return patient


def off_screen(page: Page, path: str, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(path)
    page.wait_for_load_state("load")
    return [f"{path} at {width} px: {problem}" for problem in page.evaluate(OFF_SCREEN)]


def test_it_fits_the_patient_page_on_a_phone(page, patient, screenshot):
    path = reverse("web:patient-detail", kwargs={"pk": patient.pk})
    problems = [problem for width in PHONES for problem in off_screen(page, path, width)]
    assert problems == [], "\n".join(problems)
    screenshot("mobile-patient-414")
    off_screen(page, path, 390)
    screenshot("mobile-patient-390")
    off_screen(page, path, 1366)
    screenshot("mobile-patient-1366")


def test_it_shows_each_value_of_a_record_under_its_column_s_name(page, patient):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))
    first = page.locator("#section-daily_assessments tbody tr").first
    icans = first.locator("td[data-label='ICANS']")
    label = icans.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"ICANS"'
    first.scroll_into_view_if_needed()
    expect(icans.locator(".grade-pill")).to_be_in_viewport(ratio=1)
    expect(first.get_by_role("link", name="Edit")).to_be_in_viewport(ratio=1)


def section_pages(patient: Patient) -> list[str]:
    assessment = patient.daily_assessments.order_by("pk").first()
    item = {"pk": patient.pk, "section": "daily_assessments", "item": assessment.pk}
    lab = {"pk": patient.pk, "section": "labs", "item": patient.labs.order_by("pk").first().pk}
    return [
        reverse(
            "web:section-add" if section.many else "web:section-edit",
            kwargs={"pk": patient.pk, "section": name},
        )
        for name, section in SECTIONS.items()
    ] + [
        reverse("web:section-item-edit", kwargs=item),
        reverse("web:section-item-delete", kwargs=item),
        reverse("web:section-item-edit", kwargs=lab),
    ]


def test_it_shows_each_lab_value_under_its_day_on_a_phone(page, patient, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))
    anc = page.locator("#section-labs tbody tr").filter(
        has=page.get_by_role("rowheader", name="ANC", exact=True)
    )
    day = anc.locator("td[data-label='Day 3']")
    label = day.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Day 3"'
    anc.scroll_into_view_if_needed()
    expect(day).to_be_in_viewport(ratio=1)
    # A day without a value of an analyte takes no room in its card.
    b_cells = page.locator("#section-labs tbody tr").filter(
        has=page.get_by_role("rowheader", name="B cells, bone marrow", exact=True)
    )
    expect(b_cells.locator("td.no-value").first).to_be_hidden()
    expect(b_cells.locator("td[data-label='Day 28']")).to_be_visible()
    screenshot("mobile-labs-390")


def test_it_fits_every_section_page_on_a_phone(page, patient):
    problems = [
        problem
        for path in section_pages(patient)
        for width in PHONES
        for problem in off_screen(page, path, width)
    ]
    assert problems == [], "\n".join(problems)


def test_it_keeps_the_computed_grades_in_view_beside_the_inputs(page, patient, screenshot):
    path = reverse("web:section-add", kwargs={"pk": patient.pk, "section": "daily_assessments"})
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    grades = page.get_by_test_id("computed-grades")
    for label, value, grade in (
        ("Highest temperature", "39", "CRS"),
        ("ICE score", "8", "ICANS"),
    ):
        field = page.get_by_label(label)
        field.scroll_into_view_if_needed()
        field.fill(value)
        box = grades.locator(".grade-box").filter(has_text=grade)
        expect(box).to_contain_text("Grade 1")
        expect(field).to_be_in_viewport(ratio=1)
        expect(grades).to_be_in_viewport(ratio=1)
    # The screen as the clinician sees it, the ICE score just above the grades.
    page.screenshot(path=SCREENSHOTS / "mobile-daily-assessment-grades-390.png")
    screenshot("mobile-daily-assessment-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot("mobile-daily-assessment-1366")
