"""Timings of the analytics endpoints on synthetic studies, cold and cached.

    DATABASE_URL=postgres://... python -m benchmarks.analytics [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients. Runs in a throwaway database, named after
DATABASE_URL's with "_benchmark" added, created and dropped here: never in the registry's
own, nor in the test database a concurrent test run may be using. Each endpoint is
asked through the API as a signed-in user: "cold" with an empty cache (the dataset is read
and every statistic computed), with the CPU time this process spent on it, and "cached"
the median of five repeats. The target for 10,000
patients: every statistic under 1 s cold and under 50 ms cached.
"""

import statistics
import sys
import time

from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from analytics.dataset import analysis_rows
from benchmarks.scratch import scratch_database
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.models import Study

SIZES = (1_000, 10_000)
REPEATS = 5
COLD_TARGET_S, CACHED_TARGET_S = 1.0, 0.050
ENDPOINTS = (
    "dataset/",
    "response/?by=prior_allo_hct",
    "response/?by=mcd19_interval_months&cut=12",
    "survival/?endpoint=efs&population=responders&by=hct_after_infusion&times=12,18",
    "survival/?endpoint=os&landmark=3&by=hct_after_infusion",
    "follow-up/",
    "cumulative-incidence/?times=6,12,24",
    "toxicity/",
    "kinetics/",
    "tables/characteristics/",
    "tables/outcomes/",
    "tables/outcomes/?format=xlsx",
    "response/?by=sex&sex=female&age_min=18",
)


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def cpu_timed(call) -> tuple[float, float, object]:
    """Wall-clock and this process's CPU seconds: on a shared machine the CPU time shows
    the work done here, the wall-clock time adds waiting for the database and for the CPU."""
    started = time.process_time()
    seconds, result = timed(call)
    return seconds, time.process_time() - started, result


def benchmark(client: APIClient, patients: int) -> list[tuple[str, float, float, float]]:
    code = f"BENCH{patients}"
    seconds, document = timed(lambda: synthetic_cohort(code=code, patients=patients))
    print(f"\n{patients:,} patients: generated in {seconds:.1f} s", flush=True)
    seconds, _ = timed(lambda: synthetic_cohort_import(data=document))
    print(f"imported in {seconds:.1f} s", flush=True)
    study = Study.objects.get(code=code)
    seconds, _ = timed(lambda: analysis_rows(study.patients.all()))
    print(f"analysis dataset (analytics.dataset.analysis_rows) read in {seconds:.3f} s")
    rows = []
    for endpoint in ENDPOINTS:
        url = f"/api/v1/studies/{code}/analytics/{endpoint}"
        cache.clear()
        cold, cpu, response = cpu_timed(lambda url=url: client.get(url))
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        cached = statistics.median(
            timed(lambda url=url: client.get(url))[0] for _ in range(REPEATS)
        )
        rows.append((endpoint, cold, cpu, cached))
    return rows


def report(patients: int, rows: list[tuple[str, float, float, float]]) -> None:
    width = max(len(endpoint) for endpoint, *_ in rows)
    print(f"{'endpoint':<{width}}  {'cold s':>8}  {'(CPU s)':>8}  {'cached s':>9}")
    for endpoint, cold, cpu, cached in rows:
        late = cold >= COLD_TARGET_S or cached >= CACHED_TARGET_S
        flag = "  over target" if late and patients == 10_000 else ""
        print(f"{endpoint:<{width}}  {cold:8.3f}  {cpu:8.3f}  {cached:9.4f}{flag}")


def main(sizes: list[int]) -> None:
    with scratch_database():
        client = APIClient()
        # A superuser reads every study and every patient (registry.access).
        client.force_authenticate(User.objects.create_superuser("benchmark"))
        for patients in sizes:
            report(patients, benchmark(client, patients))


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or list(SIZES))
