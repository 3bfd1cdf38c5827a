"""The dashboard's and the Export page's dates in the study's format (issue #21, point 8):
typed and shown day-month-year in a study set to it, handed on in ISO to the downloads and
the other pages, and an impossible date refused at its field in words."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from registry.choices import DateFormat
from registry.models import Study
from tests.clients import page_client_of

DASHBOARD = "/studies/HCD19/dashboard/"
EXPORT = "/studies/HCD19/export/"
# The published cohort's own cut-off is 2021-07-31; its infusions run from 2019-01-15.
TYPED = {"infused_after": "15/01/2020", "cutoff": "30/06/2021"}
ISO = {"infused_after": "2020-01-15", "cutoff": "2021-06-30"}


@pytest.fixture
def day_month_year(published) -> Study:
    published.date_format = DateFormat.DAY_MONTH_YEAR
    published.save(update_fields=["date_format"])
    return published


@pytest.fixture
def coordinator(owner, day_month_year) -> Client:
    return page_client_of(owner)


def queries_of(html: str, pattern: str) -> list[dict]:
    """The queries of the links whose address matches `pattern`, each value once."""
    found = []
    for href in re.findall(r'(?:href|src)="([^"]+)"', unescape(html)):
        if re.search(pattern, href):
            query = parse_qs(urlsplit(href).query)
            found.append({name: values[0] for name, values in query.items()})
    return found


def test_the_dashboard_reads_and_shows_the_study_s_format(coordinator):
    response = coordinator.get(DASHBOARD, TYPED)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["infused_after"].value() == "15/01/2020"
    assert form["cutoff"].value() == "30/06/2021"
    assert form["cutoff"].field.widget.attrs["placeholder"] == "31/07/2021"
    html = response.content.decode()
    assert "clinical cut-off 31/07/2021" in html  # the study's own, under the title
    assert "Clinical cut-off: 30/06/2021. Data as recorded on: as it stands." in html
    assert "2021-06-30" not in re.sub(r'(href|src)="[^"]*"', "", html)


def test_the_dashboard_hands_its_dates_on_in_iso(coordinator):
    html = coordinator.get(DASHBOARD, TYPED).content.decode()

    for pattern in (r"/export/", r"/figures/", r"/analytics/tables/"):
        queries = queries_of(html, pattern)
        assert queries, pattern
        for query in queries:
            assert {name: query[name] for name in ISO} == ISO, pattern
    # The patient list takes the filters, not the analysis's dates.
    (patients,) = queries_of(html, r"^/studies/HCD19/\?")
    assert patients == {"infused_after": "2020-01-15"}


def test_a_link_in_iso_opens_the_same_selection_in_the_study_s_format(coordinator):
    typed = coordinator.get(DASHBOARD, TYPED).context
    linked = coordinator.get(DASHBOARD, ISO).context

    assert linked["form"]["infused_after"].value() == "15/01/2020"
    assert linked["form"]["cutoff"].value() == "30/06/2021"
    assert linked["key_figures"] == typed["key_figures"]
    # First infused on or after 15 Jan 2020 in tests/data/hcd19-published-cohort.json, all
    # of them before the cut-off: 10 of its 19 patients.
    assert linked["key_figures"][0]["value"] == "10"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"cutoff": "31/02/2021"},
            "cutoff",
            "31/02/2021 is not a date: February 2021 has 28 days. Enter the date as "
            "DD/MM/YYYY, e.g. 15/10/2019, or none for no cut-off",
        ),
        (
            {"as_of": "1/13/2021"},
            "as_of",
            "1/13/2021 is not a date: there is no month 13. Enter the date as DD/MM/YYYY, "
            "e.g. 15/10/2019",
        ),
        (
            {"infused_before": "June 2020"},
            "infused_before",
            "Enter the date as DD/MM/YYYY, e.g. 15/10/2019",
        ),
    ],
)
@pytest.mark.parametrize("page", [DASHBOARD, EXPORT])
def test_a_wrong_date_is_refused_at_its_field(coordinator, page, query, field, message):
    response = coordinator.get(page, query)

    assert response.status_code == 400
    html = unescape(response.content.decode())
    errors = re.search(rf'id="id_{field}_error">(.*?)</ul>', html, re.S)[1]
    assert re.findall(r"<li>(.*?)</li>", errors) == [message]
    assert "These choices could not be applied." in html


def test_the_export_page_says_its_dates_in_the_study_s_format(coordinator):
    response = coordinator.get(EXPORT, TYPED | {"as_of": "01/12/2025"})

    assert response.status_code == 200
    html = unescape(response.content.decode())
    applied = re.search(r'<ul id="export-applied">(.*?)</ul>', html, re.S)[1]
    assert "Clinical cut-off: 30/06/2021: later events" in applied
    assert "As recorded: on 01/12/2025, the data" in applied
    assert "Patients: Infused from: 15/01/2020 (in the analysis files only)" in applied
    assert "they apply the study's (31/07/2021)" in html
    for query in queries_of(html, r"/api/v1/studies/HCD19/"):
        assert query["cutoff"] == "2021-06-30"
        assert query["as_of"] == "2025-12-01"


def test_a_figure_s_caption_says_its_dates_in_the_study_s_format(coordinator, published):
    svg = coordinator.get(f"{DASHBOARD}figures/efs.svg", ISO).content.decode()
    assert "Clinical cut-off: 30/06/2021." in svg

    # The same figure for an ISO study is another image, not the one cached above.
    published.date_format = DateFormat.ISO
    published.save(update_fields=["date_format"])
    svg = coordinator.get(f"{DASHBOARD}figures/efs.svg", ISO).content.decode()
    assert "Clinical cut-off: 2021-06-30." in svg
