"""Fixtures for the web pages: a signed-in clinician, and screenshots of browser tests.

The headless Chromium (`browser`, `page`) is in tests/conftest.py, shared with tests/security.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from registry.access import membership_grant
from registry.models import Role, Site
from tests.conftest import PASSWORD
from tests.factories import SiteFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def clinician(db) -> User:
    return User.objects.create_user("clinician", password=PASSWORD)


@pytest.fixture
def roles(clinician) -> Site:
    """The clinician works at the factories' default site (BOREN of HCD19)."""
    site = SiteFactory()
    membership_grant(user=clinician, study=site.study, role=Role.CLINICIAN, sites=[site])
    return site


CHANGE_REASON = "Corrected from the source document"


class ReasonGivingClient(Client):
    """Posts a reason for change with every form, as the pages ask of a change to a saved
    record, unless the test posts its own (or an empty one)."""

    def post(self, path, data=None, *args, **kwargs):
        data = {"change_reason": CHANGE_REASON} | (data or {})
        return super().post(path, data, *args, **kwargs)


@pytest.fixture
def signed_in(clinician):
    client = ReasonGivingClient()
    client.force_login(clinician)
    return client


@pytest.fixture
def screenshot(page):
    """Saves the page under test-artifacts/screenshots/<name>.png, the whole length of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        # From the top, so sticky panels sit where a reader first sees them.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take
