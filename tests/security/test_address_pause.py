"""Failed sign-ins from one address are counted across usernames: past the hourly limit, that
address cannot sign in, on the login page, the admin and the token endpoint alike."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from registry.signins import ADDRESS_PAUSED
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
OTHER_ADDRESS = "10.20.30.40"


def fail_across_usernames(failures: int, address: str = "127.0.0.1") -> None:
    """Wrong passwords for ever new usernames, each below django-axes' own limit."""
    per_username = settings.AXES_FAILURE_LIMIT - 1
    for attempt in range(failures):
        username = f"guess-{attempt // per_username}"
        body = {"username": username, "password": "wrong"}
        if attempt % 2:
            APIClient().post(TOKEN, body, format="json", REMOTE_ADDR=address)
        else:
            APIClient().post("/login/", body, REMOTE_ADDR=address)


def web_login(client, address: str = "127.0.0.1", url: str = "/login/", username="clinician"):
    return client.post(url, {"username": username, "password": PASSWORD}, REMOTE_ADDR=address)


def token_login(address: str = "127.0.0.1"):
    body = {"username": "clinician", "password": PASSWORD}
    return APIClient().post(TOKEN, body, format="json", REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_refuses_the_right_password_on_the_login_page_past_the_limit(client, clinician):
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR)

    response = web_login(client)

    assert response.status_code == 429
    assert response.templates[0].name == "registration/login.html"
    assert ADDRESS_PAUSED in response.content.decode()
    assert not signed_in(client)


def test_it_refuses_a_token_past_the_limit(clinician):
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR)

    response = token_login()

    assert response.status_code == 429
    assert response.json() == {"detail": ADDRESS_PAUSED}
    assert not AuthToken.objects.exists()


def test_it_refuses_the_admin_login_past_the_limit(client):
    User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR)

    response = web_login(client, url="/admin/login/", username="admin")

    assert response.status_code == 429
    assert not signed_in(client)


def test_another_address_still_signs_in(client, clinician):
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR)

    assert web_login(client, address=OTHER_ADDRESS).status_code == 302
    assert token_login(address=OTHER_ADDRESS).status_code == 200


def test_fewer_failures_than_the_limit_do_not_pause(client, clinician):
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR - 1)

    assert token_login().status_code == 200
    assert web_login(client).status_code == 302


def test_a_success_does_not_start_the_count_again(client, clinician):
    fail_across_usernames(settings.LOGIN_FAILURES_PER_IP_PER_HOUR - 1)
    assert token_login().status_code == 200

    fail_across_usernames(1)

    assert web_login(client).status_code == 429


@override_settings(LOGIN_FAILURES_PER_IP_PER_HOUR=0)
def test_a_limit_of_0_turns_the_pause_off(client, clinician):
    fail_across_usernames(60)

    assert web_login(client).status_code == 302
