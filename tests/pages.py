"""Steps the browser tests take on the registry's pages."""

import re

from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD


def sign_in(page: Page, username: str) -> None:
    """Signs in through the login form and waits for the list of studies it leads to."""
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()


def date_picked_in_calendar(around: Locator, box: Locator) -> None:
    """Types 5/4/2020 in a date box of a study written day-month-year, opens the calendar
    button next to it, and picks 10 April 2020 there."""
    box.fill("5/4/2020")
    button = around.get_by_role("button", name="Calendar")
    # Described by the box's label, so that a screen reader says which date it picks (an
    # admin row's box has none: its column's heading names it).
    label = box.evaluate("box => box.labels[0]?.firstChild.textContent.trim() ?? ''")
    expect(button).to_have_accessible_description(re.compile(rf"^{re.escape(label)}"))
    button.click()
    # The browser's own calendar opens on the day typed; choosing a day sets the hidden
    # date input, as Playwright does here, and the box takes it in the study's format.
    calendar = around.locator("input.date-native")
    expect(calendar).to_have_value("2020-04-05")
    calendar.fill("2020-04-10")
    expect(box).to_have_value("10/04/2020")
