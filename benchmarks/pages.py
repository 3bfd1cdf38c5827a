"""Timings of the patient list and a patient's detail through the API, on synthetic studies.

    DATABASE_URL=postgres://... python -m benchmarks.pages [--cold] [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients (100,000: `python -m benchmarks.pages 100000`).
Runs in a throwaway database (benchmarks.scratch). Requests go through the whole stack, as
a coordinator of the study signed in with an API token, so the token look-up and the
access rules are in the time. Each request is made once unmeasured, then REPEATS times:
p50 and p99 of those; then once more counting its SQL queries and their time in the
database, and the size of the answer. A list page has 50 patients, each with every
section nested; the detail is a different patient each repeat. The target for 100,000
patients: a list page of 50 under 50 ms p50.

Answers are cached (registry.api.caching), so a repeated request is served from the cache;
with --cold the cache is emptied before each request, which measures computing the answer.
"""

import statistics
import sys
import time

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from benchmarks.scratch import coordinator_token, scratch_database, synthetic_study

SIZES = (1_000, 10_000)
REPEATS = 50
LIST_TARGET_S, TARGET_PATIENTS = 0.050, 100_000
# Label -> the request's address under /api/v1/, given the study and a patient's id.
# The targets apply to the lists of 50 ("list, ...").
REQUESTS = {
    "list, first page": "patients/?study={code}",
    "list, middle page": "patients/?study={code}&page={middle}",
    "list, last page": "patients/?study={code}&page=last",
    "list, filtered": "patients/?study={code}&d30_response=cr&prior_allo_hct=true",
    "list, by first infusion": "patients/?study={code}&ordering=-first_infusion_date",
    "500 per page": "patients/?study={code}&page_size=500",
    "detail": "patients/{patient}/",
}


def percentile(samples: list[float], percent: int) -> float:
    """The value below which `percent` % of the samples fall (linear interpolation)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def timings(
    client: APIClient, addresses: list[str], cold: bool = False
) -> tuple[list[float], object]:
    """Seconds of each request, one unmeasured first, and the last answer; `cold`: each
    with an empty cache."""
    response = client.get(addresses[0])
    samples = []
    for address in addresses:
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(address)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{address}: {response.status_code} {response.content[:300]!r}")
    return samples, response


def queries(client: APIClient, address: str) -> tuple[int, float]:
    """The SQL queries of one request, and their seconds in the database."""
    with CaptureQueriesContext(connection) as captured:
        client.get(address)
    return len(captured), sum(float(query["time"]) for query in captured.captured_queries)


Row = tuple[str, float, float, int, float, int]  # request, p50, p99, queries, SQL s, bytes


def benchmark(patients: int, cold: bool = False) -> list[Row]:
    study = synthetic_study(patients)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {coordinator_token(study)}")
    ids = list(study.patients.order_by("pk").values_list("pk", flat=True))
    spread = [ids[repeat * len(ids) // REPEATS] for repeat in range(REPEATS)]
    middle = (len(ids) // 50 + 1) // 2
    rows = []
    for label, template in REQUESTS.items():
        addresses = [
            "/api/v1/" + template.format(code=study.code, middle=middle, patient=patient)
            for patient in spread
        ]
        samples, response = timings(client, addresses, cold)
        count, sql = queries(client, addresses[-1])
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        rows.append((label, p50, p99, count, sql, len(response.content)))
    return rows


def report(patients: int, rows: list[Row]) -> None:
    print(
        f"{'patients':>8}  {'request':<24}  {'p50 ms':>7}  {'p99 ms':>7}"
        f"  {'queries':>7}  {'SQL ms':>7}  {'KiB':>6}"
    )
    for label, p50, p99, count, sql, size in rows:
        late = label.startswith("list") and p50 >= LIST_TARGET_S and patients >= TARGET_PATIENTS
        print(
            f"{patients:>8,}  {label:<24}  {1000 * p50:7.1f}  {1000 * p99:7.1f}"
            f"  {count:7}  {1000 * sql:7.1f}  {size / 1024:6.0f}{'  over target' if late else ''}"
        )


def main(sizes: list[int], cold: bool = False) -> None:
    print(f"cache: {'emptied before each request' if cold else 'kept'}")
    with scratch_database("pages"):
        for patients in sizes:
            report(patients, benchmark(patients, cold))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sizes = [int(size) for size in arguments if size != "--cold"]
    main(sizes or list(SIZES), cold="--cold" in arguments)
