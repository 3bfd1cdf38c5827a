"""What a browser gets when django-axes refuses a sign-in: the login page, saying why."""

from axes.helpers import get_lockout_message
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with the login form and the lockout message.

    The API's token endpoint answers a lockout itself (registry.api.views.TokenView): axes
    marks the REST framework's request there, which this middleware hook never sees.
    """
    context = {
        "form": AuthenticationForm(request),
        "locked_out": get_lockout_message(),
        "next": request.POST.get("next", ""),
    }
    return render(
        request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
