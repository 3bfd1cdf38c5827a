"""Content-Security-Policy: sent everywhere, and no page of ours needs an exception to it."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.interchange.importer import cohort_import
from tests import factories
from tests.config.test_deployment import production_client_prints
from tests.conftest import PASSWORD
from tests.htmx import HTMX, expect_settled
from tests.pages import sign_in

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"
POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def test_production_sends_the_policy(tmp_path):
    printed = production_client_prints(
        "print(client.get('/login/', secure=True)['Content-Security-Policy'])", tmp_path=tmp_path
    )

    assert directives(printed) == directives(POLICY)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/api/v1/patients/", "/healthz", "/admin/login/"])
def test_every_answer_carries_the_policy(client, url):
    response = client.get(url)

    assert directives(response["Content-Security-Policy"]) == directives(POLICY)


@pytest.mark.django_db
def test_only_the_api_docs_allow_inline_styles_and_data_images(client, admin_user):
    client.force_login(admin_user)

    docs = directives(client.get("/api/v1/docs/")["Content-Security-Policy"])

    assert "style-src 'self' 'unsafe-inline'" in docs
    assert "img-src 'self' data:" in docs
    assert "script-src" not in " ".join(docs)  # its script is a file of its own, not inline


@pytest.mark.django_db
def test_a_saved_section_reloads_the_other_cards_and_not_itself(client, admin_user):
    """Cards listen for reload-<section>: a filter in hx-trigger would need eval()."""
    client.force_login(admin_user)
    patient = factories.PatientFactory()
    data = {"crs_max_grade": "1", "icans_max_grade": "0"}

    response = client.post(
        reverse("web:section-edit", args=[patient.pk, "toxicities"]), data, **HTMX
    )

    events = json.loads(response["HX-Trigger-After-Settle"])
    assert set(events) == {
        "courseChanged",
        "reload-patient",
        "reload-eligibility",
        "reload-daily_assessments",
    }


@pytest.fixture
def cohort(transactional_db):
    User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    return cohort_import(data=json.loads(PUBLISHED.read_text())).study


@pytest.fixture
def violations(page: Page) -> list[str]:
    """What Chromium reports the policy blocked, from any page the test opens."""
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


@pytest.mark.browser
def test_the_pages_run_under_the_policy(page: Page, cohort, violations):
    patient = cohort.patients.order_by("pk").first()
    sign_in(page, "admin")
    for url in [
        f"/studies/{cohort.code}/",
        f"/patients/{patient.pk}/",
        f"/studies/{cohort.code}/enrol/",
        "/admin/",
        f"/admin/registry/patient/{patient.pk}/change/",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")

    page.goto("/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI drew the operations

    assert violations == []


@pytest.mark.browser
def test_a_save_reloads_the_other_cards_under_the_policy(page: Page, cohort, violations):
    patient = cohort.patients.order_by("pk").first()
    sign_in(page, "admin")
    page.goto(f"/patients/{patient.pk}/")
    card = page.locator("#section-toxicities")
    card.get_by_role("link", name="Edit").click()
    expect(card.locator("form.section-form")).to_be_visible()
    expect_settled(card)
    card.get_by_label("Reason for change").fill("Checked against the source document")

    reloaded = re.compile(rf"/patients/{patient.pk}/(eligibility|daily_assessments)/$")
    with page.expect_request(lambda request: reloaded.search(request.url) is not None):
        card.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")

    expect(card.get_by_role("status")).to_contain_text("Recorded toxicities: saved.")
    assert violations == []
