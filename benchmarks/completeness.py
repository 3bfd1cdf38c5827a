"""Timings of the casebook on a synthetic study: the completeness figures and the list of
patients with missing required data (API and page, the study's and a site's), the patient
list filtered by casebook, a site's follow-up list, a write with its casebook kept, and
counting every casebook again.

    DATABASE_URL=postgres://... python -m benchmarks.completeness [--keep] [PATIENTS ...]

Default size: 10,000 patients (100,000: `python -m benchmarks.completeness 100000`). Runs
in a throwaway database (benchmarks.scratch; with --keep, one kept for the next run with
--keep, whose study is not imported again), as a coordinator of the study, through the
whole stack. The figures are read from the columns and rows registry.casebook keeps in the
writing transaction: nothing is cached, so each request is timed REPEATS times, p50 and
p99, with its queries and their time in the database.

Target at 100,000 patients: the follow-up list of a site and the completeness figures
under 200 ms.
"""

import sys

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from benchmarks.pages import nothing, p50_p99_ms, percentile, timed, timings, writer
from benchmarks.scratch import coordinator, scratch_database, synthetic_study
from registry import casebook, completeness

SIZES = (10_000,)
REPEATS = 20
TARGET_S = 0.200
REQUESTS = {
    "API, completeness, every site": "/api/v1/studies/{code}/completeness/",
    "API, completeness, a site": "/api/v1/studies/{code}/completeness/?site={site}",
    "API, completeness, a deep page": "/api/v1/studies/{code}/completeness/?page={middle}",
    "page, missing data, every site": "/studies/{code}/completeness/",
    "page, missing data, a site": "/studies/{code}/completeness/?site={site}",
    "API, patients, a site's missing data": "/api/v1/patients/?study={code}&site={site}"
    "&missing_data=true",
    "API, patients, unsigned": "/api/v1/patients/?study={code}&casebook_signed=false",
    "API, follow-up list of a site": "/api/v1/studies/{code}/schedule/?site={site}",
    "page, follow-up list of a site": "/studies/{code}/follow-up/?site={site}",
}


def benchmark(patients: int) -> None:
    study = synthetic_study(patients)
    user = coordinator(study)
    client = APIClient()
    client.force_login(user)
    ids = list(study.patients.values_list("pk", flat=True))
    counted = timed(lambda: casebook.casebooks_refreshed(ids))
    missing = study.patients.filter(required_missing__gt=0).count()
    print(
        f"{patients:,} patients, {missing:,} with required data missing; every casebook "
        f"counted again in {counted:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE registry_patient, registry_sectionstatus")
    site = study.sites.order_by("code").first().code
    fill = {"code": study.code, "site": site, "middle": max(missing // 50 // 2, 1)}
    print(f"{'request':<40} {'p50 ms':>8} {'p99 ms':>8} {'queries':>7} {'SQL ms':>7}")
    for label, template in REQUESTS.items():
        address = template.format(**fill)
        samples = timings(client, [address] * REPEATS, nothing)
        with CaptureQueriesContext(connection) as captured:
            client.get(address)
        sql = sum(float(query["time"]) for query in captured.captured_queries)
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        flag = "  over target" if p50 >= TARGET_S else ""
        print(
            f"{label:<40} {1000 * p50:8.1f} {1000 * p99:8.1f} {len(captured):7} {1000 * sql:7.1f}{flag}"
        )
    figures = [
        timed(lambda: completeness.site_figures(study, study.sites.all())) for _ in range(REPEATS)
    ]
    print(f"{'site figures alone (selector)':<40} {p50_p99_ms(figures)}")
    write = writer(study)
    writes = [timed(write) for _ in range(REPEATS)]
    print(f"{'a write, its casebook kept':<40} {p50_p99_ms(writes)}")


def main(sizes: list[int], *, keep: bool) -> None:
    with scratch_database("completeness", keep=keep):
        for patients in sizes:
            benchmark(patients)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    keep = "--keep" in arguments
    main([int(size) for size in arguments if size != "--keep"] or list(SIZES), keep=keep)
