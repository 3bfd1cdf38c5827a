"""What a browser gets when a sign-in is refused before its password is checked: the login
page, saying why (django-axes' lockout of a username, or registry.signins' pause of an
address)."""

from collections.abc import Callable

from axes.helpers import get_lockout_message
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.signins import ADDRESS_PAUSED


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with the login form and the lockout message.

    The API's token endpoint answers a lockout itself (registry.api.views.tokens.TokenView):
    axes marks the REST framework's request there, which this middleware hook never sees.
    """
    return refused_login(request, get_lockout_message())


def refused_login(request: HttpRequest, reason: str) -> HttpResponse:
    context = {
        "form": AuthenticationForm(request),
        "locked_out": reason,
        "next": request.POST.get("next", ""),
    }
    return render(
        request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


class AddressPausedMiddleware:
    """The login page (or the admin's) refused by registry.signins.AddressBackend: 429."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "signins_paused", False):
            return refused_login(request, ADDRESS_PAUSED)
        return response
