"""/api/v1/account/notifications/: the signed-in user's kinds of email, read and set."""

import pytest
from rest_framework.test import APIClient

from registry.models import NotificationPreference
from tests.clients import api_client_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/account/notifications/"
ALL_ON = dict.fromkeys(NotificationPreference.KINDS, True)


def test_every_kind_is_on_until_turned_off(owner):
    response = api_client_of(owner).get(URL)

    assert response.status_code == 200
    assert response.json() == ALL_ON


def test_patch_turns_the_kinds_named_off_and_keeps_the_others(owner):
    response = api_client_of(owner).patch(URL, {"query_opened": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == ALL_ON | {"query_opened": False}
    assert api_client_of(owner).get(URL).json() == ALL_ON | {"query_opened": False}


def test_put_sets_every_kind_and_needs_them_all(owner):
    client = api_client_of(owner)
    everything_off = dict.fromkeys(NotificationPreference.KINDS, False)

    assert client.put(URL, everything_off, format="json").json() == everything_off
    refused = client.put(URL, {"safety_signal": True}, format="json")

    assert refused.status_code == 400
    assert set(refused.json()) == {"query_opened", "overdue_digest", "import_summary"}
    assert client.get(URL).json() == everything_off


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"safety_signal": "no"}, "safety_signal", "Must be true or false, not 'no'."),
        ({"safety_signal": 0}, "safety_signal", "Must be true or false, not 0."),
        ({"query_open": False}, "query_open", "Not a kind of notification: choose among"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_changes_nothing(owner, body, field, message):
    response = api_client_of(owner).patch(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)
    assert not NotificationPreference.objects.exists()


def test_it_sets_only_the_users_own(owner, teammate, outsider):
    naming = api_client_of(outsider).patch(
        URL, {"safety_signal": False, "user": owner.pk}, format="json"
    )
    api_client_of(outsider).patch(URL, {"safety_signal": False}, format="json")

    assert naming.status_code == 400 and "user" in naming.json()
    assert api_client_of(owner).get(URL).json() == ALL_ON
    assert api_client_of(teammate).get(URL).json() == ALL_ON
    assert NotificationPreference.objects.get().user == outsider


def test_it_answers_401_without_credentials(db):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().patch(URL, {"safety_signal": False}, format="json").status_code == 401
    assert not NotificationPreference.objects.exists()
