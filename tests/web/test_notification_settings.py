"""/account/notifications/: each user turns each kind of email on or off, their own only."""

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import NotificationPreference
from registry.notifications import preference_of
from tests.clients import page_client_of

pytestmark = pytest.mark.django_db

URL = reverse("web:account-notifications")
ALL_ON = dict.fromkeys(NotificationPreference.KINDS, "on")


def kinds_of(user) -> dict[str, bool]:
    preference = preference_of(user)
    return {kind: getattr(preference, kind) for kind in NotificationPreference.KINDS}


def test_every_kind_is_on_until_turned_off(owner):
    html = page_client_of(owner).get(URL).content.decode()

    assert html.count('type="checkbox"') == 4
    assert html.count("checked") == 4
    assert "CRS or ICANS grade of 3 or more is recorded or computed" in html


def test_a_user_turns_one_kind_off(owner):
    response = page_client_of(owner).post(URL, ALL_ON | {"safety_signal": ""}, follow=True)

    assert "Your notification settings are saved." in response.content.decode()
    assert kinds_of(owner) == dict.fromkeys(NotificationPreference.KINDS, True) | {
        "safety_signal": False
    }
    html = page_client_of(owner).get(URL).content.decode()
    assert html.count("checked") == 3


def test_a_user_turns_it_back_on(owner):
    client = page_client_of(owner)
    client.post(URL, {})
    assert not any(kinds_of(owner).values())

    client.post(URL, ALL_ON)

    assert all(kinds_of(owner).values())


def test_it_changes_only_the_users_own_settings(owner, teammate, outsider):
    # No user is named in the form: whoever posts sets their own, and no one else's.
    page_client_of(outsider).post(URL, {"user": owner.pk})

    assert all(kinds_of(owner).values()) and all(kinds_of(teammate).values())
    assert not any(kinds_of(outsider).values())


def test_it_says_when_no_email_can_reach_the_user(owner):
    assert "has no email address" in page_client_of(owner).get(URL).content.decode()
    owner.email = "owner@hospital.example"
    owner.save()

    assert "has no email address" not in page_client_of(owner).get(URL).content.decode()


def test_it_asks_a_visitor_to_sign_in(db):
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Client().post(URL, {}).status_code == 302
    assert not NotificationPreference.objects.exists()


def test_every_page_links_to_it(owner):
    html = page_client_of(owner).get(reverse("web:study-list")).content.decode()

    assert f'href="{URL}"' in html
