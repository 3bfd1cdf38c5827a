"""The dashboard at the widths of a desktop screen (issue #21, point 3): every table stays
inside its card, and no two tables overlap.

Saved as test-artifacts/screenshots/dashboard-layout-<width>.png.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.demo import synthetic_cohort, synthetic_cohort_import
from tests.conftest import user_with_role
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 1366, 1600, 1920)

# For each table: how much wider its content is than its card, and its box on the page.
TABLE_BOXES = """() => [...document.querySelectorAll('main table')].map((table) => {
  const card = table.closest('.card');
  const box = table.getBoundingClientRect();
  return {
    name: table.closest('[aria-label]')?.getAttribute('aria-label') || table.textContent.slice(0, 40),
    overflow: table.scrollWidth - card.clientWidth,
    beyondCard: box.right - card.getBoundingClientRect().right,
    box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
  };
})"""


@pytest.fixture
def dashboard(page: Page, live_server) -> Page:
    """The demonstration study's dashboard, as its coordinator sees it."""
    study = synthetic_cohort_import(data=synthetic_cohort()).study
    user_with_role("coordinator", "coordinator", study.sites.first())
    sign_in(page, "coordinator")
    page.goto(reverse("analytics-dashboard", kwargs={"code": study.code}))
    page.wait_for_load_state("load")
    return page


def overlapping(tables: list[dict]) -> list[str]:
    def apart(a: dict, b: dict) -> bool:
        return (
            a["right"] <= b["left"]
            or b["right"] <= a["left"]
            or a["bottom"] <= b["top"]
            or b["bottom"] <= a["top"]
        )

    return [
        f"{first['name']} overlaps {second['name']}"
        for index, first in enumerate(tables)
        for second in tables[index + 1 :]
        if not apart(first["box"], second["box"])
    ]


def test_it_keeps_every_table_inside_its_card_without_overlap(dashboard, screenshot):
    expect(dashboard.get_by_role("region", name="Grades that differ, table")).to_be_visible()
    problems = []
    for width in WIDTHS:
        dashboard.set_viewport_size({"width": width, "height": 900})
        tables = dashboard.evaluate(TABLE_BOXES)
        assert len(tables) > 5, "the dashboard shows its tables"
        problems += [
            f"{width} px: {table['name']} is {table['overflow']:.0f} px wider than its card"
            for table in tables
            if table["overflow"] > 0
        ]
        problems += [
            f"{width} px: {table['name']} reaches {table['beyondCard']:.0f} px past its card"
            for table in tables
            if table["beyondCard"] > 1
        ]
        problems += [f"{width} px: {problem}" for problem in overlapping(tables)]
        if width == 1366:
            screenshot("dashboard-layout-1366")
    dashboard.set_viewport_size({"width": 390, "height": 844})
    screenshot("dashboard-layout-390")
    assert problems == [], "\n".join(problems)
