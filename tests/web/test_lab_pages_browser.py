"""The patient page's lab values, treatments and ICAHT grades in a browser (issue #18,
point 3): a day's values entered in their units with the converted value shown as typed,
a bad value refusing the whole day, the grid, the treatments on their day and the live
ICAHT grade with its discrepancy.

Saved as test-artifacts/screenshots/labs-<what>-<width>.png.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry import models
from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.conftest import PASSWORD
from tests.htmx import expect_settled, wait_until_answered
from tests.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)


@pytest.fixture
def patient(page: Page, live_server) -> models.Patient:
    """An infused patient, with ANC 2.0, 0.3 and 0.3 x10^9/L on days 0, 2 and 6, recorded
    early ICAHT grade 1, and tocilizumab on day 2; its clinician signed in."""
    patient = factories.PatientFactory()
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    factories.DailyAssessmentFactory(patient=patient, day=2)
    for day, anc in ((0, 2.0), (2, 0.3), (6, 0.3)):
        factories.LabResultFactory(patient=patient, day=day, analyte="anc", value=anc)
    factories.ToxicityTreatmentFactory(patient=patient, day=2, dose_mg=480)
    models.ToxicityRecord.objects.create(patient=patient, icaht_grade=1, tocilizumab=True)
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    membership_grant(user=clinician, study=patient.study, role=Role.CLINICIAN, sites=[patient.site])
    sign_in(page, "clinician")
    return patient


def open_day_form(page: Page, patient: models.Patient):
    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))
    card = page.locator("#section-labs")
    card.get_by_role("link", name="Add lab value").click()
    expect(card.locator("form.lab-day-form")).to_be_visible()
    expect_settled(card)
    return card


def test_it_enters_a_day_of_values_in_their_units(page, patient, screenshot):
    card = open_day_form(page, patient)
    card.get_by_label("Day after infusion").fill("10")
    anc = card.get_by_test_id("lab-row-anc")
    anc.get_by_label("Unit of ANC").select_option("/uL")
    # 1,500 could be one thousand five hundred or 1.5: the server refuses it as
    # ambiguous, and nothing is shown for it (it used to show 1.5/µL converted).
    anc.get_by_label("ANC", exact=True).fill("1,500")
    expect(anc.locator("output")).to_have_text("")
    anc.get_by_label("ANC", exact=True).fill("300")
    # 300/µL is 0.3 x10^9/L (1 x10^9/L = 1000/µL), shown as typed.
    expect(anc.locator("output")).to_have_text("= 0.3 10^9/L")
    crp = card.get_by_test_id("lab-row-crp")
    crp.get_by_label("CRP", exact=True).fill("4,2")
    crp.get_by_label("Unit of CRP").select_option("mg/dL")
    expect(crp.locator("output")).to_have_text("= 42 mg/L")
    il6 = card.get_by_test_id("lab-row-il6")
    il6.get_by_label("IL-6", exact=True).fill("5")
    il6.get_by_label("IL-6 below the limit of detection").check()
    # The typed ANC counts in the live ICAHT grade: severe days 2-10, grade 2.
    live = card.get_by_test_id("computed-icaht")
    expect(live).to_contain_text("Grade 2: ANC ≤500/µL for 9 days (days 2–10)")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"labs-day-form-{width}")

    card.get_by_role("button", name="Save").click()

    expect(page.locator("#section-labs .notice")).to_contain_text("3 values of day 10 saved")
    wait_until_answered(page)
    stored = {lab.analyte: (lab.value, lab.unit) for lab in patient.labs.filter(day=10)}
    assert stored == {"anc": (300, "/uL"), "crp": (4.2, "mg/dL"), "il6": (5, "pg/mL")}
    grid = page.locator("#section-labs table.lab-grid")
    expect(grid).to_contain_text("300 /uL")
    expect(grid).to_contain_text("= 0.3 10^9/L")
    expect(grid).to_contain_text("< 5 pg/mL")
    # The recorded toxicities reload: the computed grade is now 2, the recorded 1.
    expect(page.get_by_test_id("icaht-discrepancy")).to_contain_text(
        "Early ICAHT: recorded grade 1, computed grade 2"
    )


def test_it_refuses_the_whole_day_for_one_bad_value(page, patient, screenshot):
    card = open_day_form(page, patient)
    card.get_by_label("Day after infusion").fill("10")
    card.get_by_test_id("lab-row-platelets").get_by_label("Platelets", exact=True).fill("45")
    card.get_by_test_id("lab-row-b_cells_pct").get_by_label("B cells", exact=True).fill("120")

    card.get_by_role("button", name="Save").click()

    summary = page.locator("#section-labs .error-summary")
    expect(summary).to_contain_text("Nothing was saved: the value of B cells was refused")
    row = page.locator("#section-labs").get_by_test_id("lab-row-b_cells_pct")
    expect(row).to_contain_text("B cells cannot be over 100% (120%)")
    assert not patient.labs.filter(day=10).exists()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"labs-day-refused-{width}")


def test_it_shows_the_grid_the_treatments_and_the_icaht_grades(page, patient, screenshot):
    factories.LabResultFactory(patient=patient, day=2, analyte="crp", value=4.2, unit="mg/dL")
    factories.LabResultFactory(patient=patient, day=28, analyte="b_cells_pct", value=0.5,
                               unit="%", specimen="bm")  # fmt: skip
    factories.ToxicityTreatmentFactory(patient=patient, day=2, treatment="corticosteroid",
                                       dose_mg=10)  # fmt: skip

    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))

    grid = page.locator("#section-labs table.lab-grid")
    expect(grid.get_by_role("columnheader")).to_have_text(
        ["Analyte", "Day 0", "Day 2", "Day 6", "Day 28"]
    )
    for analyte, shown in (
        ("ANC", "0.3 10^9/L"),
        ("B cells, bone marrow", "0.5 %"),
        ("CRP", "= 42 mg/L"),
    ):
        header = page.get_by_role("rowheader", name=analyte, exact=True)
        expect(grid.get_by_role("row").filter(has=header)).to_contain_text(shown)
    day_two = page.locator("#section-daily_assessments tbody tr").first
    given = day_two.locator("td[data-label='Treatment'] .treatment-given")
    expect(given).to_have_text(["Tocilizumab 480 mg", "Corticosteroid 10 mg"])
    # ANC 0.3 on days 2 and 6 and nothing known after day 13: severe days 2-6, grade 1,
    # as recorded: no discrepancy.
    toxicities = page.locator("#section-toxicities")
    expect(toxicities).to_contain_text("grade 1: ANC ≤500/µL for 5 days (days 2–6)")
    expect(page.get_by_test_id("icaht-discrepancy")).to_have_count(0)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"labs-patient-{width}")


def test_an_anc_value_changed_on_the_grid_regrades_icaht_live(page, patient, screenshot):
    page.goto(reverse("web:patient-detail", kwargs={"pk": patient.pk}))
    card = page.locator("#section-labs")
    card.get_by_role("link", name="ANC on day 6: 0.3 10^9/L. Edit").click()
    expect(card.locator("form.section-form")).to_be_visible()
    expect_settled(card)
    live = card.get_by_test_id("computed-icaht")
    # As stored: ≤500/µL on days 2-6, grade 1 (registry.icaht).
    expect(live).to_contain_text("Grade 1: ANC ≤500/µL for 5 days (days 2–6)")

    # Typed, in place of the stored 0.3: 2.0 on day 6. From 300/µL on day 2 to 2000/µL on
    # day 6, day 3 is 725/µL: ≤500/µL on day 2 alone.
    card.get_by_label("ANC (absolute neutrophil count)").fill("2")
    expect(live).to_contain_text("Grade 1: ANC ≤500/µL for 1 day (day 2)")
    # 300/µL moved to day 9: days 2-9 at 300/µL, 8 days, grade 2.
    card.get_by_label("Day after infusion").fill("9")
    card.get_by_label("ANC (absolute neutrophil count)").fill("300")
    card.get_by_label("Unit").select_option("/uL")
    expect(live).to_contain_text("Grade 2: ANC ≤500/µL for 8 days (days 2–9)")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"labs-grid-value-icaht-{width}")
    wait_until_answered(page)
    assert patient.labs.get(day=6).value == 0.3
