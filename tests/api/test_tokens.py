"""API tokens expire, end with a new password, and can be revoked by their holder or in the admin."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.test import APIClient

from registry.tokens import EXPIRED, TokenAuthentication

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PATIENTS = "/api/v1/patients/"
PASSWORD = "editor-password-1"
KEY = CONSTANTS.TOKEN_KEY_LENGTH  # the part of a token stored as it is, to find it by


def token_for(username: str = "editor", password: str = PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def holding(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    return holding(token).get(PATIENTS).status_code == 200


def test_it_gives_a_token_that_expires_after_api_token_ttl_days(editor):
    before = timezone.now()

    expiry = parse_datetime(token_for()["expiry"])

    ttl = timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert before + ttl <= expiry <= timezone.now() + ttl


def test_it_gives_a_new_token_at_each_request(editor):
    first, second = token_for()["token"], token_for()["token"]

    assert first != second
    assert works(first) and works(second)


def test_it_keeps_only_a_hash_of_the_token(editor):
    token = token_for()["token"]

    stored = AuthToken.objects.get(user=editor)
    assert token not in (stored.digest, stored.token_key)


def test_it_answers_401_to_an_expired_token_saying_so(editor):
    token = token_for()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    response = holding(token).get(PATIENTS)

    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}
    assert not AuthToken.objects.exists()


def test_it_still_gives_a_token_to_a_client_that_sends_its_expired_one(editor):
    expired = token_for()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    response = holding(expired).post(
        TOKEN, {"username": "editor", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert works(response.json()["token"])


def test_a_sign_in_deletes_the_users_expired_tokens_only(editor, reader):
    kept, expired = (token_for()["token"][:KEY] for _ in range(2))
    others = token_for("reader", "reader-password-1")["token"][:KEY]
    AuthToken.objects.filter(token_key__in=[expired, others]).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )

    token_for()

    left = set(AuthToken.objects.values_list("token_key", flat=True))
    assert expired not in left
    assert {kept, others} <= left
    assert AuthToken.objects.get(token_key=kept).expiry > timezone.now()


def test_it_checks_a_token_in_one_query_whatever_other_tokens_the_user_has(
    editor, django_assert_num_queries
):
    token = token_for()["token"]
    token_for()
    AuthToken.objects.exclude(token_key=token[:KEY]).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )

    with django_assert_num_queries(1):
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())

    assert user == editor


def test_it_signs_in_as_the_token_s_user_as_stored(editor):
    editor.email, editor.is_staff = "editor@example.org", True
    editor.save()
    token = token_for()["token"]

    user, auth_token = TokenAuthentication().authenticate_credentials(token.encode())

    assert auth_token == AuthToken.objects.get(token_key=token[:KEY])
    assert auth_token.expiry == AuthToken.objects.get(token_key=token[:KEY]).expiry
    assert auth_token.user is user
    assert (user.pk, user.email, user.is_staff) == (editor.pk, "editor@example.org", True)
    assert user.last_login == User.objects.get(pk=editor.pk).last_login


def test_it_refuses_a_token_whose_key_is_right_but_not_the_rest(editor):
    token = token_for()["token"]
    wrong = token[:KEY] + ("0" if token[KEY] != "0" else "1") + token[KEY + 1 :]

    assert works(token)
    assert not works(wrong)


def test_it_refuses_the_token_of_a_user_made_inactive(editor):
    token = token_for()["token"]
    editor.is_active = False
    editor.save()

    response = holding(token).get(PATIENTS)

    assert response.status_code == 401
    assert "inactive" in response.json()["detail"]


def change_password_with_set_password(client, user: User, password: str) -> None:
    user.set_password(password)
    user.save()


def change_password_in_the_admin(client, user: User, password: str) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root-pw-1"))
    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    "change", [change_password_with_set_password, change_password_in_the_admin]
)
def test_a_password_change_ends_every_token_of_the_user(client, editor, reader, change):
    tokens = [token_for()["token"], token_for()["token"]]
    other = token_for("reader", "reader-password-1")["token"]

    change(client, editor, "a-new-password-2")

    assert not any(works(token) for token in tokens)
    assert works(other)
    new = token_for(password="a-new-password-2")["token"]
    assert new not in tokens
    assert works(new)


def test_saving_the_user_without_a_new_password_keeps_the_tokens(editor):
    token = token_for()["token"]

    editor.first_name = "Ada"
    editor.save()

    assert works(token)


def test_delete_revokes_the_token_it_is_sent_with_only(editor):
    revoked, kept = token_for()["token"], token_for()["token"]

    response = holding(revoked).delete(TOKEN)

    assert response.status_code == 204
    assert holding(revoked).get(PATIENTS).status_code == 401
    assert works(kept)


def test_delete_without_a_token_answers_401(anonymous_client, editor):
    token_for()

    assert anonymous_client.delete(TOKEN).status_code == 401
    assert AuthToken.objects.count() == 1


def test_the_admin_lists_tokens_with_their_user_and_expiry_and_deletes_them(client, editor):
    token_for()
    stored = AuthToken.objects.get()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root-pw-1"))

    listing = client.get("/admin/knox/authtoken/").content.decode()
    assert "editor" in listing
    assert all(f"column-{name}" in listing for name in ("user", "created", "expiry"))

    response = client.post(
        "/admin/knox/authtoken/",
        {"action": "delete_selected", "_selected_action": [stored.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AuthToken.objects.exists()


def test_the_admin_gives_no_token_which_could_have_no_expiry(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root-pw-1"))

    assert client.get("/admin/knox/authtoken/add/").status_code == 403
    assert "/admin/knox/authtoken/add/" not in client.get("/admin/knox/authtoken/").content.decode()
