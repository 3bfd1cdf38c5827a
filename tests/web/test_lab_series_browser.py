"""The dashboard's lab series in Chromium: the analyte chosen among the analysis choices,
its figure drawn, the table of the plotted numbers under it, and the page axe-clean at
1366 and 390 px.

Saved as test-artifacts/screenshots/dashboard-lab-series-<width>.png.
"""

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.models import Role
from tests import factories
from tests.conftest import user_with_role
from tests.pages import sign_in
from tests.web.test_accessibility import AXE, WIDTHS, problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Six patients' IL-6 (pg/mL) on the days of a cytokine panel: patient k has k times these,
# and patient 1 is below detection (limit 2 pg/mL) at baseline.
IL6_BY_DAY = {0: 3.0, 1: 40.0, 3: 150.0, 7: 60.0, 14: 10.0}
PATIENTS = 6


@pytest.fixture
def study(transactional_db):
    site = factories.SiteFactory()
    for number in range(1, PATIENTS + 1):
        patient = factories.PatientFactory(
            site=site, subject_id=f"L{number:02d}", last_contact_date=date(2021, 12, 1)
        )
        factories.InfusionFactory(patient=patient, date=date(2021, 7, 1))
        for day, level in IL6_BY_DAY.items():
            below = number == 1 and day == 0
            factories.LabResultFactory(
                patient=patient,
                day=day,
                analyte="il6",
                value=2.0 if below else level * number,
                unit="pg/mL",
                below_detection=below,
            )
        factories.LabResultFactory(patient=patient, day=7, analyte="anc", value=0.3 * number)
    user_with_role("coordinator", Role.COORDINATOR, site)
    return site.study


@pytest.fixture
def dashboard(page: Page, study) -> Page:
    page.context.add_init_script(path=AXE)
    sign_in(page, "coordinator")
    page.goto(reverse("analytics-dashboard", kwargs={"code": study.code}))
    page.wait_for_load_state("load")
    return page


def test_it_draws_the_analyte_chosen_with_its_table(dashboard, screenshot):
    card = dashboard.locator("#figure-labs")
    # ANC first: one day only, so no line, and the table says the numbers.
    expect(card).to_contain_text("too few to draw a median")
    dashboard.get_by_label("Lab series").select_option("il6")
    dashboard.get_by_role("button", name="Apply").click()
    dashboard.wait_for_load_state("load")
    card.scroll_into_view_if_needed()  # the figure loads lazily
    image = card.get_by_role("img", name="Lab series: IL-6 by day")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    table = card.get_by_role("region", name="IL-6 by day, table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(IL6_BY_DAY))
    # Day 1, by hand: 40, 80, ..., 240 pg/mL; median (120 + 160) / 2 = 140, R quantile()
    # 25% 90 and 75% 190.
    expect(rows.nth(1)).to_contain_text("140")
    expect(rows.nth(1)).to_contain_text("90.0–190")
    # Day 0: patient 1 below detection counts as 0.
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("1")
    for width, height in WIDTHS.items():
        dashboard.set_viewport_size({"width": width, "height": height})
        card.scroll_into_view_if_needed()
        screenshot(f"dashboard-lab-series-{width}")
        assert problems(dashboard, width) == [], f"at {width} px"
