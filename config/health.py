"""Health check for load balancers and container orchestrators.

GET /healthz answers 200 {"status": "ok"} when the database runs a query and 503
{"status": "unavailable"} when it does not. It asks for no login and tells nothing about
patients or studies: whoever can reach the server may ask.

`python -m config.health` asks the web server in the same container, for the compose
healthcheck: the slim Python image has no curl.
"""

import logging
import os
import sys
import urllib.request

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database is unavailable: %s", error)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def local_server_is_healthy(port: str, allowed_hosts: str) -> bool:
    """Whether the server on this machine's `port` answers /healthz with 200."""
    # Django refuses a Host header outside ALLOWED_HOSTS, so ask as the first allowed name.
    host = allowed_hosts.split(",")[0].strip().lstrip(".")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": "localhost" if host == "*" else host},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:  # refused, timed out, or an HTTP error status such as 503
        return False


if __name__ == "__main__":
    healthy = local_server_is_healthy(
        os.environ.get("PORT", "8000"), os.environ.get("ALLOWED_HOSTS", "localhost")
    )
    sys.exit(0 if healthy else 1)
