"""/studies/{code}/export/: each download of the study with the page's choices applied, for
those the download endpoints let export (issue #21, point 1)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from registry.models import Role, Study
from tests.clients import page_client_of
from tests.conftest import user_with_role

PAGE = "/studies/HCD19/export/"
COMPLETE = (
    "Cohort document, JSON",
    "CDISC ODM 1.3.2, XML",
    "FHIR R4, Bundle (JSON)",
    "FHIR R4, NDJSON",
    "Patients, CSV",
    "Patients, Excel",
    "De-identified patients, CSV",
)
ANALYSIS = (
    "Patient characteristics (Table 1), CSV",
    "Patient characteristics (Table 1), Excel",
    "Treatment and outcomes (Table 2), CSV",
    "Treatment and outcomes (Table 2), Excel",
    "Analysis dataset, CSV",
)
ADAM = (
    *(
        f"{name}, {label}"
        for name in ("ADSL", "ADTTE", "ADAE")
        for label in ("SAS transport (XPT)", "Dataset-JSON", "CSV")
    ),
    "Define-XML, XML",
)


def download_links(html: str) -> dict[str, dict]:
    """Each download link of the page by its text, with its address and its query."""
    links = {}
    for href, text in re.findall(r'href="([^"]+)" download>([^<]+)</a>', html):
        url = unescape(href)
        query = parse_qs(urlsplit(url).query)
        links[unescape(text)] = {"url": url} | {key: values[0] for key, values in query.items()}
    return links


def dates_of(link: dict) -> dict:
    return {key: value for key, value in link.items() if key != "url"}


@pytest.fixture
def coordinator(owner, published) -> Client:
    return page_client_of(owner)


def test_it_gives_a_coordinator_every_file_with_the_dates_and_filters_applied(coordinator):
    html = coordinator.get(
        PAGE, {"sex": "female", "cutoff": "2021-06-30", "as_of": "2025-01-01"}
    ).content.decode()
    links = download_links(html)
    dates = {"cutoff": "2021-06-30", "as_of": "2025-01-01"}
    # The complete files' endpoints refuse patient filters: they are given the dates only.
    for name in COMPLETE:
        assert dates_of(links[name]) == dates
    for name in ANALYSIS:
        assert links[name]["sex"] == "female"
        assert (links[name]["cutoff"], links[name]["as_of"]) == ("2021-06-30", "2025-01-01")
    # The ADaM datasets take the dates, as the analysis files do, but no patient filters.
    for name in ADAM:
        assert dates_of(links[name]) == dates
    assert "these files take no patient filters" in html
    # The version the cohort export writes (registry.interchange.exporter); it said 1.
    assert "interchange format (cart-cohort, version 1.1)" in html
    assert "Patients: Sex: Female (in the analysis files only)." in html


def test_every_link_downloads_its_file(coordinator):
    html = coordinator.get(PAGE, {"sex": "female", "cutoff": "2021-06-30"}).content.decode()
    links = download_links(html)
    assert set(links) == {*COMPLETE, *ANALYSIS, *ADAM}
    for name, link in links.items():
        response = coordinator.get(link["url"])
        assert response.status_code == 200, (name, response.content[:300])
        assert "attachment" in response["Content-Disposition"]


def test_the_complete_files_are_cut_off_at_the_studys_cut_off_unless_told(coordinator):
    cutoff = Study.objects.get(code="HCD19").data_cutoff.isoformat()
    links = download_links(coordinator.get(PAGE).content.decode())
    assert links["Patients, CSV"]["cutoff"] == cutoff
    # The analysis files apply the study's cut-off by themselves.
    assert "cutoff" not in links["Treatment and outcomes (Table 2), CSV"]
    whole = download_links(coordinator.get(PAGE, {"cutoff": "none"}).content.decode())
    assert "cutoff" not in whole["Patients, CSV"]
    assert whole["Treatment and outcomes (Table 2), CSV"]["cutoff"] == "none"
    # The ADaM datasets apply the study's cut-off by themselves, as the analyses do.
    assert "cutoff" not in links["ADTTE, CSV"]
    assert whole["ADTTE, CSV"]["cutoff"] == "none"


def test_it_links_back_to_the_list_and_the_dashboard_with_its_filters(coordinator):
    html = coordinator.get(PAGE, {"d30_response": "cr", "prior_allo_hct": "false"}).content
    html = unescape(html.decode())
    assert 'href="/studies/HCD19/?prior_allo_hct=false&d30_response=cr"' in html
    assert 'href="/studies/HCD19/dashboard/?prior_allo_hct=false&d30_response=cr"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cutoff": "31/07/2021"}, "Enter the date as YYYY-MM-DD, e.g. 2019-10-15, or none"),
        ({"sex": "f"}, "Select a valid choice"),
        ({"as_of": "2999-01-01"}, "The as-recorded date cannot be after today"),
    ],
)
def test_a_bad_choice_is_a_400_saying_what_is_wrong(coordinator, query, message):
    response = coordinator.get(PAGE, query)
    assert response.status_code == 400
    content = unescape(response.content.decode())
    assert "These choices could not be applied." in content
    assert message in content
    assert " download>" not in content


@pytest.mark.parametrize("role", ["teammate", "neighbour"])
def test_it_refuses_who_reads_the_study_but_does_not_export_it(role, request, published):
    client = page_client_of(request.getfixturevalue(role))
    assert client.get(PAGE).status_code == 403
    assert client.get("/api/v1/studies/HCD19/export/patients.csv").status_code == 403
    assert ">Export</a>" not in client.get("/studies/HCD19/").content.decode()
    assert ">Export</a>" not in client.get("/studies/HCD19/dashboard/").content.decode()


def test_it_is_not_there_for_an_outsider(outsider, published):
    assert page_client_of(outsider).get(PAGE).status_code == 404


def test_it_asks_to_log_in_first(published):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_the_list_and_the_dashboard_link_a_coordinator_to_it_with_their_filters(coordinator):
    listed = unescape(coordinator.get("/studies/HCD19/", {"sex": "male"}).content.decode())
    assert f'href="{PAGE}?sex=male">Export</a>' in listed
    dashboard = coordinator.get("/studies/HCD19/dashboard/", {"sex": "male", "by": "sex"})
    assert f'href="{PAGE}?sex=male">Export</a>' in unescape(dashboard.content.decode())


def test_a_study_administrator_exports_too(published):
    administrator = user_with_role("administrator", Role.ADMIN, published.sites.first())
    client = page_client_of(administrator)
    assert client.get(PAGE).status_code == 200
    assert f'href="{PAGE}">Export</a>' in client.get("/studies/HCD19/").content.decode()
