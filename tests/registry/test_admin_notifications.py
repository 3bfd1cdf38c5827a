"""Notification preferences in the admin: a superuser sets anyone's; any other user of the
admin sees and sets only their own."""

import pytest
from django.urls import reverse

from registry.models import NotificationPreference
from registry.notifications import preference_save

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:registry_notificationpreference_changelist")
ADD = reverse("admin:registry_notificationpreference_add")
EVERY_KIND_ON = dict.fromkeys(NotificationPreference.KINDS, "on")


def change_url(preference: NotificationPreference) -> str:
    return reverse("admin:registry_notificationpreference_change", args=[preference.pk])


def test_a_superuser_turns_off_a_kind_for_anyone(client, admin_user, owner):
    preference = preference_save(user=owner, values={})
    client.force_login(admin_user)

    response = client.post(
        change_url(preference), {"user": owner.pk, **EVERY_KIND_ON, "overdue_digest": ""}
    )

    assert response.status_code == 302
    preference.refresh_from_db()
    assert (preference.overdue_digest, preference.safety_signal) == (False, True)


def test_a_user_sees_and_changes_only_their_own(client, owner, teammate):
    own = preference_save(user=owner, values={"import_summary": False})
    theirs = preference_save(user=teammate, values={})
    client.force_login(owner)

    listed = client.get(CHANGELIST).content.decode()
    other = client.post(change_url(theirs), {"user": teammate.pk})
    mine = client.post(change_url(own), {"user": owner.pk, "query_opened": "on"})

    assert change_url(own) in listed and change_url(theirs) not in listed
    assert other.status_code == 404
    assert mine.status_code == 302
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert (own.query_opened, own.safety_signal) == (True, False)
    assert all(getattr(theirs, kind) for kind in NotificationPreference.KINDS)


def test_an_outsider_cannot_add_one_for_another_user(client, owner, outsider):
    client.force_login(outsider)

    refused = client.post(ADD, {"user": owner.pk})
    added = client.post(ADD, {"user": outsider.pk, "safety_signal": "on"})

    assert refused.status_code == 200  # the form again, the user not among its choices
    assert "user" in refused.context["adminform"].form.errors
    assert added.status_code == 302
    assert list(NotificationPreference.objects.values_list("user__username", flat=True)) == [
        "outsider"
    ]


def test_a_clinician_of_another_site_does_not_see_anothers(client, neighbour, owner):
    preference = preference_save(user=owner, values={})
    client.force_login(neighbour)

    assert client.get(change_url(preference)).status_code == 404
    assert change_url(preference) not in client.get(CHANGELIST).content.decode()
