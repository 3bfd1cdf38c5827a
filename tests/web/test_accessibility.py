"""Every page of our own passes axe-core at 1366 and 390 px: nothing critical, serious or
moderate (issue #21). The Django admin's and the API docs' own pages are not ours; our
template inside the admin is.

axe-core is vendored in tests/web/vendor (see its README). Each page is saved as a
screenshot under test-artifacts/screenshots/a11y-<page>-<width>.png.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import Page, expect

from registry import queries
from registry.access import membership_grant
from registry.interchange.importer import cohort_import
from registry.models import LabResult, Patient, Role, Study, ToxicityTreatment
from registry.web.sections import SECTIONS
from tests.conftest import PASSWORD, user_with_role, wait_until_the_live_server_is_done
from tests.htmx import wait_until_answered
from tests.pages import sign_in
from tests.web.conftest import SCREENSHOTS

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"
WIDTHS = {1366: 900, 390: 844}
# axe's "minor" (e.g. a redundant title) is left to judgement; these are not.
FAILING_IMPACTS = {"critical", "serious", "moderate"}

# The named routes a browser does not open as a page of its own, and where each is checked.
NOT_PAGES = {
    "healthz": "JSON for the load balancer",
    "logout": "a POST from the top bar's button",
    "web:enrolment-eligibility": "a POST whose verdict shows on the enrolment page",
    "web:patient-eligibility": "a POST whose verdict shows in the eligibility form",
    "web:query-open": "a POST from the patient page's queries",
    "web:query-answer": "a POST from the patient page's queries",
    "web:query-close": "a POST from the patient page's queries",
    "web:query-confirm": "a POST from the patient page's queries",
    "web:query-places": "the options of the query form's field box, loaded into its datalist",
    "web:casebook-verify": "a POST from the patient page's casebook",
    "web:casebook-sign": "a POST from the patient page's casebook",
    "web:patient-part": "the patient page's header, timeline, schedule and casebook, reloaded alone",
    "web:grades": "the live grades in the daily assessment form",
    "web:lab-icaht": "the live ICAHT grades in a day's lab values form",
    "web:lab-value-icaht": "the live ICAHT grades in the form of an ANC value of the lab grid",
    "web:section-show": "a card of the patient page; a plain request goes to that page",
    "analytics-dashboard-figure": "an image on the dashboard",
}
THIRD_PARTY_PREFIXES = ("admin/", "api/")
WRONG_DATE = "2021-02-31"


@dataclass(frozen=True)
class Visit:
    name: str  # the screenshot's name
    route: str  # the named route it covers
    path: str
    user: str  # "coordinator", "clinician", or "" for nobody signed in
    submit: str = ""  # a button to press before the check, to show the form's errors
    status: int = 200  # 400 for choices a page refuses, shown with their messages


def visit(
    name: str,
    route: str,
    user: str,
    *,
    query: str = "",
    submit: str = "",
    status: int = 200,
    **kwargs,
) -> Visit:
    return Visit(name, route, reverse(route, kwargs=kwargs) + query, user, submit, status)


def named_routes(patterns=None, namespace: str = "", prefix: str = "") -> set[str]:
    """Every named route of our own, namespaced, outside the admin and the API."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(THIRD_PARTY_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= named_routes(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def richest_patient(study: Study) -> Patient:
    """The patient with records in the most sections, so that each section's table shows."""
    many = [section.name for section in SECTIONS.values() if section.many]
    return max(
        study.patients.order_by("pk"),
        key=lambda patient: sum(getattr(patient, name).exists() for name in many),
    )


def section_visits(pk: int, assessment: int, lab: int) -> list[Visit]:
    """Each section's form as a page of its own; a record's edit and the confirmation of its
    deletion once, their templates being the same for every section; a lab value's edit,
    whose form is its own."""
    visits = [
        visit(f"{name}-add", "web:section-add", "clinician", pk=pk, section=name)
        if section.many
        else visit(f"{name}-edit", "web:section-edit", "clinician", pk=pk, section=name)
        for name, section in SECTIONS.items()
    ]
    item = {"pk": pk, "section": "daily_assessments", "item": assessment}
    return visits + [
        visit("daily_assessments-edit", "web:section-item-edit", "clinician", **item),
        visit("daily_assessments-delete", "web:section-item-delete", "clinician", **item),
        visit("labs-edit", "web:section-item-edit", "clinician", pk=pk, section="labs", item=lab),
        visit("labs-errors", "web:section-add", "clinician", pk=pk, section="labs", submit="Save"),
    ]


def all_visits(study: Study, patient: Patient, assessment: int, lab: int) -> list[Visit]:
    """The pages to check; `assessment` is one of the patient's daily assessments, `lab` one
    of its lab values."""
    code, pk = study.code, patient.pk
    clinician, coordinator = "clinician", "coordinator"
    return [
        visit("login", "login", ""),
        visit("login-errors", "login", "", submit="Log in"),
        visit("studies", "web:study-list", clinician),
        visit("notifications", "web:account-notifications", clinician),
        visit("patient-list", "web:patient-list", clinician, code=code),
        visit(
            "patient-list-errors",
            "web:patient-list",
            clinician,
            code=code,
            query=f"?infused_after={WRONG_DATE}",
        ),
        visit("enrol", "web:patient-enrol", clinician, code=code),
        visit("enrol-errors", "web:patient-enrol", clinician, code=code, submit="Enrol patient"),
        visit("patient", "web:patient-detail", clinician, pk=pk),
        visit("patient-coordinator", "web:patient-detail", coordinator, pk=pk),
        visit("history", "web:patient-history", clinician, pk=pk),
        *section_visits(pk, assessment, lab),
        visit(
            "infusions-errors",
            "web:section-add",
            clinician,
            pk=pk,
            section="infusions",
            submit="Save",
        ),
        visit("queries", "web:study-queries", coordinator, code=code),
        visit("follow-up", "web:follow-up", coordinator, code=code, query="?show=all"),
        visit("follow-up-clinician", "web:follow-up", clinician, code=code, query="?show=overdue"),
        visit("missing-data", "web:study-completeness", coordinator, code=code),
        visit(
            "dashboard", "analytics-dashboard", coordinator, code=code, query="?by=prior_allo_hct"
        ),
        visit(
            "dashboard-errors",
            "analytics-dashboard",
            coordinator,
            code=code,
            query=f"?cutoff={WRONG_DATE}&age_min=50&age_max=20",
            status=400,
        ),
        visit("export", "analytics-export", coordinator, code=code, query="?sex=female"),
        visit(
            "export-errors",
            "analytics-export",
            coordinator,
            code=code,
            query=f"?as_of={WRONG_DATE}",
            status=400,
        ),
        visit("admin-delete", "admin:registry_patient_delete", coordinator, object_id=pk),
        visit("admin-study", "admin:registry_study_change", coordinator, object_id=study.pk),
        # The sections' inline templates (templates/admin/registry/edit_inline) are ours.
        visit("admin-patient", "admin:registry_patient_change", coordinator, object_id=pk),
    ]


def test_the_visits_cover_every_page_of_our_own():
    """A new page is visited, or said here not to be one."""
    visited = {
        stop.route for stop in all_visits(Study(code="S"), Patient(pk=1), assessment=1, lab=1)
    }
    unchecked = named_routes() - visited - set(NOT_PAGES)
    assert unchecked == set(), (
        "visit these in all_visits, or say in NOT_PAGES why they are not pages"
    )


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations of a failing impact, one line each: rule, impact, targets."""
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{rule['id']} ({rule['impact']}): {json.dumps([node['target'] for node in rule['nodes']])}"
        for rule in found
        if rule["impact"] in FAILING_IMPACTS
    ]


def problems(page: Page, width: int) -> list[str]:
    """axe's violations, and a page wider than the screen: that one scrolls sideways whole
    (WCAG 1.4.10, which axe does not check), where only a wide table should."""
    found = axe_violations(page)
    page_width = page.evaluate("document.documentElement.scrollWidth")
    if page_width > width:
        found.append(f"the page is {page_width} px wide")
    return found


@pytest.fixture
def signed_in_page(browser, live_server) -> Iterator[Callable[[str], Page]]:
    """A page signed in as `user` (or as nobody), with axe-core loaded into every document.

    axe goes in as an init script: the pages' Content-Security-Policy refuses a script
    tag added to them, and axe must judge the page as the CSP lets it render."""
    contexts = {}

    def page_of(user: str) -> Page:
        if user not in contexts:
            context = browser.new_context(locale="en-GB", base_url=live_server.url)
            context.add_init_script(path=AXE)
            page = context.new_page()
            if user:
                sign_in(page, user)
            contexts[user] = page
        return contexts[user]

    yield page_of
    for page in contexts.values():
        page.context.close()
    wait_until_the_live_server_is_done()


def with_labs_and_treatments(patient: Patient) -> None:
    """A lab series of the kinds the grid groups, one value in another unit and one below
    detection, and two toxicity treatments on one day: the cohort's format-1 document has
    none of them."""
    for day, anc in ((-5, 2.1), (0, 1.4), (3, 0.2), (7, 0.4), (14, 1.1), (28, 1.8)):
        LabResult.objects.create(patient=patient, day=day, analyte="anc", value=anc, unit="10^9/L")
    LabResult.objects.create(patient=patient, day=3, analyte="platelets", value=45000, unit="/uL")
    LabResult.objects.create(patient=patient, day=3, analyte="crp", value=8.5, unit="mg/dL")
    LabResult.objects.create(
        patient=patient, day=0, analyte="il6", value=5, unit="pg/mL", below_detection=True
    )
    LabResult.objects.create(
        patient=patient, day=28, analyte="b_cells_pct", value=0.5, unit="%", specimen="bm"
    )
    day = patient.daily_assessments.order_by("day").first().day
    for treatment, dose in (("tocilizumab", 480), ("corticosteroid", 10)):
        ToxicityTreatment.objects.create(
            patient=patient, day=day, treatment=treatment, dose_mg=dose
        )


@pytest.fixture
def study(transactional_db) -> Study:
    """The published cohort, marked synthetic so that its banner shows on every page, with a
    clinician at every site, a coordinator, and a query open and one answered."""
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    study.is_synthetic = True
    study.save(update_fields=["is_synthetic"])
    clinician = User.objects.create_user("clinician", password=PASSWORD)
    membership_grant(user=clinician, study=study, role=Role.CLINICIAN, sites=study.sites.all())
    coordinator = user_with_role("coordinator", Role.COORDINATOR, study.sites.first())
    patient = richest_patient(study)
    with_labs_and_treatments(patient)
    for field in ("infusions[0].cells_per_kg", "last_contact_date"):
        asked = queries.query_open(
            patient=patient, field=field, question="Source document?", user=coordinator
        )
    queries.query_answer(query=asked, answer="Checked against the chart", user=clinician)
    return study


def settled(page: Page) -> None:
    """Waits for the page's images and the requests htmx sends as it loads (the history)."""
    page.wait_for_load_state("load")
    wait_until_answered(page)


def show(page: Page, stop: Visit) -> None:
    """Opens the visit's page at the wider width, with its form's errors if it asks for them."""
    page.set_viewport_size({"width": 1366, "height": 900})
    response = page.goto(stop.path)
    assert response.status == stop.status, f"{stop.path} answered {response.status}"
    settled(page)
    if stop.submit:
        page.get_by_role("button", name=stop.submit, exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        settled(page)


@pytest.mark.browser
def test_every_page_passes_axe_at_both_widths(signed_in_page, study):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    patient = richest_patient(study)
    assessment = patient.daily_assessments.order_by("pk").first().pk
    lab = patient.labs.order_by("pk").first().pk
    failures = []
    for stop in all_visits(study, patient, assessment, lab):
        page = signed_in_page(stop.user)
        show(page, stop)
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=SCREENSHOTS / f"a11y-{stop.name}-{width}.png", full_page=True)
            failures += [f"{stop.name} at {width} px: {f}" for f in problems(page, width)]
    assert failures == [], "\n".join(failures)
