"""What the notification tests share: users with an address, and the emails each received."""

from django.core import mail

from registry.models import Role, Site
from tests.conftest import user_with_role


def with_address(user):
    user.email = f"{user.username}@hospital.example"
    user.save(update_fields=["email"])
    return user


def addressed(username: str, role: str, site: Site, *, at_site: bool = False):
    """A user with `role` in the site's study (at that site only when `at_site`) and an
    email address."""
    return with_address(user_with_role(username, role, site, at_site=at_site))


def clinician_at(username: str, site: Site):
    return addressed(username, Role.CLINICIAN, site, at_site=True)


def inboxes() -> dict[str, list]:
    """Each address with the emails sent to it (Django's test backend keeps them)."""
    found: dict[str, list] = {}
    for message in mail.outbox:
        for to in message.to:
            found.setdefault(to, []).append(message)
    return found
