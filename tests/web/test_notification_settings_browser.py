"""The notifications page in Chromium: a clinician finds it in the top bar, turns the weekly
digest off, and the page keeps it off; it passes axe-core at both widths.

Screenshots: test-artifacts/screenshots/notifications-<width>.png at 1366 and 390 px.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from registry.models import Role
from registry.notifications import preference_of
from tests import factories
from tests.conftest import user_with_role
from tests.pages import sign_in
from tests.web.test_accessibility import AXE, WIDTHS, problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinician(live_server):
    user = user_with_role("clinician", Role.CLINICIAN, factories.SiteFactory(), at_site=True)
    user.email = "clinician@hospital.example"
    user.save()
    return user


def test_a_clinician_turns_the_weekly_digest_off(page, clinician, screenshot):
    page.context.add_init_script(path=AXE)
    sign_in(page, "clinician")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    digest = page.get_by_label("Weekly digest of my site's overdue follow-up visits")
    expect(digest).to_be_checked()
    digest.uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Your notification settings are saved.")
    expect(
        page.get_by_label("Weekly digest of my site's overdue follow-up visits")
    ).not_to_be_checked()
    expect(
        page.get_by_label("Data query is opened on a patient of my site", exact=False)
    ).to_be_checked()
    preference = preference_of(clinician)
    assert (preference.overdue_digest, preference.query_opened) == (False, True)

    page.reload()
    expect(
        page.get_by_label("Weekly digest of my site's overdue follow-up visits")
    ).not_to_be_checked()
    failures = []
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(f"notifications-{width}")
        failures += [f"at {width} px: {found}" for found in problems(page, width)]
    assert failures == []


def test_a_visitor_is_sent_to_sign_in(page, live_server):
    page.goto(reverse("web:account-notifications"))

    expect(page.get_by_role("button", name="Log in")).to_be_visible()
