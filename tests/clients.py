"""Test clients signed in as a user: the API's and the pages'."""

from django.test import Client
from rest_framework.test import APIClient


def api_client_of(user, *, reason: str = "") -> APIClient:
    """The API as `user`; with `reason`, every request gives it as the reason for a change
    (X-Change-Reason), as the API requires of a change to a saved record."""
    client = APIClient()
    client.force_authenticate(user)
    if reason:
        client.credentials(HTTP_X_CHANGE_REASON=reason)
    return client


def page_client_of(user) -> Client:
    """The pages as `user`, signed in."""
    client = Client()
    client.force_login(user)
    return client
