"""The CPU time one request of the load test's mix costs in process, answered from the cache.

    DATABASE_URL=postgres://... python -m benchmarks.request_cpu [--patients 1000]
        [--requests 300] [--profile KIND] [--keep]

What a gunicorn worker spends on a request whose answer is cached: the WSGI handler,
every middleware, the sign-in with an API token, the access rules, the cache and data
version look-ups, the answer written out. The requests are those of the load test
(benchmarks.load.request_mix) as its coordinator asks them, with its headers, under the
production settings (config.settings.production) as gunicorn runs them. Each address is
asked once unmeasured (its answer cached), then the same addresses again, timed: the CPU
seconds of this process (time.process_time), which leave out the database's and Redis's
own. The cache is a Redis server of the benchmark's own, as the load test's (`--cache
locmem`: this process's memory). `--profile KIND` prints the functions taking the most CPU time in
that kind of request (cProfile), instead of the table.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from wsgiref.util import setup_testing_defaults

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from benchmarks.load import HEADERS, MIX, redis_or_not, request_mix
from benchmarks.scratch import coordinator_token, scratch_database, synthetic_study

PRODUCTION = "config.settings.production"

ROUNDS = 5  # the timed requests of a kind, in rounds: the median round's CPU per request


def environ(address: str, token: str) -> dict:
    """The WSGI environment of a GET of `address` as the load test's wrk sends it."""
    path, _, query = address.partition("?")
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in HEADERS.items()}
    request = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {token}",
        **headers,
    }
    setup_testing_defaults(request)
    return request


def asked(application, request: dict) -> None:
    """One request through the WSGI handler, its answer read whole, as gunicorn does."""

    def start_response(status: str, headers: list, exc_info=None) -> None:
        if not status.startswith("200"):
            raise SystemExit(f"{request['PATH_INFO']}?{request['QUERY_STRING']}: {status}")

    response = application(request, start_response)
    try:
        for _chunk in response:
            pass
    finally:
        response.close()


def cpu_per_request(application, requests: list[dict]) -> float:
    """The median over ROUNDS rounds of the CPU seconds a request of `requests` took."""
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for request in requests:
            asked(application, request)
        rounds.append((time.process_time() - started) / len(requests))
    return statistics.median(rounds)


def kind_requests(code: str, ids: list[int], kind: str, count: int, token: str) -> list[dict]:
    return [environ(address, token) for address in request_mix(code, ids, {kind: 1}, count)]


def profiled(application, requests: list[dict]) -> str:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for request in requests:
        asked(application, request)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(90)
    stats.sort_stats("tottime").print_stats(40)
    return out.getvalue()


def benchmark(patients: int, count: int, profile: str) -> None:
    application = get_wsgi_application()
    study = synthetic_study(patients)
    token = coordinator_token(study)
    ids = list(study.patients.values_list("pk", flat=True))
    kinds = [profile] if profile else list(MIX)
    for kind in kinds:
        requests = kind_requests(study.code, ids, kind, count // ROUNDS, token)
        for request in requests:
            asked(application, request)  # its answer cached
        if profile:
            print(profiled(application, requests * ROUNDS))
            return
        cpu = cpu_per_request(application, requests)
        print(f"{patients:>8,}  {kind:<10}  {len(requests) * ROUNDS:8}  {1000 * cpu:8.2f}")


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.request_cpu", description=__doc__)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per kind")
    parser.add_argument("--cache", choices=["redis", "locmem"], default="redis")
    parser.add_argument("--profile", choices=list(MIX), default="")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    chosen = parser.parse_args(arguments)
    if settings.SETTINGS_MODULE != PRODUCTION:
        in_production_settings(chosen.cache)
        return
    with scratch_database("requests", keep=chosen.keep):
        if not chosen.profile:
            print(f"{'patients':>8}  {'kind':<10}  {'requests':>8}  {'CPU ms':>8}  (cached)")
        benchmark(chosen.patients, chosen.requests, chosen.profile)


def in_production_settings(cache: str) -> None:
    """Runs this module again under the production settings (the benchmarks' package loads
    the application with the test settings), with a Redis server of its own as the cache
    unless `cache` is locmem."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": PRODUCTION, "ALLOWED_HOSTS": "127.0.0.1"}
    environment.setdefault("SECRET_KEY", "request-cpu-benchmark-only")
    environment.pop("REDIS_URL", None)
    command = [sys.executable, "-m", __spec__.name, *sys.argv[1:]]
    with redis_or_not(cache, subprocess.DEVNULL) as redis_url:
        environment |= {"REDIS_URL": redis_url} if redis_url else {}
        subprocess.run(command, env=environment, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
