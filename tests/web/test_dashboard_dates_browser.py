"""In Chromium: the dashboard and the Export page of a study set to DD/MM/YYYY take their
dates typed, pasted or chosen with the calendar button in that format, refuse an impossible
one at its field, and say the dates they applied in it (issue #21, point 8). Screenshots at
1366 and 390 px under test-artifacts/screenshots/dashboard-dates-* and export-dates-*."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from registry.choices import DateFormat
from registry.interchange.importer import cohort_import
from registry.models import Role
from tests.conftest import user_with_role
from tests.pages import sign_in
from tests.web.test_export_browser import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def coordinator(transactional_db) -> str:
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    study.date_format = DateFormat.DAY_MONTH_YEAR
    study.save(update_fields=["date_format"])
    user_with_role("coordinator", Role.COORDINATOR, study.sites.first())
    return "coordinator"


def test_the_dashboard_s_dates_are_typed_and_shown_day_month_year(page: Page, coordinator):
    sign_in(page, coordinator)
    page.goto("/studies/HCD19/dashboard/")
    expect(
        page.get_by_text(re.compile(r"^Humanized CD19 .* clinical cut-off 31/07/2021"))
    ).to_be_visible()
    expect(page.locator("#follow-up-completeness")).to_contain_text(
        "up to the clinical cut-off 31/07/2021"
    )
    cutoff = page.get_by_label("Clinical cut-off")
    expect(cutoff).to_have_attribute("placeholder", "31/07/2021")

    cutoff.fill("31/02/2021")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#id_cutoff_error")).to_have_text(
        "31/02/2021 is not a date: February 2021 has 28 days. Enter the date as DD/MM/YYYY, "
        "e.g. 15/10/2019, or none for no cut-off"
    )
    expect(page.locator("img")).to_have_count(0)
    screenshots(page, "dashboard-dates-refused")

    page.get_by_label("Clinical cut-off").fill("30/06/2021")
    infused_from = page.get_by_label("Infused from")
    infused_from.fill("1/1/2020")
    # The calendar button opens the browser's own picker on the day typed; choosing a day
    # sets its hidden date input, as Playwright does here.
    page.locator(".field", has=infused_from).get_by_role("button", name="Calendar").click()
    calendar = page.locator(".field", has=infused_from).locator("input.date-native")
    expect(calendar).to_have_value("2020-01-01")
    calendar.fill("2020-01-15")
    expect(infused_from).to_have_value("15/01/2020")
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"infused_after=15%2F01%2F2020"))
    expect(page.get_by_label("Infused from")).to_have_value("15/01/2020")
    expect(page.get_by_label("Clinical cut-off")).to_have_value("30/06/2021")
    expect(page.locator(".figure-table", has_text="Clinical cut-off: 30/06/2021.")).to_have_count(2)
    expect(page.get_by_role("link", name="CSV").first).to_have_attribute(
        "href", re.compile(r"infused_after=2020-01-15.*cutoff=2021-06-30")
    )
    screenshots(page, "dashboard-dates")

    page.get_by_role("link", name="Export", exact=True).click()
    expect(page.get_by_label("Clinical cut-off")).to_have_value("30/06/2021")
    expect(page.get_by_label("Infused from")).to_have_value("15/01/2020")
    applied = page.locator("#export-applied")
    expect(applied).to_contain_text("Clinical cut-off: 30/06/2021")
    expect(applied).to_contain_text("Infused from: 15/01/2020")
    expect(page.get_by_role("link", name="Cohort document, JSON")).to_have_attribute(
        "href", re.compile(r"cutoff=2021-06-30")
    )
    screenshots(page, "export-dates")
