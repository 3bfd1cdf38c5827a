"""Fixtures and helpers for the web pages: the clinician's role, a signed-in client, an
infused patient of a study they coordinate, an infusion's edit posted, and screenshots of
browser tests.

The headless Chromium (`browser`, `page`) is in tests/conftest.py, shared with tests/security.
"""

from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Infusion, Role, Site
from tests.factories import InfusionFactory, PatientFactory, SiteFactory
from tests.htmx import HTMX

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


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
def infused_patient(clinician):
    """Infused 15 January 2020 (the factories' day), not yet assessed for response; the
    signed-in user coordinates the study."""
    patient = PatientFactory()
    InfusionFactory(patient=patient)
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


@pytest.fixture
def screenshot(page):
    """Saves the page under test-artifacts/screenshots/<name>.png, the whole length of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        # From the top, so sticky panels sit where a reader first sees them.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take


def infusion_edited(client: Client, infusion: Infusion, **typed: str) -> HttpResponse:
    """Posts the infusion's edit form as htmx does, with 61.5 kg and 300,000 cells/kg on
    2020-01-15 but for what `typed` gives."""
    address = reverse("web:section-item-edit", args=[infusion.patient.pk, "infusions", infusion.pk])
    data = {
        "date": "2020-01-15",
        "product": "humanized_cd19",
        "weight_kg": "61.5",
        "cells_per_kg": "300000",
        "version": infusion.version,
    }
    return client.post(address, data | typed, **HTMX)
