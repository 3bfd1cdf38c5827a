"""The follow-up list and the patient page's row of timepoints in Chromium: the lists a
coordinator chases (due this month, overdue), sorting and filtering, a clinician's own
site only, each status in words, and nothing wider than a phone.

Screenshots: test-artifacts/screenshots/follow-up-<page>-<width>.png at 1366 and 390 px.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry.models import Patient, Role
from tests import factories
from tests.conftest import user_with_role
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)


@pytest.fixture
def patients(live_server) -> dict[str, Patient]:
    """The protocol's default schedule, no cut-off. Infused 28 days ago: day 28 is due
    today (its window is day 25 to 31). Infused a year ago, with nothing after day 7: day 14
    onwards is overdue. Died 10 days after the infusion: what follows is not applicable."""
    study = factories.StudyFactory(data_cutoff=None)
    boren = factories.SiteFactory(study=study)
    pumc = factories.SiteFactory(study=study, code="PUMC", name="Peking Union")
    today = timezone.localdate()
    found = {}
    for subject, site, days_ago in (
        ("DUE-1", boren, 28),
        ("LATE-1", boren, 365),
        ("PUMC-1", pumc, 200),
    ):
        patient = factories.PatientFactory(subject_id=subject, site=site, last_contact_date=today)
        factories.InfusionFactory(patient=patient, date=today - timedelta(days=days_ago))
        for day in (6, 7, 8):
            factories.DailyAssessmentFactory(patient=patient, day=day)
            factories.CarTCountFactory(patient=patient, day=day)
        found[subject] = patient
    dead = found["PUMC-1"]
    factories.FollowUpEventFactory(patient=dead, kind="death", date=today - timedelta(days=190))
    user_with_role("coordinator", Role.COORDINATOR, boren)
    user_with_role("clinician", Role.CLINICIAN, pumc, at_site=True)
    return found


def table_column(page: Page, index: int) -> list[str]:
    return page.locator(f"table.data tbody tr > :nth-child({index})").all_inner_texts()


def fits(page: Page, width: int) -> int:
    page.set_viewport_size({"width": width, "height": 844})
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_a_coordinator_chases_the_visits_due_and_overdue(page, patients, screenshot):
    sign_in(page, "coordinator")
    page.goto(reverse("web:follow-up", kwargs={"code": "HCD19"}))
    expect(page.get_by_role("link", name="Due this month")).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("table.data tbody tr")
    expect(rows.filter(has_text="DUE-1").filter(has_text="Day 28")).to_contain_text("Due")
    for width in WIDTHS:
        assert fits(page, width) <= width
        screenshot(f"follow-up-due-{width}")

    page.get_by_role("link", name="Overdue").click()
    expect(page.get_by_role("heading", name="visits")).to_be_visible()
    assert set(table_column(page, 6)) == {"! Overdue"}
    assert "LATE-1" in table_column(page, 1)
    page.get_by_role("link", name="Study id").click()
    expect(page.locator("th[aria-sort=ascending]")).to_have_text("Study id ▲")
    page.get_by_role("link", name="Study id").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Study id ▼")
    ids = table_column(page, 1)
    assert ids == sorted(ids, reverse=True)

    page.get_by_label("Site").select_option("PUMC")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile("site=PUMC"))
    assert set(table_column(page, 2)) == {"PUMC"}
    for width in WIDTHS:
        assert fits(page, width) <= width
        screenshot(f"follow-up-overdue-{width}")


def test_a_bad_filter_is_named_on_the_page(page, patients):
    sign_in(page, "coordinator")
    page.goto(
        reverse("web:follow-up", kwargs={"code": "HCD19"})
        + "?due_from=2020-03-01&due_to=2020-02-01"
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "Target date to: Give a day on or after due_from"
    )


def test_a_clinician_sees_their_own_site_only(page, patients):
    sign_in(page, "clinician")
    page.goto(reverse("web:follow-up", kwargs={"code": "HCD19"}) + "?show=all")
    expect(page.locator("table.data")).to_be_visible()
    assert set(table_column(page, 2)) == {"PUMC"}


def test_the_patient_page_shows_each_timepoint_in_words(page, patients, screenshot):
    sign_in(page, "coordinator")
    page.goto(reverse("web:patient-detail", kwargs={"pk": patients["DUE-1"].pk}))
    row = page.locator("#patient-schedule .visit")
    expect(row).to_have_count(11)
    expect(row.filter(has_text="Screening")).to_contain_text("Overdue")
    expect(row.filter(has_text="Day 7")).to_contain_text("Done")
    expect(row.filter(has_text="Day 14")).to_contain_text("Overdue")
    expect(row.filter(has_text="Day 28")).to_contain_text("Due")
    expect(row.filter(has_text="Month 3")).to_contain_text("Upcoming")
    for width in WIDTHS:
        assert fits(page, width) <= width
        page.locator("#patient-schedule").scroll_into_view_if_needed()
        screenshot(f"follow-up-patient-{width}")

    page.goto(reverse("web:patient-detail", kwargs={"pk": patients["PUMC-1"].pk}))
    expect(page.locator("#patient-schedule .visit").filter(has_text="Month 12")).to_contain_text(
        "Not applicable"
    )
    expect(page.locator("#patient-schedule .visit").filter(has_text="Month 12")).to_contain_text(
        "died"
    )
