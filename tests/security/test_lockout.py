"""Five failed sign-ins in a row lock the account, on the login page and the token endpoint."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
LOCKED = "Too many failed sign-ins: this account is locked for an hour."


def web_login(client, password: str, username: str = "clinician", url: str = "/login/"):
    return client.post(url, {"username": username, "password": password})


def token_login(client, password: str, username: str = "clinician"):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_refuses_even_the_right_password_on_the_login_page_after_five_failures(
    client, clinician
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")

    response = web_login(client, PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not signed_in(client)


def test_the_login_page_says_why_from_the_fifth_failure_on(client, clinician):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert web_login(client, "wrong").status_code == 200

    response = web_login(client, "wrong")

    assert response.status_code == 429
    assert response.templates[0].name == "registration/login.html"
    assert LOCKED in response.content.decode()


def test_it_refuses_even_the_right_password_for_a_token_after_five_failures(clinician):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token_login(client, "wrong")

    response = token_login(client, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": settings.AXES_COOLOFF_MESSAGE}
    assert not AuthToken.objects.exists()


def test_four_failures_do_not_lock(client, clinician):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        token_login(APIClient(), "wrong")

    assert token_login(APIClient(), PASSWORD).status_code == 200


def test_failures_on_the_page_and_the_api_count_together(client, clinician):
    for _ in range(3):
        web_login(client, "wrong")
    for _ in range(2):
        token_login(APIClient(), "wrong")

    assert web_login(client, PASSWORD).status_code == 429


def test_it_locks_the_admin_login_too(client):
    User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong", username="admin", url="/admin/login/")

    response = web_login(client, PASSWORD, username="admin", url="/admin/login/")

    assert response.status_code == 429
    assert not signed_in(client)


def test_a_success_starts_the_count_again(clinician):
    client = APIClient()
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            token_login(client, "wrong")
        assert token_login(client, PASSWORD).status_code == 200


def test_it_locks_only_the_username_that_failed(client, clinician):
    User.objects.create_user("coordinator", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")

    assert web_login(client, PASSWORD, username="coordinator").status_code == 302


def test_the_lock_ends_an_hour_after_the_fifth_failure(client, clinician):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")
    assert web_login(client, PASSWORD).status_code == 429

    earlier = AccessAttempt.objects.get().attempt_time - timedelta(hours=1, seconds=1)
    AccessAttempt.objects.update(attempt_time=earlier)

    assert web_login(client, PASSWORD).status_code == 302
    assert signed_in(client)
