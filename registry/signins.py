"""Failed sign-ins counted per network address, whatever the usernames tried.

django-axes locks one username at one address after a few failures; someone trying a few
passwords on each of many usernames never reaches that. So every failed sign-in from an
address is also counted here, in the cache (shared by all processes when REDIS_URL is
set), and once LOGIN_FAILURES_PER_IP_PER_HOUR are reached within the hour that began with
the first of them, that address cannot sign in, even with a right password, until the hour
is over. A success does not start the count again: one valid account must not let its
holder go on guessing others'. The limit is set high enough for a hospital whose staff all
come from one address; 0 turns the check off.
"""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

ADDRESS_PAUSED = (
    "Too many failed sign-ins from your network address: signing in from it is paused "
    "for up to an hour. Ask your administrator if this persists."
)
HOUR = 60 * 60


def failures_key(request: HttpRequest) -> str:
    return f"signins:failed:{get_client_ip_address(request)}"


def address_paused(request: HttpRequest) -> bool:
    limit = settings.LOGIN_FAILURES_PER_IP_PER_HOUR
    return bool(limit) and cache.get(failures_key(request), 0) >= limit


class AddressBackend:
    """Refuses every sign-in from a paused address, before any password is checked.

    It only refuses: like django-axes' backend it has no `get_user`, so that no session
    (nor the test client's force_login) is ever tied to it.

    Marks the request `signins_paused` for the login page and the token endpoint to say why
    (registry.web.lockout, registry.api.views.tokens.TokenView).
    """

    def authenticate(self, request: HttpRequest | None, **credentials) -> None:
        if request is not None and address_paused(request):
            request.signins_paused = True
            raise PermissionDenied(ADDRESS_PAUSED)
        return None


@receiver(user_login_failed, dispatch_uid="registry-signins-failed")
def failure_counted(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    if request is None or not settings.LOGIN_FAILURES_PER_IP_PER_HOUR:
        return
    key = failures_key(request)
    # The hour starts with the first failure: counting more does not extend it.
    cache.add(key, 0, timeout=HOUR)
    try:
        cache.incr(key)
    except ValueError:  # the hour ended between the two calls
        cache.set(key, 1, timeout=HOUR)
