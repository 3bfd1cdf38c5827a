"""htmx in the tests: the header its requests carry, and waiting for it in the browser tests."""

import re

from playwright.sync_api import Locator, Page, expect

# What htmx adds to each request it makes, for a test client to post as htmx would.
HTMX = {"HTTP_HX_REQUEST": "true"}


def expect_settled(swapped: Locator) -> None:
    """Wait until htmx has wired up what it swapped in: it does so as the swap settles, when
    it takes the class `htmx-added` off. A form submitted before that is posted as a plain
    page, not by htmx."""
    expect(swapped).not_to_have_class(re.compile(r"\bhtmx-added\b"))


def wait_until_answered(page: Page) -> None:
    """Wait until no htmx request is in flight, e.g. the cards a save reloads: the live
    server must have answered every request before the test's database is emptied."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
