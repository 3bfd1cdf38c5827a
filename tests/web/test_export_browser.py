"""A coordinator downloads from the Export page in a real browser (issue #21, points 1 and
2): headless Chromium against the live server, signed in by the session alone.

The Export page is saved as screenshots under test-artifacts/screenshots/ at 1366 and 390 px.
"""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from registry.interchange.importer import cohort_import
from registry.models import Role
from tests.conftest import user_with_role
from tests.pages import sign_in
from tests.web.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def coordinator(transactional_db) -> str:
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    user_with_role("coordinator", Role.COORDINATOR, study.sites.first())
    return "coordinator"


def screenshots(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_coordinator_goes_from_a_filtered_list_to_a_download(page: Page, coordinator):
    sign_in(page, coordinator)
    page.goto("/studies/HCD19/?sex=female")
    page.get_by_role("link", name="Export", exact=True).click()
    expect(page.get_by_role("heading", name="Export", exact=True)).to_be_visible()
    expect(page.get_by_label("Sex")).to_have_value("female")
    screenshots(page, "export")

    link = page.get_by_role("link", name="Treatment and outcomes (Table 2), CSV")
    expect(link).to_have_attribute("href", re.compile(r"sex=female.*format=csv"))
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    assert "Treatment" in Path(download.path()).read_text(encoding="utf-8-sig")

    # The browser's session is all the endpoint needs; it answers in its own type.
    workbook = page.request.get(
        page.get_by_role("link", name="Patients, Excel").get_attribute("href")
    )
    assert workbook.ok
    assert workbook.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    csv = page.request.get(link.get_attribute("href"))
    assert csv.headers["content-type"].startswith("text/csv")
