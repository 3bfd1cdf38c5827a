"""Load test: gunicorn with several workers on loopback, serving a synthetic study from
PostgreSQL with the production settings, under a bounded mixed load from wrk.

    DATABASE_URL=postgres://... python -m benchmarks.load [--patients 10000] [--seconds 30]
        [--connections 8] [--threads 2] [--workers 2 x cores + 1] [--cache redis|locmem]
        [--mix list=4,detail=4,analytics=2] [--warm] [--write-interval 1] [--keep]

`make loadtest` runs it with the defaults. Needs wrk (`apt-get install wrk`) and, for the
default cache, redis-server. In order:

1. a throwaway database (DATABASE_URL's name with "_loadtest" added, see
   benchmarks.scratch) with a synthetic study, and API tokens of a coordinator and of a
   clinician of its first site; with --keep the database is left in place, and the next
   run with --keep uses its study again rather than importing it (the writes of earlier
   runs stay in it: each run writes to patients none has written to);
2. the cache: a redis-server of its own on a free port, which the workers share as they
   would a REDIS_URL in production (its own because the analytics data tokens never
   expire: a shared Redis would keep them); with --cache locmem, each worker's memory;
3. gunicorn (config.gunicorn, as in the image) on 127.0.0.1 at a free port with
   config.settings.production: DEBUG off, a random SECRET_KEY. Requests carry
   X-Forwarded-Proto: https, as a TLS-terminating load balancer's do, so the settings'
   HTTPS redirect stays on and lets them through, and accept gzip, as HTTP libraries do;
4. a warm-up: each statistic asked once (its result cached), with --warm every address of
   the list below asked once too (patient pages and details cached, as in a registry that
   has served them before; without it most of a short run computes them), then WARM_UP_S
   of the mix, unmeasured, so that every worker has loaded the views;
5. the measured run: wrk (benchmarks/load.lua) for --seconds over a fixed list of requests
   in the proportions of --mix (MIX by default): list pages of 50 (the first, any page, a
   filtered one), patient details (any patient), and the analytics statistics
   (benchmarks.analytics.ENDPOINTS but the dataset and downloads), served from the cache
   as a running registry mostly does. One kind alone (e.g. --mix detail=1) shows what that
   kind costs. Meanwhile the clinician saves an assessment every --write-interval
   seconds (0: none) through the API, and each save is read back at once, from every
   answer it changes, by the clinician and the coordinator (benchmarks.freshness);
6. throughput, the latency clients saw (p50, p99, max), errors (answers other than 2xx,
   broken connections, timeouts), and each kind of request's time in gunicorn (its access
   log); the analytics results computed, by name (its log: each missed the cache); the writes' and the reads' after them: times, errors and stale answers (those
   not showing the write yet); then gunicorn and redis-server are stopped and the database
   dropped (unless --keep).

Targets: at least 200 requests/s with p99 under 500 ms and no errors; writes with p99
under 500 ms, no errors, and no stale answer.
"""

import argparse
import math
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import connection

from benchmarks import analytics, freshness, wrk
from benchmarks.pages import percentile
from benchmarks.scratch import (
    clinician_token,
    coordinator_token,
    scratch_database,
    synthetic_study,
)
from registry.models import Study

ROOT = Path(__file__).resolve().parent.parent
# Kind of request -> its share of the load.
MIX = {"list": 4, "detail": 4, "analytics": 2}
KINDS = tuple(MIX)
STATISTICS = [
    endpoint
    for endpoint in analytics.ENDPOINTS
    if not endpoint.startswith("dataset/") and "format=" not in endpoint
]
PAGE_SIZE = 50
REQUESTS_LISTED = 2_000
WARM_UP_S = 5
TARGET_RATE, TARGET_P99_S = 200, 0.500
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}


@dataclass(frozen=True)
class Options:
    patients: int
    seconds: int
    connections: int
    threads: int
    workers: int
    cache: str
    mix: dict[str, int]
    warm: bool = False
    write_interval: float = 1.0
    keep: bool = False


def request_mix(
    code: str, patient_ids: list[int], mix: dict[str, int], count: int, seed: int = 2019
) -> list[str]:
    """`count` addresses in the proportions of `mix`, in a random but repeatable order."""
    rng = random.Random(seed)
    pages = math.ceil(len(patient_ids) / PAGE_SIZE)
    patients = f"/api/v1/patients/?study={code}"

    def list_page() -> str:
        return rng.choice(
            [patients, f"{patients}&page={rng.randint(1, pages)}", f"{patients}&d30_response=cr"]
        )

    kinds: dict[str, Callable[[], str]] = {
        "list": list_page,
        "detail": lambda: f"/api/v1/patients/{rng.choice(patient_ids)}/",
        "analytics": lambda: f"/api/v1/studies/{code}/analytics/{rng.choice(STATISTICS)}",
    }
    return [kinds[kind]() for kind in rng.choices(list(mix), weights=list(mix.values()), k=count)]


def kind_of(path: str) -> str:
    if "/analytics/" in path:
        return "analytics"
    return "detail" if re.fullmatch(r"/api/v1/patients/\d+/", path) else "list"


# config.gunicorn's access log line: ... "GET /api/v1/patients/" 200 4567 12ms
ACCESS_LINE = re.compile(r'"(?:GET|HEAD) (?P<path>\S+)" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms')


def server_times(log: str) -> dict[str, tuple[int, float, float, int]]:
    """Per kind of request in a gunicorn access log: requests, p50 and p99 seconds in
    gunicorn, and answers other than 2xx."""
    found: dict[str, list[tuple[int, int]]] = {}
    for line in ACCESS_LINE.finditer(log):
        found.setdefault(kind_of(line["path"]), []).append((int(line["status"]), int(line["ms"])))
    return {kind: _times(answers) for kind, answers in sorted(found.items())}


# analytics.caching's line for each result computed, not found in the cache.
COMPUTED_LINE = re.compile(r"analytics result computed: (?P<name>\S+) of study")


def computed_report(log: str) -> None:
    """How many analytics results the run computed (each missed the cache), by name: after a
    write, those of the statistics that read the section written."""
    computed = Counter(line["name"] for line in COMPUTED_LINE.finditer(log))
    by_name = ", ".join(f"{name} {count}" for name, count in sorted(computed.items()))
    print(f"analytics results computed: {sum(computed.values())} ({by_name or 'none'})")


def _times(answers: list[tuple[int, int]]) -> tuple[int, float, float, int]:
    seconds = [ms / 1000 for _, ms in answers]
    if len(seconds) == 1:
        seconds *= 2  # percentile() needs two; one sample is its own p50 and p99
    failed = sum(not 200 <= status < 300 for status, _ in answers)
    return len(answers), percentile(seconds, 50), percentile(seconds, 99), failed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# How long gunicorn's workers and redis-server may take to answer: minutes on a machine
# that other work keeps busy.
START_S = 300


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + START_S
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.2)


def answers(url: str, headers: dict | None = None) -> bool:
    request = urllib.request.Request(url, headers={**HEADERS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running(
    command: list[str], ready: Callable[[], bool], log, **options
) -> Iterator[subprocess.Popen]:
    """The command running until the block ends, once `ready()` says it is up."""
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **options)
    try:
        wait_until(ready, process, command[0])
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def private_redis(log) -> Iterator[str]:
    """A redis-server of the load test's own, without persistence: its REDIS_URL."""
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no"]

    def ready() -> bool:
        try:
            return redis.Redis(port=port).ping()
        except redis.ConnectionError:
            return False

    with running(command, ready, log):
        yield f"redis://127.0.0.1:{port}/0"


def production_environment(database_url: str, redis_url: str | None) -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    for name in ("REDIS_URL", "DATABASE_REPLICA_URL", "DEBUG"):
        environment.pop(name, None)
    return environment | ({"REDIS_URL": redis_url} if redis_url else {})


@contextmanager
def gunicorn(environment: dict[str, str], workers: int, log) -> Iterator[tuple[str, int]]:
    """gunicorn serving the registry on a free loopback port: its base URL and pid."""
    address = f"127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
    command += ["--config", "python:config.gunicorn", "--no-control-socket"]
    command += ["--bind", address, "--workers", str(workers)]

    def ready() -> bool:
        return answers(f"http://{address}/healthz")

    with running(command, ready, log, env=environment, cwd=ROOT) as process:
        yield f"http://{address}", process.pid


def cpu_seconds(pid: int) -> float:
    """The CPU time a process and its children (gunicorn's workers) have used (Linux)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's name in parentheses: state, ppid, ... utime, stime.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def scratch_database_url() -> str:
    """DATABASE_URL naming the scratch database, for gunicorn."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()


def load_test(options: Options) -> None:
    study = synthetic_study(options.patients)
    token = coordinator_token(study)
    site = study.sites.order_by("pk").first()
    writes = math.ceil(options.seconds / options.write_interval) if options.write_interval else 0
    # Four writes a patient (benchmarks.freshness), and one more in case the last is cut.
    writer = (clinician_token(site), freshness.writable_patients(site, writes // 4 + 1))
    ids = list(study.patients.values_list("pk", flat=True))
    with tempfile.TemporaryDirectory(prefix="loadtest-") as folder:
        paths = Path(folder, "paths.txt")
        paths.write_text(
            "\n".join(request_mix(study.code, ids, options.mix, REQUESTS_LISTED)) + "\n"
        )
        log_path = Path(folder, "server.log")
        with log_path.open("w") as log:
            try:
                result, access, tally, cpu = serve_and_load(
                    options, study, (token, *writer), paths, log, log_path
                )
            except (RuntimeError, subprocess.CalledProcessError) as error:
                raise SystemExit(f"{error}\n{log_path.read_text()[-3000:]}") from None
        report(options, result, server_times(access))
        cpu_report(cpu, server_times(access), tally)
        computed_report(access)
        if tally is not None:
            freshness.report(tally, options.seconds, TARGET_P99_S)


def serve_and_load(
    options: Options, study: Study, users: tuple, paths: Path, log, log_path: Path
) -> tuple[wrk.Result, str, freshness.Tally | None, float]:
    """The measured run's result, the access log lines it wrote, the writes made during
    it, and the CPU seconds gunicorn used in it. `users`: the coordinator's token, the clinician's, and the patients the
    clinician writes to."""
    token, clinician, patients = users
    headers = {"Authorization": f"Token {token}", **HEADERS}
    with redis_or_not(options.cache, log) as redis_url:
        environment = production_environment(scratch_database_url(), redis_url)
        with gunicorn(environment, options.workers, log) as (base, pid):
            started = time.perf_counter()
            for endpoint in STATISTICS:
                url = f"{base}/api/v1/studies/{study.code}/analytics/{endpoint}"
                if not answers(url, {"Authorization": f"Token {token}"}):
                    raise RuntimeError(f"warm-up: {url} did not answer 200")
            print(f"warm-up: statistics cached in {time.perf_counter() - started:.1f} s")
            if options.warm:
                started = time.perf_counter()
                ask_each_once(base, token, paths, options.connections)
                print(f"warm-up: every address asked once in {time.perf_counter() - started:.1f} s")
            wrk.run(base, headers, paths, options.threads, options.connections, WARM_UP_S)
            offset = settled_size(log_path)
            writing = partial(
                freshness.writes_read_back,
                freshness.Client(base, clinician, HEADERS),
                freshness.Client(base, token, HEADERS),
                study.code,
                patients,
                options.seconds,
                options.write_interval,
            )
            cpu = cpu_seconds(pid)
            output, tally = wrk.run(
                base, headers, paths, options.threads, options.connections, options.seconds, writing
            )
            result = wrk.result(output)
            cpu = cpu_seconds(pid) - cpu
    with log_path.open() as written:
        written.seek(offset)
        return result, written.read(), tally, cpu


def ask_each_once(base: str, token: str, paths: Path, clients: int) -> None:
    """Every address of the list asked once, by `clients` at a time."""
    addresses = sorted(set(paths.read_text().split()))
    headers = {"Authorization": f"Token {token}"}
    with ThreadPoolExecutor(max_workers=clients) as pool:
        answered = pool.map(lambda path: (path, answers(base + path, headers)), addresses)
        failed = [path for path, ok in answered if not ok]
    if failed:
        raise RuntimeError(f"warm-up: {failed[0]} did not answer 200")


def settled_size(log_path: Path) -> int:
    """The log's size once it has stopped growing for a second: the requests that were
    still running when wrk stopped have been logged."""
    size = -1
    while size != log_path.stat().st_size:
        size = log_path.stat().st_size
        time.sleep(1)
    return size


@contextmanager
def redis_or_not(cache: str, log) -> Iterator[str | None]:
    if cache == "locmem":
        yield None
        return
    with private_redis(log) as url:
        yield url


def report(options: Options, result: wrk.Result, kinds: dict) -> None:
    shares = options.mix.items()
    mix = ", ".join(f"{share / sum(options.mix.values()):.0%} {kind}" for kind, share in shares)
    print(
        f"{options.patients:,} patients; gunicorn {options.workers} workers, cache "
        f"{options.cache}; wrk {options.threads} threads x {options.connections} "
        f"connections for {options.seconds} s; mix {mix}{'; warmed' if options.warm else ''}; "
        f"load average "
        f"{os.getloadavg()[0]:.2f} (last minute, {os.cpu_count()} cores)"
    )
    print(
        f"{'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  {'max ms':>7}"
        f"  {'non-2xx':>7}  {'broken':>6}  {'timeouts':>8}"
    )
    met = result.rate >= TARGET_RATE and result.p99 < TARGET_P99_S and result.errors == 0
    print(
        f"{result.requests:8,}  {result.rate:7.1f}  {1000 * result.p50:7.1f}"
        f"  {1000 * result.p99:7.1f}  {1000 * result.max:7.1f}  {result.non_2xx:7}"
        f"  {result.broken:6}  {result.timeouts:8}"
        f"  {'target met' if met else 'target missed'}"
    )
    print("time in gunicorn, by kind of request (its access log):")
    print(f"{'kind':<10}  {'requests':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'non-2xx':>7}")
    for kind, (count, p50, p99, failed) in kinds.items():
        print(f"{kind:<10}  {count:8,}  {1000 * p50:7.1f}  {1000 * p99:7.1f}  {failed:7}")


def cpu_report(cpu: float, kinds: dict, tally: freshness.Tally | None) -> None:
    """What gunicorn's CPU time a request took: how many a second the machine's cores
    would serve if gunicorn had them to itself (PostgreSQL's and Redis's time aside)."""
    requests = sum(count for count, *_ in kinds.values()) + (tally.writes if tally else 0)
    per_request = cpu / max(requests, 1)
    cores = os.cpu_count() or 1
    print(
        f"gunicorn CPU: {cpu:.1f} s for {requests:,} requests, {1000 * per_request:.1f} ms "
        f"each: {cores} cores to itself would serve at most {cores / per_request:.0f}/s"
    )


def options(arguments: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--cache", choices=["redis", "locmem"], default="redis")
    parser.add_argument("--mix", type=mix_of, default=MIX, help="e.g. list=4,detail=4,analytics=2")
    parser.add_argument("--warm", action="store_true", help="ask every address once first")
    parser.add_argument(
        "--write-interval", type=float, default=1.0, help="seconds between writes; 0: none"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parsed = parser.parse_args(arguments)
    if parsed.threads > parsed.connections:
        parser.error("--threads must not exceed --connections (wrk gives each thread some)")
    return Options(**vars(parsed))


def mix_of(text: str) -> dict[str, int]:
    """ "list=4,detail=1" -> {"list": 4, "detail": 1}: kinds of request and their shares."""
    mix = {}
    for part in text.split(","):
        kind, _, share = part.partition("=")
        if kind not in KINDS or not share.isdigit() or int(share) == 0:
            raise argparse.ArgumentTypeError(f"{part!r}: give KIND=SHARE, KIND one of {KINDS}")
        mix[kind] = int(share)
    return mix


def main(arguments: list[str]) -> None:
    chosen = options(arguments)
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        raise SystemExit(
            "The load test needs DATABASE_URL=postgres://...: gunicorn's workers cannot "
            "share a benchmark's in-memory SQLite database"
        )
    tools = ["wrk", *(["redis-server"] if chosen.cache == "redis" else [])]
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        raise SystemExit(f"Missing: {', '.join(missing)} (apt-get install {' '.join(missing)})")
    with scratch_database("loadtest", keep=chosen.keep):
        load_test(chosen)


if __name__ == "__main__":
    main(sys.argv[1:])
