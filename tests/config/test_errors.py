"""config.errors: NUL characters in addresses and queries, and Django's own error answers
under /api/ as JSON."""

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.clients import api_client_of, page_client_of

pytestmark = pytest.mark.django_db

NUL_REFUSED = "Must not contain a NUL character (%00)."


@pytest.mark.parametrize(
    "path",
    [
        "/studies/%00/",
        "/studies/%00/dashboard/",
        "/studies/%00/queries/",
        "/studies/%00/enrol/",
        "/studies/HC%00D19/",
    ],
)
def test_a_page_whose_address_holds_nul_is_not_found(owner, path):
    response = page_client_of(owner).get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/studies/%00/", "/api/v1/studies/%00/export/"])
def test_an_api_address_holding_nul_is_not_found_in_json(owner, path):
    response = api_client_of(owner).get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/patients/?search=%00", "search"),
        ("/api/v1/studies/?code=HC%00D19", "code"),
        ("/api/v1/queries/?site=%00", "site"),
        ("/api/v1/studies/HCD19/analytics/survival/?site=%00", "site"),
    ],
)
def test_a_query_parameter_holding_nul_is_a_400_naming_it(owner, path, name):
    factories.PatientFactory()

    response = api_client_of(owner).get(path)

    assert response.status_code == 400
    assert response.json() == {name: [NUL_REFUSED]}


@pytest.mark.parametrize(
    ("header", "name"),
    [("HTTP_AUTHORIZATION", "Authorization"), ("HTTP_X_CHANGE_REASON", "X-Change-Reason")],
)
def test_a_header_holding_nul_is_a_400_naming_it(header, name):
    response = APIClient().get("/api/v1/studies/", **{header: "Token ab\x00c"})

    assert response.status_code == 400
    assert response.json() == {name: [NUL_REFUSED]}


def test_a_page_s_query_parameter_holding_nul_is_a_400_naming_it(owner):
    factories.PatientFactory()

    response = page_client_of(owner).get("/studies/HCD19/?search=%00")

    assert response.status_code == 400
    assert f"search: {NUL_REFUSED}" in response.text


def test_an_unknown_api_address_is_a_json_404(owner):
    response = api_client_of(owner).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_is_an_html_404(owner):
    response = page_client_of(owner).get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
