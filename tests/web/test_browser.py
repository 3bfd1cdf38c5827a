"""A clinician's day in a real browser: headless Chromium against the live server.

Each main page is saved as a screenshot under test-artifacts/screenshots/.
"""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from registry import models
from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import Role
from tests.conftest import PASSWORD
from tests.htmx import expect_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def cohort(transactional_db):
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=study.sites.all())
    return study


def follow(page: Page, link) -> None:
    """Clicks a link to another page and waits until htmx has wired that page up."""
    link.click()
    page.wait_for_load_state("load")


def log_in(page: Page) -> None:
    """By keyboard only: the cursor starts in the username, Tab moves on, Enter submits."""
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("clinician")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def enrol(page: Page, screenshot) -> None:
    follow(page, page.get_by_role("link", name="Enrol a patient"))
    page.get_by_label("Study id").fill("BR-020")
    page.get_by_label("Site").select_option(label="BOREN")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Date of birth").fill("1994-06-02")
    page.get_by_label("Date of enrolment").fill("2021-02-01")
    page.get_by_label("CD19-positive blasts").fill("98")
    page.get_by_label("Marrow blasts").fill("36")
    page.get_by_label("ECOG").fill("1")
    page.get_by_label("Adequate organ function").select_option("true")
    verdict = page.locator("#eligibility-verdict")
    expect(verdict).to_contain_text("No earlier murine CD19 CAR-T recorded")
    page.get_by_label("Date of the murine CD19 CAR-T").fill("2020-05-01")
    page.get_by_label("Best response").select_option("cr")
    page.get_by_label("Date of relapse").fill("2020-11-20")
    expect(verdict).to_contain_text("Every criterion of the protocol is met")
    screenshot("enrol")
    follow(page, page.get_by_role("button", name="Enrol patient"))
    expect(page.get_by_role("heading", name="Patient BR-020")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Patient BR-020 enrolled.")


def open_form(page: Page, section: str, button: str):
    card = page.locator(f"#section-{section}")
    card.get_by_role("link", name=button).click()
    expect(card.locator("form.section-form")).to_be_visible()
    expect_settled(card)
    return card


def save(card, expected: str) -> None:
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_contain_text(expected)


def assess(page: Page, day: int, typed: dict, crs: str, icans: str) -> None:
    """Types one day's observations and waits for the grades computed from them."""
    card = open_form(page, "daily_assessments", "Add daily assessment")
    card.get_by_label("Day after infusion").fill(str(day))
    for label, value in typed.items():
        field = card.get_by_label(label)
        if value is True:
            field.check()
        elif field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    grades = card.get_by_test_id("computed-grades")
    expect(grades).to_contain_text(crs)
    expect(grades).to_contain_text(icans)


def test_a_clinician_enters_a_patient_s_course(page: Page, cohort, screenshot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    screenshot("login")
    log_in(page)
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    screenshot("studies")

    enrol(page, screenshot)

    card = open_form(page, "lymphodepletion", "Edit")
    card.get_by_label("Start of lymphodepletion").fill("2021-02-10")
    card.get_by_label("Fludarabine").fill("30")
    card.get_by_label("Cyclophosphamide").fill("250")
    card.get_by_label("Number of days").fill("3")
    save(card, "Lymphodepletion: saved.")

    card = open_form(page, "infusions", "Add infusion")
    card.get_by_label("Date of infusion").fill("2021-02-15")
    card.get_by_label("Weight").fill("58")
    card.get_by_label("Dose").fill("240000")
    save(card, "CAR-T infusions: saved.")
    expect(card).to_contain_text("240,000 cells/kg")

    assessments = page.locator("#section-daily_assessments")
    assess(page, 1, {"Highest temperature": "38.6"}, "grade 1: fever only", "grade 0")
    save(assessments, "saved")
    typed = {
        "Highest temperature": "39.2",
        "Hypotension": True,
        "Vasopressors other than vasopressin": "1",
        "ICE score": "8",
    }
    assess(page, 2, typed, "grade 3: one vasopressor", "grade 1: ICE score 8")
    screenshot("daily-assessment")
    save(assessments, "saved")
    typed = {"Highest temperature": "38.3", "Oxygen support": "low_flow", "ICE score": "10"}
    assess(page, 3, typed, "grade 2: low-flow oxygen", "grade 0: no ICANS findings")
    save(assessments, "saved")
    table = page.locator("#section-daily_assessments table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#patient-timeline")).to_contain_text("CRS grade 3, ICANS grade 1")

    card = open_form(page, "response_assessments", "Add response assessment")
    card.get_by_label("Day after infusion").fill("30")
    card.get_by_label("Response").select_option("cr")
    card.get_by_label("Marrow blasts").fill("0.5")
    card.get_by_label(re.compile(r"^MRD\W*$")).select_option("negative")
    save(card, "Response assessments: saved.")
    expect(page.locator("#patient-header")).to_contain_text("Responder")

    card = open_form(page, "events", "Add follow-up event")
    card.get_by_label("Event").select_option("death")
    card.get_by_label("Date").fill("2021-02-01")
    card.get_by_label("Cause of death").select_option("disease")
    card.get_by_role("button", name="Save").click()
    date_errors = card.locator("#id_date_error")
    expect(date_errors).to_contain_text("Death is before the infusion (2021-02-15)")
    expect(card.get_by_label("Cause of death")).to_have_value("disease")
    screenshot("mistake")
    card.get_by_label("Date").fill("2021-07-20")
    save(card, "Follow-up events: saved.")
    expect(page.locator("#patient-header")).to_contain_text("Deceased")
    assert models.FollowUpEvent.objects.filter(patient__subject_id="BR-020").count() == 1
    screenshot("patient")

    page.set_viewport_size({"width": 768, "height": 1024})
    screenshot("patient-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})

    follow(
        page, page.get_by_role("navigation", name="Main").get_by_role("link", name="HCD19 patients")
    )
    page.get_by_label("Day-30 response").select_option("cr")
    page.get_by_label("Vital status").select_option("dead")
    results = page.locator("#patient-results")
    expect(results).to_contain_text("2 patients match")
    expect(results.get_by_role("link", name="BR-020")).to_be_visible()
    expect(page).to_have_url(re.compile(r"d30_response=cr.*vital_status=dead"))
    screenshot("patient-list")

    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Search study id").fill("BR-")
    expect(results).to_contain_text("No patients match these filters.")


def test_the_study_dashboard_draws_every_figure(page: Page, cohort, screenshot):
    page.goto(f"/studies/{cohort.code}/")
    log_in(page)
    follow(page, page.get_by_role("link", name="Dashboard"))
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    page.get_by_label("Compare survival by").select_option("prior_allo_hct")
    follow(page, page.get_by_role("button", name="Apply"))
    expect(page).to_have_url(re.compile(r"by=prior_allo_hct"))
    images = page.locator("figure img")
    expect(images).to_have_count(6)
    # Every figure has loaded and drawn: an SVG that failed would have no natural width.
    for image in images.all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("element => element.naturalWidth") > 0
    expect(page.locator("#subgroups-title")).to_be_visible()
    # Each tile says what it counts (the paper: 13 of 19 in CR/CRi at day 30).
    expect(page.locator(".key-figure").nth(1)).to_contain_text(
        "CR/CRi in 13 of 19 with a day-30 assessment"
    )
    screenshot("dashboard")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(f"dashboard-{width}")
