"""Signing in to the API: tokens for programs, the session for the browser, 401 for no one."""

import json
import urllib.request

import pytest
from django.test import RequestFactory
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests import factories
from tests.api.conftest import full_course

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
READS = [
    "/api/v1/studies/",
    "/api/v1/studies/HCD19/",
    "/api/v1/sites/",
    "/api/v1/patients/",
    "/api/v1/patients/1/",
    "/api/v1/patients/1/infusions/",
    "/api/v1/infusions/1/",
    "/api/v1/patients/1/eligibility/",
    "/api/v1/studies/HCD19/export/",
    "/api/v1/studies/HCD19/export/patients.csv",
    "/api/v1/studies/HCD19/export/patients.xlsx",
]


@pytest.mark.parametrize("url", READS)
def test_it_answers_401_with_the_token_scheme_without_credentials(anonymous_client, url):
    full_course()
    response = anonymous_client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/patients/"),
        ("patch", "/api/v1/patients/1/"),
        ("post", "/api/v1/patients/1/events/"),
        ("delete", "/api/v1/infusions/1/"),
        ("put", "/api/v1/patients/1/genetics/"),
        ("post", "/api/v1/studies/import/"),
    ],
)
def test_it_answers_401_to_writes_without_credentials(anonymous_client, method, url):
    full_course()
    response = getattr(anonymous_client, method)(url, {}, format="json")
    assert response.status_code == 401


def test_it_gives_a_token_for_a_username_and_password(anonymous_client, editor):
    response = anonymous_client.post(
        TOKEN, {"username": "editor", "password": "editor-password-1"}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/patients/").status_code == 200


def test_it_gives_no_token_for_a_wrong_password(anonymous_client, editor):
    response = anonymous_client.post(
        TOKEN, {"username": "editor", "password": "guess"}, format="json"
    )
    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_it_names_a_missing_password(anonymous_client, editor):
    response = anonymous_client.post(TOKEN, {"username": "editor"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_it_accepts_the_token_in_the_authorization_header(editor):
    _instance, token = AuthToken.objects.create(user=editor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/patients/").status_code == 200


def test_it_answers_401_to_a_wrong_token(editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_it_accepts_the_browser_session(reader):
    client = APIClient()
    client.login(
        request=RequestFactory().post("/login/"), username="reader", password="reader-password-1"
    )
    assert client.get("/api/v1/patients/").status_code == 200


def test_it_needs_the_csrf_token_for_a_write_in_a_session(editor):
    factories.SiteFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.login(
        request=RequestFactory().post("/login/"), username="editor", password="editor-password-1"
    )
    body = {"study": "HCD19", "site": "BOREN", "study_id": "N01"}
    response = client.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_it_serves_pages_of_patients_over_http(live_server, transactional_db, editor, roles):
    for _ in range(5):
        full_course()
    request = urllib.request.Request(
        f"{live_server.url}{TOKEN}",
        data=json.dumps({"username": "editor", "password": "editor-password-1"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["token"]
    url, seen = f"{live_server.url}/api/v1/patients/?page_size=2", []
    while url:
        page = get_json(url, token)
        seen += [patient["study_id"] for patient in page["results"]]
        url = page["next"]
    assert len(seen) == 5
    assert len(set(seen)) == 5
