"""The patient list's filters carried to the dashboard and back (issue #21, point 2): the
patient filters, under the one name each has everywhere (registry.patient_filters)."""

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from registry.patient_filters import BY_NAME
from tests.clients import page_client_of

LIST = "/studies/HCD19/"
DASHBOARD = "/studies/HCD19/dashboard/"
FILTERED = {
    "q": "P0",
    "site": "BOREN",
    "sex": "female",
    "d30_response": "cr",
    "prior_allo_hct": "true",
    "vital_status": "alive",
}


@pytest.fixture
def client(owner) -> Client:
    return page_client_of(owner)


def link(html: str, text: str) -> str:
    """The address of the page's link with this text."""
    before = unescape(html).split(f">{text}</a>")[0]
    return before.rsplit('href="', 1)[1].split('"')[0]


def query_of(address: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(address).query).items()}


def test_the_lists_dashboard_link_carries_its_filters(client):
    html = client.get(LIST, FILTERED).content.decode()
    dashboard = link(html, "Dashboard")
    assert urlsplit(dashboard).path == DASHBOARD
    # The study id search has no dashboard field: it stays on the list.
    assert query_of(dashboard) == {
        "site": "BOREN",
        "sex": "female",
        "d30_response": "cr",
        "prior_allo_hct": "true",
        "vital_status": "alive",
    }


def test_list_to_dashboard_to_list_keeps_the_filters(client):
    dashboard = link(client.get(LIST, FILTERED).content.decode(), "Dashboard")
    response = client.get(dashboard)
    assert response.status_code == 200
    back = link(response.content.decode(), "Patients")
    assert urlsplit(back).path == LIST
    assert query_of(back) == {name: value for name, value in FILTERED.items() if name != "q"}
    assert client.get(back).status_code == 200


def test_the_dashboard_keeps_its_analysis_choices_to_itself(client):
    html = client.get(DASHBOARD, {"sex": "male", "age_min": "18", "by": "sex"}).content
    assert link(html.decode(), "Patients") == f"{LIST}?sex=male&age_min=18"


def test_a_filter_changed_in_place_moves_the_dashboard_link_with_it(client):
    html = client.get(
        LIST, {"vital_status": "dead"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="dashboard-link"' in html and 'hx-swap-oob="true"' in html
    assert query_of(link(html, "Dashboard")) == {"vital_status": "dead"}


def test_the_list_offers_every_patient_filter(client):
    form = client.get(LIST).context["filters"].form
    assert set(BY_NAME) <= set(form.fields)


def test_every_choice_of_the_list_starts_with_any(client):
    form = client.get(LIST).context["filters"].form
    for name in ("sex", "prior_allo_hct", "prior_cd22_cart", "d30_response", "vital_status"):
        assert list(form.fields[name].choices)[0] == ("", "Any"), name
