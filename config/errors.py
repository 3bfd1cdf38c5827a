"""Error answers the views never reach: JSON under /api/, Django's pages elsewhere.

- A request whose address, query or headers hold a NUL character (%00) is refused before any view
  runs: PostgreSQL cannot store or compare text with NUL in it, so a look-up with one
  would fail as a server error. In the address it is a 404 (no such page); in a query
  parameter or a header, a 400 naming it.
- Under /api/, a 400, 403, 404 or 500 that Django answers itself (an unknown address, the
  middleware above) is JSON, `{"detail": "..."}`, as the API's own errors are.
"""

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views import defaults

from registry.jsontext import nul_refusal

API_PREFIX = "/api/"
NUL = "\x00"
NUL_REFUSED = nul_refusal("%00")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info:
            raise Http404("No such address")
        refused = {
            name: [NUL_REFUSED]
            for name, values in request.GET.lists()
            if NUL in name or any(NUL in value for value in values)
        }
        # A header is compared or stored too: a token looked up, a reason kept.
        refused |= {name: [NUL_REFUSED] for name, value in request.headers.items() if NUL in value}
        if refused:
            return nul_refused(request, refused)
        return self.get_response(request)


def nul_refused(request: HttpRequest, refused: dict[str, list[str]]) -> HttpResponse:
    if is_api(request):
        return JsonResponse(refused, status=400)
    lines = (f"{name}: {' '.join(messages)}" for name, messages in refused.items())
    return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


def _answer(status: int, detail: str, page: Callable) -> Callable:
    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if is_api(request):
            return JsonResponse({"detail": detail}, status=status)
        return page(request) if exception is None else page(request, exception)

    return handler


bad_request = _answer(400, "Bad request.", defaults.bad_request)
permission_denied = _answer(
    403, "You do not have permission to do this.", defaults.permission_denied
)
page_not_found = _answer(404, "Not found.", defaults.page_not_found)
server_error = _answer(500, "Server error: the request was not completed.", defaults.server_error)
