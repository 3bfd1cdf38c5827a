"""The registry's own queries in Chromium: a temperature of 42.5 °C saved, the monitor
finds the query the registry opened in the study's list by its rule, confirms the value on
the patient page, and the dashboard counts what is left; another site's clinician sees none.

Screenshots: test-artifacts/screenshots/quality-queries-<page>.png.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from registry import services
from registry.models import DataQuery, Patient, Role
from registry.quality_rules import LOW_DOSE, UNUSUAL_TEMPERATURE
from tests import factories
from tests.conftest import user_with_role
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient(live_server) -> Patient:
    """A patient at BOREN whose day 2 was saved at 42.5 °C, and one at PUMC with a dose
    under a tenth of the ceiling: the registry has asked about each."""
    boren = factories.SiteFactory()
    pumc = factories.SiteFactory(code="PUMC", name="Peking Union")
    coordinator = user_with_role("coordinator", Role.COORDINATOR, boren)
    user_with_role("monitor", Role.MONITOR, boren)
    user_with_role("clinician", Role.CLINICIAN, pumc, at_site=True)
    hot = factories.InfusionFactory(
        patient=factories.PatientFactory(subject_id="HOT-1", site=boren), cells_per_kg=1_000_000
    ).patient
    day = factories.DailyAssessmentFactory.build(patient=hot, day=2, temperature_c=42.5)
    services.record_save(record=day, user=coordinator)
    low = factories.InfusionFactory.build(
        patient=factories.PatientFactory(subject_id="LOW-1", site=pumc), cells_per_kg=40_000
    )
    services.record_save(record=low, user=coordinator)
    return hot


def test_a_monitor_finds_and_confirms_the_registrys_query(page, patient, screenshot):
    sign_in(page, "monitor")
    page.goto(reverse("web:study-queries", args=["HCD19"]))
    page.get_by_label("Opened by").select_option(UNUSUAL_TEMPERATURE)
    page.get_by_role("button", name="Apply filters").click()

    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Highest temperature 42.5 °C on day 2")
    expect(rows.first).to_contain_text("by the registry")
    screenshot("quality-queries-list")

    rows.first.get_by_role("link", name="HOT-1").click()
    # The registry has also asked for the sections missing at the timepoints passed since
    # the factories' infusion in 2020: the temperature's query is one of several.
    hot = page.locator("#data-queries article", has_text="42.5 °C")
    expect(hot).to_contain_text("asked by the registry (rule unusual-temperature)")
    hot.get_by_role("button", name="Confirm as correct").click()

    expect(page.get_by_text("Value confirmed as correct.")).to_be_visible()
    hot = page.locator("#data-queries article", has_text="42.5 °C")
    expect(hot).to_contain_text("Confirmed as correct by monitor")
    expect(hot.get_by_role("button", name="Confirm as correct")).to_have_count(0)
    query = DataQuery.objects.get(patient=patient, rule=UNUSUAL_TEMPERATURE)
    assert query.status == DataQuery.Status.CONFIRMED

    page.goto(reverse("analytics-dashboard", args=["HCD19"]))
    counts = page.locator("#data-query-counts")
    expect(counts).to_contain_text(f"{LOW_DOSE}:")
    expect(counts).not_to_contain_text(f"{UNUSUAL_TEMPERATURE}:")
    screenshot("quality-queries-dashboard")


def test_another_sites_clinician_sees_only_their_sites_queries(page, patient):
    sign_in(page, "clinician")
    page.goto(reverse("web:study-queries", args=["HCD19"]))

    rows = page.locator("table.data tbody tr")
    expect(rows.filter(has_text="Dose 40,000 cells/kg")).to_have_count(1)
    expect(rows.filter(has_text="LOW-1").first).to_be_visible()
    expect(page.get_by_text("HOT-1")).to_have_count(0)
    expect(page.get_by_text("42.5 °C")).to_have_count(0)


def test_a_monitor_chooses_the_field_of_a_new_query_among_the_patients(page, patient):
    sign_in(page, "monitor")
    page.goto(reverse("web:patient-detail", args=[patient.pk]))
    field = page.get_by_label("Field", exact=True)
    field.focus()
    # The patient's fields are offered once the box is first used (htmx), with their values.
    dose = page.locator('#query-places option[value="infusions[0].cells_per_kg"]')
    expect(dose).to_have_count(1)
    expect(dose).to_have_text(
        "CAR-T infusions, record 1 (Humanized CD19 CAR-T on 2020-01-15): dose (CAR-positive "
        "viable cells/kg) = 1000000"
    )
    field.fill("infusions[0].cells_per_kg")
    page.get_by_label("Question").fill("Is the dose in cells/kg?")
    page.get_by_role("button", name="Open query").click()

    expect(
        page.get_by_text(
            "Query opened on CAR-T infusions, record 1: dose (CAR-positive viable cells/kg)."
        )
    ).to_be_visible()
    assert DataQuery.objects.get(patient=patient, rule="").raised_by.username == "monitor"
