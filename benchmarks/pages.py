"""Timings of the patient list and a patient's detail through the API, on synthetic studies.

    DATABASE_URL=postgres://... python -m benchmarks.pages [--keep] [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients (100,000: `python -m benchmarks.pages 100000`).
`--only "web patient page"` (or another request's label) times that request alone.
Runs in a throwaway database (benchmarks.scratch; with --keep, one kept for the next run
with --keep, whose study is not imported again). Requests go through the whole stack, as
a coordinator of the study, signed in with an API token for the API and with a session for
the web pages, so the sign-in and the access rules are in the time. An API list page has
50 patients, each with every section nested; the detail is a different patient each
repeat. The web list (registry.web.views.patient_list) shows 25 patients a page, with
their status badges; the web patient page (registry.web.views.patient_detail) every
section of a patient, its lab grid included; the web lab grid (the "labs" card,
registry.web.section_views.section_show, as htmx asks it) the grid alone. Each patient
asked for is given a full lab series first (``LAB_SERIES``, about 30 values) where the
generator gave it none. The targets for 100,000 patients: a list page under 50 ms p50,
the patient page and the lab grid under 100 ms.

The API's answers are cached (registry.api.caching), so each request is timed in three
states, each once unmeasured, then REPEATS times (p50 and p99 of those); the web list is
made anew each time, in every state:

- kept: asked before, nothing written since: the answer is read from the cache;
- after a write: a clinician changed a CAR-T count of another patient just before. Every
  page is made anew, from its patients' kept details; the detail asked is kept;
- cold: the cache emptied just before, which measures computing the whole answer.

Then once more, after a write and cold, counting the SQL queries and their time in the
database; and the size of the answer.
"""

import statistics
import sys
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from benchmarks.scratch import coordinator, scratch_database, synthetic_study
from registry.models import CarTCount, LabResult, Study
from registry.services import record_save

SIZES = (1_000, 10_000)
REPEATS = 50
LIST_TARGET_S, PATIENT_PAGE_TARGET_S, TARGET_PATIENTS = 0.050, 0.100, 100_000
# Label -> the request's address, given the study, a patient's id and the middle page of
# each list. The targets apply to the list pages ("list, ...", "web list, ...").
REQUESTS = {
    "list, first page": "/api/v1/patients/?study={code}",
    "list, middle page": "/api/v1/patients/?study={code}&page={middle}",
    "list, last page": "/api/v1/patients/?study={code}&page=last",
    "list, filtered": "/api/v1/patients/?study={code}&d30_response=cr&prior_allo_hct=true",
    "list, by first infusion": "/api/v1/patients/?study={code}&ordering=-first_infusion_date",
    "500 per page": "/api/v1/patients/?study={code}&page_size=500",
    "detail": "/api/v1/patients/{patient}/",
    "web list, first page": "/studies/{code}/",
    "web list, middle page": "/studies/{code}/?page={web_middle}",
    "web list, filtered": "/studies/{code}/?d30_response=cr&prior_allo_hct=true",
    "web list, by day-30": "/studies/{code}/?sort=d30",
    "web patient page": "/patients/{patient}/",
    "web lab grid": "/patients/{patient}/labs/",
}
# Asked as the page's htmx asks them: the lab grid's card alone, as the patient page
# refreshes it after an entry (without the header the address leads to the patient page).
HEADERS = {"web lab grid": {"HX-Request": "true"}}
# The requests whose target is PATIENT_PAGE_TARGET_S: a patient's page, and its lab grid.
PATIENT_PAGES = ("web patient page", "web lab grid")
LIST_PAGES = ("list, ", "web list, ")

# A lab series as issue #18 describes one, 33 values: ANC and platelets twice a week to
# day 30 and monthly after, IL-6 and ferritin on 4 days of the first week, B cells monthly.
# (analyte, unit, days, value)
LAB_SERIES = (
    ("anc", "10^9/L", (0, 3, 7, 10, 14, 17, 21, 24, 28, 60, 90), 0.8),
    ("platelets", "/uL", (0, 3, 7, 10, 14, 17, 21, 24, 28, 60, 90), 85_000),
    ("il6", "pg/mL", (1, 3, 5, 7), 120),
    ("ferritin", "ng/mL", (1, 3, 5, 7), 900),
    ("b_cells_pct", "%", (30, 60, 90), 0.5),
)


def target_of(label: str) -> float | None:
    if label.startswith(LIST_PAGES):
        return LIST_TARGET_S
    return PATIENT_PAGE_TARGET_S if label in PATIENT_PAGES else None


def with_lab_series(patients: list[int]) -> None:
    """Gives each of `patients` the lab series, unless it has lab values already."""
    measured = set(LabResult.objects.filter(patient__in=patients).values_list("patient", flat=True))
    LabResult.objects.bulk_create(
        LabResult(patient_id=patient, day=day, analyte=analyte, value=value, unit=unit)
        for patient in patients
        if patient not in measured
        for analyte, unit, days, value in LAB_SERIES
        for day in days
    )
    cache.clear()


def percentile(samples: list[float], percent: int) -> float:
    """The value below which `percent` % of the samples fall (linear interpolation)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


def p50_p99_ms(samples: list[float]) -> str:
    """The samples' p50 and p99 in milliseconds, as a row of the benchmarks' tables shows
    them."""
    return f"{1000 * percentile(samples, 50):8.1f} {1000 * percentile(samples, 99):8.1f}"


def timed(work: Callable[[], object]) -> float:
    """Seconds of one call of `work`."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def timings(
    client: APIClient,
    addresses: list[str],
    before: Callable[[], None],
    headers: dict | None = None,
) -> list[float]:
    """Seconds of each request, each just after `before`, one unmeasured first."""
    client.get(addresses[0], headers=headers)
    samples = []
    for address in addresses:
        before()
        started = time.perf_counter()
        response = client.get(address, headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{address}: {response.status_code} {response.content[:300]!r}")
    return samples


def queries(
    client: APIClient, address: str, before: Callable[[], None], headers: dict
) -> tuple[int, float]:
    """The SQL queries of one request just after `before`, and their seconds in the
    database."""
    before()
    with CaptureQueriesContext(connection) as captured:
        client.get(address, headers=headers)
    return len(captured), sum(float(query["time"]) for query in captured.captured_queries)


def writer(study: Study) -> Callable[[], None]:
    """A write as a clinician makes it (registry.services): each call changes a CAR-T
    count of a patient of the study, the same one each time, a third of the way down the
    list: on none of the pages timed here but by chance."""
    patients = study.patients.order_by("subject_id").values_list("subject_id", flat=True)
    third = patients[len(patients) // 3]
    counts = CarTCount.objects.filter(patient__study=study, patient__subject_id__gte=third)
    count = counts.order_by("patient__subject_id", "pk").first()

    def write() -> None:
        count.cells_per_ul = 11.0 if count.cells_per_ul == 10.0 else 10.0
        record_save(record=count, user=None, reason="benchmark", version=count.version)
        count.refresh_from_db()

    return write


def nothing() -> None:
    pass


STATES = ("kept", "after a write", "cold")
COUNTED = ("after a write", "cold")  # the states whose queries are counted
# request, p50 and p99 per state, queries and SQL s per counted state, bytes
Row = tuple[str, list[tuple[float, float]], list[tuple[int, float]], int]


def benchmark(patients: int, only: str = "") -> list[Row]:
    study = synthetic_study(patients)
    # What is done before each request, by state.
    before = {"kept": nothing, "after a write": writer(study), "cold": cache.clear}
    user = coordinator(study)
    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(user)
    ids = list(study.patients.order_by("pk").values_list("pk", flat=True))
    spread = [ids[repeat * len(ids) // REPEATS] for repeat in range(REPEATS)]
    with_lab_series(spread)
    middles = {"middle": (len(ids) // 50 + 1) // 2, "web_middle": (len(ids) // 25 + 1) // 2}
    rows = []
    for label, template in REQUESTS.items():
        if only and label != only:
            continue
        addresses = [
            template.format(code=study.code, patient=patient, **middles) for patient in spread
        ]
        headers = HEADERS.get(label, {})
        times = []
        for state in STATES:
            samples = timings(client, addresses, before[state], headers)
            times.append((percentile(samples, 50), percentile(samples, 99)))
        counted = [queries(client, addresses[-1], before[state], headers) for state in COUNTED]
        size = len(client.get(addresses[-1], headers=headers).content)
        rows.append((label, times, counted, size))
    return rows


def report(patients: int, rows: list[Row]) -> None:
    heads = "".join(f"  {state + ' p50':>17}  {'p99':>6}" for state in STATES)
    counted = "".join(f"  {'queries':>7}  {'SQL ms':>6}" for _ in COUNTED)
    print(f"{'patients':>8}  {'request':<24}{heads}{counted}  {'KiB':>5}")
    for label, times, queries_, size in rows:
        cells = "".join(f"  {1000 * p50:17.1f}  {1000 * p99:6.1f}" for p50, p99 in times)
        cells += "".join(f"  {count:7}  {1000 * sql:6.1f}" for count, sql in queries_)
        target = target_of(label)
        late = [
            state
            for state, (p50, _) in zip(STATES, times, strict=True)
            if target is not None and p50 >= target and patients >= TARGET_PATIENTS
        ]
        flag = f"  over target: {', '.join(late)}" if late else ""
        print(f"{patients:>8,}  {label:<24}{cells}  {size / 1024:5.0f}{flag}")
    print(f"(queries and SQL ms: {' and '.join(COUNTED)})")


def main(sizes: list[int], only: str = "", *, keep: bool = False) -> None:
    if only and only not in REQUESTS:
        raise SystemExit(f"No request {only!r}: one of {', '.join(REQUESTS)}")
    with scratch_database("pages", keep=keep):
        for patients in sizes:
            report(patients, benchmark(patients, only))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    only = arguments.pop(arguments.index("--only") + 1) if "--only" in arguments else ""
    keep = "--keep" in arguments
    sizes = [int(size) for size in arguments if size not in ("--only", "--keep")]
    main(sizes or list(SIZES), only, keep=keep)
