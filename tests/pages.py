"""Steps the browser tests take on the registry's pages."""

from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def sign_in(page: Page, username: str) -> None:
    """Signs in through the login form and waits for the list of studies it leads to."""
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Studies")).to_be_visible()
