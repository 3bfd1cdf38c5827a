"""Timings of the follow-up schedule on synthetic studies: the list through the API and
the page, its CSV, the completeness figures of the dashboard, and making the visits.

    DATABASE_URL=postgres://... python -m benchmarks.schedule [PATIENTS ...]

Default size: 10,000 patients (100,000: `python -m benchmarks.schedule 100000`). Runs in
a throwaway database (benchmarks.scratch), as a coordinator of the study, through the
whole stack. The visits are stored (registry.schedule) and read with their status in one
query per page; the list's count is kept (registry.schedule_list.visit_count). Each
request is timed REPEATS times cold (the cache emptied just before: the count made again)
and kept (asked before, nothing written since), p50 and p99. The completeness figures are
cached (analytics.caching.StudyCache): timed cold and kept.

Targets at 100,000 patients: a list page under 100 ms; the completeness figures under
3 s cold and 50 ms kept; the follow-up list of a site and the completeness figures under
200 ms (issue #20).
"""

import sys

from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from analytics.dashboard import follow_up_completeness
from benchmarks.pages import p50_p99_ms, percentile, timed, timings, writer
from benchmarks.scratch import coordinator, scratch_database, synthetic_study
from registry import schedule
from registry.models import Visit

SIZES = (10_000,)
REPEATS = 20
PAGE_TARGET_S = 0.100
REQUESTS = {
    "API, first page": "/api/v1/studies/{code}/schedule/",
    "API, overdue": "/api/v1/studies/{code}/schedule/?show=overdue",
    "API, overdue, middle page": "/api/v1/studies/{code}/schedule/?show=overdue&page={middle}",
    "API, a site's overdue": "/api/v1/studies/{code}/schedule/?show=overdue&site={site}",
    "API, due this month": "/api/v1/studies/{code}/schedule/?show=due_this_month&on={month}",
    "API, done, by study id": "/api/v1/studies/{code}/schedule/?status=done&ordering=-study_id",
    "API, a timepoint": "/api/v1/studies/{code}/schedule/?timepoint=Day%2028",
    "page, due this month": "/studies/{code}/follow-up/",
    "page, overdue": "/studies/{code}/follow-up/?show=overdue",
    "page, a site's overdue, by study id": (
        "/studies/{code}/follow-up/?show=overdue&site={site}&ordering=study_id"
    ),
}


def benchmark(patients: int) -> None:
    study = synthetic_study(patients)
    user = coordinator(study)
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(user)
    visits = Visit.objects.filter(study=study).count()
    made = timed(lambda: schedule.visits_refreshed(study.patients.all()))
    print(f"{patients:,} patients, {visits:,} visits; made again in {made:.1f} s")
    if connection.vendor == "postgresql":
        # As autovacuum would within minutes (benchmarks.scratch.synthetic_study): the
        # visits made again have no visibility map yet, without which a page read off the
        # index reads each visit's row as well.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE registry_visit")
    site = study.sites.order_by("code").first().code
    latest = study.patients.order_by("-first_infusion_date").values_list(
        "first_infusion_date", flat=True
    )[0]
    overdue = client.get(f"/api/v1/studies/{study.code}/schedule/?show=overdue").json()
    fill = {
        "code": study.code,
        "site": site,
        "middle": max(overdue["count"] // 50 // 2, 1),
        "month": latest.isoformat(),
    }
    heads = f"{'cold p50':>9} {'p99':>7} {'kept p50':>9} {'p99':>7}"
    print(f"{'request':<38} {heads} {'queries':>7} {'SQL ms':>7}  results")
    for label, template in REQUESTS.items():
        address = template.format(**fill)
        cold = timings(client, [address] * REPEATS, cache.clear)
        kept = timings(client, [address] * REPEATS, lambda: None)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        sql = sum(float(q["time"]) for q in captured.captured_queries)
        count = response.json()["count"] if label.startswith("API") else ""
        cells = " ".join(
            f"{1000 * percentile(samples, 50):9.1f} {1000 * percentile(samples, 99):7.1f}"
            for samples in (cold, kept)
        )
        flag = "  over target" if percentile(kept, 50) >= PAGE_TARGET_S else ""
        print(f"{label:<38} {cells} {len(captured):7} {1000 * sql:7.1f}  {count}{flag}")
    csv_address = f"/api/v1/studies/{study.code}/schedule.csv"
    csv_s = timed(lambda: b"".join(client.get(csv_address).streaming_content))
    print(f"{'CSV, every visit':<38} {1000 * csv_s:8.1f} (once)")
    request = RequestFactory().get("/")
    request.user = user
    cache.clear()
    cold = timed(lambda: follow_up_completeness(request, study))
    kept = [timed(lambda: follow_up_completeness(request, study)) for _ in range(REPEATS)]
    print(f"{'completeness, cold':<38} {1000 * cold:8.1f} (once)")
    print(f"{'completeness, kept':<38} {p50_p99_ms(kept)}")
    write = writer(study)
    writes = [timed(write) for _ in range(REPEATS)]
    print(f"{'a write, its patient rescheduled':<38} {p50_p99_ms(writes)}")


def main(sizes: list[int]) -> None:
    with scratch_database("schedule"):
        for patients in sizes:
            benchmark(patients)


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or list(SIZES))
