"""Timings of the analytics endpoints on synthetic studies, cold and cached.

    DATABASE_URL=postgres://... python -m benchmarks.analytics [--keep] [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients. Runs in a throwaway database, named after
DATABASE_URL's with "_benchmark" added, created and dropped here: never in the registry's
own, nor in the test database a concurrent test run may be using. With --keep the database
is left in place and used again by the next run with --keep, whose studies already
imported there are not imported again (100,000 patients take minutes to import).

Each endpoint is asked through the API as a signed-in user, three ways, with the CPU time
this process spent on the first two:

- "cold": just after a clinician's write to one of the study's patients (its own row,
  which every statistic reads, changed through registry.services), so that no result is
  cached for the new data version; the patient's row was computed as the write committed, the process's data
  frame of the study (analytics.frames) takes it in, and the statistic is computed. The
  writes' median time is printed after the table;
- "uncached": with the results filed under a key prefix of their own
  (settings.ANALYTICS_CACHE_PREFIX): no result is cached, but this study's data version and frame stand; the statistic alone is computed, as when the same statistic is asked with
  other parameters (a write to another study no longer does this: each study's data
  version is its own, and its answers stay cached);
- "cached": the median of five repeats.

Printed first: the time to compute every row from the records, as after an import or a
new version of the dataset's rules, and to build the data frame from the stored rows, as
the first request of a process does; then a process's first statistic, and the first
statistic after a change just after the import, which pay once what the endpoints do not
(see benchmark()), and the process's first dataset answer, written whole, whose blocks
the dataset's answers after a write then keep (analytics.dataset_answer). Targets: every
statistic under 1 s cold for 10,000 patients and under 3 s for 100,000, and under 50 ms
cached. The client accepts gzip, as browsers and HTTP
libraries do: large answers are kept and sent compressed (analytics.exports.packed).

Beside each endpoint, its floor (benchmarks.floor): the same statistics computed directly
with pandas, lifelines and scipy from the dataset's rows already in memory as a DataFrame,
the median of five repeats, and cold / floor and uncached / floor. The target for 100,000
patients: every endpoint cold within 3x of its floor.

The generated study carries the generator's lab series (registry.demo: blood counts,
cytokines, ferritin, CRP, B cells; about 30 values a patient, a quarter of the patients
without any), which the lab columns, toxicity/'s ICAHT, biomarkers/, biomarkers/series/ and
survival/?endpoint=bca read.

Every endpoint is asked as a user asks it: at the study's clinical cut-off (its
data_cutoff; analytics.cutoff), which the generated study's follow-up reaches. Three more
ask for an earlier cut-off, which cuts follow-up, leaves out the patients infused after
it, and has the grades and kinetics of the patients assessed or counted after it computed
from their days up to it; their floors apply that cut-off to the in-memory DataFrame
first, the grades, kinetics and ICAHT grades from every patient's series of days (and
events) kept in memory beside it (benchmarks.floor_cutoff.DaySeries).

The lab series (biomarkers/series/) are asked for IL-6 and ANC at the study's cut-off, and
IL-6 at the earlier one; their floor is a pandas groupby over a frame of every lab value
in memory, its columns of repeated strings categorical (lab_frame). Each process keeps
the values a series reads (analytics.process_labs): as the frame is built once per
process, a process's first series of an analyte reads every value, printed before the
table; after a write to a patient's own row they stand, and after a lab value is written
the values of its patient are read again. So the ANC series is asked once more just after
a lab value is written (lab_writer): the row "(a lab value written)".
"""

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from functools import partial

import pandas as pd
from django.contrib.auth.models import User
from django.db.models import F, QuerySet
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import frames
from analytics.caching import data_version
from analytics.dataset import analysis_rows
from analytics.models import AnalysisRow
from benchmarks import floor, floor_cutoff
from benchmarks.scratch import scratch_database, synthetic_study
from registry.demo.study import DATA_CUTOFF as GENERATED_CUTOFF
from registry.models import (
    CarTCount,
    DailyAssessment,
    FollowUpEvent,
    LabResult,
    Patient,
    Study,
)
from registry.services import record_save

SIZES = (1_000, 10_000)
REPEATS = 5
# Patients -> the targets at that size: cold and cached seconds.
TARGETS = {10_000: (1.0, 0.050), 100_000: (3.0, 0.050)}
FLOOR_RATIO_TARGET = 3.0
EARLIER_CUTOFF = "2020-12-31"
# Each endpoint and its floor: a function of the in-memory frame of every patient's row.
ENDPOINTS = {
    "dataset/": floor.dataset,
    "response/?by=prior_allo_hct": partial(floor.response, by="prior_allo_hct"),
    "response/?by=mcd19_interval_months&cut=12": partial(
        floor.response, by="mcd19_interval_months", cut=12
    ),
    "survival/?endpoint=efs&population=responders&by=hct_after_infusion&times=12,18": partial(
        floor.survival,
        endpoint="efs",
        population="responders",
        by="hct_after_infusion",
        times=(12, 18),
    ),
    "survival/?endpoint=os&landmark=3&by=hct_after_infusion": partial(
        floor.survival,
        endpoint="os",
        population="all",
        by="hct_after_infusion",
        times=(6, 12, 18, 24),
        landmark=3,
    ),
    "follow-up/": floor.follow_up,
    "cumulative-incidence/?times=6,12,24": partial(floor.incidence, times=(6, 12, 24)),
    "toxicity/": floor.toxicity,
    "kinetics/": floor.kinetics,
    "biomarkers/": floor.biomarkers,
    "survival/?endpoint=bca&times=1,2,3": partial(floor.bca_survival, times=(1, 2, 3)),
    "tables/characteristics/": floor.characteristics,
    "tables/outcomes/": floor.outcomes,
    "tables/outcomes/?format=xlsx": floor.outcomes,
    "response/?by=sex&sex=female&age_min=18": lambda frame: floor.response(
        frame[(frame["sex"] == "female") & (frame["age_years"] >= 18)], by="sex"
    ),
    "survival/?endpoint=efs&population=responders&by=hct_after_infusion&times=12,18"
    f"&cutoff={EARLIER_CUTOFF}": lambda frame: floor.survival(
        floor_cutoff.at_cutoff(frame, EARLIER_CUTOFF),
        endpoint="efs",
        population="responders",
        by="hct_after_infusion",
        times=(12, 18),
    ),
}
# Endpoints whose floor also takes the series of days (floor_cutoff.DaySeries, as `series`).
SERIES_ENDPOINTS = {
    f"toxicity/?cutoff={EARLIER_CUTOFF}": lambda frame, series: floor.toxicity(
        floor_cutoff.icaht_at_cutoff(
            floor_cutoff.grades_at_cutoff(frame, series, EARLIER_CUTOFF), series, EARLIER_CUTOFF
        )
    ),
    f"kinetics/?cutoff={EARLIER_CUTOFF}": lambda frame, series: floor.kinetics(
        floor_cutoff.kinetics_at_cutoff(frame, series, EARLIER_CUTOFF)
    ),
    "biomarkers/series/?analyte=il6": lambda frame, series: floor.lab_series(
        frame, series.labs, analyte="il6", cutoff=GENERATED_CUTOFF.isoformat()
    ),
    "biomarkers/series/?analyte=anc": lambda frame, series: floor.lab_series(
        frame, series.labs, analyte="anc", cutoff=GENERATED_CUTOFF.isoformat()
    ),
    f"biomarkers/series/?analyte=il6&cutoff={EARLIER_CUTOFF}": lambda frame, series: (
        floor.lab_series(frame, series.labs, analyte="il6", cutoff=EARLIER_CUTOFF)
    ),
}
# The analytes of the series above, whose values a process reads once.
LAB_SERIES_ANALYTES = ("il6", "anc")
# Endpoints asked again just after a lab value is written, with their floor.
AFTER_A_LAB_VALUE = {
    "biomarkers/series/?analyte=anc": SERIES_ENDPOINTS["biomarkers/series/?analyte=anc"]
}
# The study's clinical cut-off when the generated one has none: the generator's.
DATA_CUTOFF = date(2021, 7, 31)


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


# endpoint, cold, its CPU, uncached, its CPU, cached, floor
Row = tuple[str, float, float, float, float, float, float]


def benchmark(client: APIClient, patients: int) -> list[Row]:
    study = synthetic_study(patients)
    if study.data_cutoff is None:
        study.data_cutoff = DATA_CUTOFF
        study.save(update_fields=["data_cutoff"])
    print(f"the study's clinical cut-off, applied by default: {study.data_cutoff}")
    # The import kept the rows as it committed; computed again from the records here.
    AnalysisRow.objects.filter(patient__study=study).delete()
    seconds, dataset = timed(lambda: analysis_rows(study.patients.all()))
    print(f"analysis rows (analytics.dataset) computed and stored in {seconds:.3f} s")
    seconds, dataset = timed(lambda: analysis_rows(study.patients.all()))
    print(f"analysis rows read back as kept in {seconds:.3f} s")
    changed = study.patients.order_by("pk").last()
    seconds, _ = timed(lambda: frames.study_frame(study, data_version(study)))
    print(
        f"the study's data frame (analytics.frames) built from the stored rows in {seconds:.3f} s"
    )
    seconds, frame = timed(lambda: pd.DataFrame(dataset))
    print(f"its in-memory DataFrame, for the floors, built in {seconds:.3f} s")
    series = day_series(study, frame)
    floors = {
        **ENDPOINTS,
        **{name: partial(of, series=series) for name, of in SERIES_ENDPOINTS.items()},
    }
    # Paid once, not by the endpoints below: a process's first statistic also pays for its
    # first use of the statistics libraries and of the API's code; the first change after
    # the import, for reading the stamps of the patients the import stamped in the frame's
    # look back (analytics.frames.LOOK_BACK).
    seconds, _ = timed(lambda: client.get(f"/api/v1/studies/{study.code}/analytics/follow-up/"))
    print(f"the process's first statistic in {seconds:.3f} s")
    # As the frame is built once per process, the dataset's answer is written whole once,
    # and kept in blocks that a write then makes the process write again in part.
    dataset_url = f"/api/v1/studies/{study.code}/analytics/dataset/"
    seconds, cpu, _ = cpu_timed(lambda: client.get(dataset_url))
    print(
        f"the process's first dataset answer, written whole and kept in blocks "
        f"(analytics.dataset_answer), in {seconds:.3f} s ({cpu:.3f} CPU s)"
    )
    # As the frame, each process reads a lab series' values once (analytics.process_labs).
    for analyte in LAB_SERIES_ANALYTES:
        url = f"/api/v1/studies/{study.code}/analytics/biomarkers/series/?analyte={analyte}"
        seconds, _ = timed(partial(client.get, url))
        print(f"the process's first {analyte} series, reading every value, in {seconds:.3f} s")
    Patient.objects.filter(pk=changed.pk).update(updated=timezone.now())
    url = f"/api/v1/studies/{study.code}/analytics/response/?by=sex"
    seconds, _ = timed(lambda: client.get(url))
    print(f"the first statistic after a change, just after the import, in {seconds:.3f} s")
    rows, writes = [], []
    write = patient_writer(study)
    # A clinician's write to one of the study's patients (registry.services): the data
    # version is new, and the patient's row was computed as the write committed.
    for endpoint, statistics_of in floors.items():
        writes.append(timed(write)[0])
        rows.append(measured(client, study, endpoint, partial(statistics_of, frame), len(rows)))
    # The same after a lab value is written: each process's lab values of its patient are
    # read again (analytics.process_labs), which a patient's own row leaves kept.
    for endpoint, statistics_of in AFTER_A_LAB_VALUE.items():
        lab_writer(study)()
        row = measured(
            client, study, endpoint, partial(statistics_of, frame, series=series), len(rows)
        )
        rows.append((f"{endpoint} (a lab value written)", *row[1:]))
    print(
        f"each write before a cold statistic (a patient's sex changed, the patient's row "
        f"computed as it commits): median {statistics.median(writes):.3f} s"
    )
    return rows


def measured(client: APIClient, study: Study, endpoint: str, floor_of, number: int) -> Row:
    """One endpoint's row of the table, just after a write: cold, uncached, cached, and the
    floor (`floor_of`, the statistics from the data in memory)."""
    url = f"/api/v1/studies/{study.code}/analytics/{endpoint}"
    cold, cpu, response = cpu_timed(lambda: client.get(url))
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    with override_settings(ANALYTICS_CACHE_PREFIX=f"benchmark-uncached-{number}"):
        uncached, uncached_cpu, _ = cpu_timed(lambda: client.get(url))
    cached = median_seconds(lambda: client.get(url))
    return (endpoint, cold, cpu, uncached, uncached_cpu, cached, median_seconds(floor_of))


def patient_writer(study: Study) -> Callable[[], None]:
    """A write as a clinician makes it (registry.services) to a patient's own row, which
    every statistic reads (a section's is read only by those computed from it,
    analytics.caching): each call changes the sex of the same patient, a third of the way
    down the list, back and forth."""
    patient = a_third_down(study)[0]

    def write() -> None:
        patient.sex = "male" if patient.sex == "female" else "female"
        record_save(record=patient, user=None, reason="benchmark", version=patient.version)
        patient.refresh_from_db()

    return write


def lab_writer(study: Study) -> Callable[[], None]:
    """A write as a clinician makes it to one of the study's lab values: each call changes
    the first ANC of a patient a third of the way down the list, up and down by 0.01."""
    ancs = LabResult.objects.filter(patient__in=a_third_down(study)[:20], analyte="anc")
    value = ancs.order_by("patient__subject_id", "day").first()

    def write() -> None:
        value.value = round(value.value + (0.01 if value.value < 1 else -0.01), 2)
        record_save(record=value, user=None, reason="benchmark", version=value.version)
        value.refresh_from_db()

    return write


def a_third_down(study: Study) -> QuerySet:
    """The study's patients in the list's order, from the one a third of the way down."""
    patients = study.patients.order_by("subject_id")
    return patients[patients.count() // 3 :]


def day_series(study: Study, frame: pd.DataFrame) -> floor_cutoff.DaySeries:
    """Every daily assessment's grades (by the model's ASTCT grading), every CAR-T count,
    lab value and follow-up event of the study, and each patient's last contact, in memory
    for the floors."""
    ages = {
        study_id: None if pd.isna(age) else int(age)
        for study_id, age in zip(frame["study_id"], frame["age_years"], strict=True)
    }
    assessments = DailyAssessment.objects.filter(patient__study=study).annotate(
        study_id=F("patient__subject_id")
    )
    grades = [
        (day.study_id, day.day, day.crs_grade().grade, day.icans_grade(ages[day.study_id]).grade)
        for day in assessments.iterator(chunk_size=2000)
    ]
    counts = CarTCount.objects.filter(patient__study=study).values_list(
        "patient__subject_id", "day", "cells_per_ul"
    )
    lab_columns = ("day", "analyte", "value", "unit", "specimen", "below_detection")
    labs = LabResult.objects.filter(patient__study=study).values_list(
        "patient__subject_id", *lab_columns
    )
    events = FollowUpEvent.objects.filter(patient__study=study).values_list(
        "patient__subject_id", "kind", "date"
    )
    last_contact = study.patients.values_list("subject_id", "last_contact_date")
    return floor_cutoff.DaySeries(
        pd.DataFrame(grades, columns=["study_id", "day", "crs", "icans"]),
        pd.DataFrame(list(counts), columns=["study_id", "day", "cells_per_ul"]),
        lab_frame(list(labs), columns=["study_id", *lab_columns]),
        pd.DataFrame(list(events), columns=["study_id", "kind", "date"]),
        dict(last_contact),
    )


def lab_frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Lab values in memory as pandas best keeps them: a column of few distinct strings
    (the study id, analyte, unit, specimen) categorical, each string kept once and
    compared by its code."""
    labs = pd.DataFrame(rows, columns=columns)
    for column in ("study_id", "analyte", "unit", "specimen"):
        labs[column] = labs[column].astype("category")
    return labs


def median_seconds(call) -> float:
    return statistics.median(timed(call)[0] for _ in range(REPEATS))


def report(patients: int, rows: list[Row]) -> None:
    width = max(len(endpoint) for endpoint, *_ in rows)
    print(
        f"{'endpoint':<{width}}  {'cold s':>7}  {'(CPU s)':>7}  {'uncached s':>10}  {'(CPU s)':>7}"
        f"  {'cached s':>8}  {'floor s':>7}  {'cold/floor':>10}  {'uncached/floor':>14}"
    )
    for endpoint, cold, cpu, uncached, uncached_cpu, cached, floor_ in rows:
        cold_target, cached_target = TARGETS.get(patients, (float("inf"),) * 2)
        flag = "  over target" if cold >= cold_target or cached >= cached_target else ""
        if cold >= FLOOR_RATIO_TARGET * floor_ and patients == 100_000:
            flag += f"  cold over {FLOOR_RATIO_TARGET:g}x the floor"
        print(
            f"{endpoint:<{width}}  {cold:7.3f}  {cpu:7.3f}  {uncached:10.3f}  {uncached_cpu:7.3f}"
            f"  {cached:8.4f}  {floor_:7.4f}  {cold / floor_:10.1f}  {uncached / floor_:14.1f}{flag}"
        )


def main(sizes: list[int], *, keep: bool) -> None:
    with scratch_database(keep=keep):
        # Accepting gzip, as browsers and HTTP libraries do: large answers are kept and sent
        # compressed (analytics.exports.packed).
        client = APIClient(headers={"Accept-Encoding": "gzip"})
        # A superuser reads every study and every patient (registry.access).
        user = User.objects.filter(username="benchmark").first()
        client.force_authenticate(user or User.objects.create_superuser("benchmark"))
        for patients in sizes:
            report(patients, benchmark(client, patients))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    keep = "--keep" in arguments
    main([int(size) for size in arguments if size != "--keep"] or list(SIZES), keep=keep)
