"""The FHIR R4 exports of a synthetic study: seconds, and peak memory.

    DATABASE_URL=postgres://... python -m benchmarks.fhir [--keep] [PATIENTS ...]

Default size: 10,000 patients. `--keep` keeps the database (`<name>_fhir`) and its study
for the next run with `--keep` (benchmarks.scratch). Targets: each export of 10,000
patients under 30 s, its peak memory under 300 MB, not growing with the cohort (the
exports stream).

Each export is consumed piece by piece, as a streaming response sends it: once timed,
with the CPU seconds of this process and of the PostgreSQL server process beside the
clock's (on a machine shared with other work the clock grows with the load, the CPU
seconds much less), then again under tracemalloc for the peak Python allocated while it
ran, above what it held before (tracing slows it down, so it is not timed). Beside them,
the peak resident size of the whole process while the timed export ran (VmHWM, its
high-water mark reset just before through /proc/self/clear_refs), and its resident size
just before (the interpreter and the application as a worker loads them, and what the
process kept of the exports before: the allocator does not give every freed page back),
on Linux. The Bundle is also fetched
through the API, as a coordinator, with the test client: the view, the access checks and
the streaming response included.
"""

import contextlib
import gc
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from django.test import Client
from django.utils import timezone

from benchmarks.interchange import timed_with_cpu
from benchmarks.scratch import coordinator, scratch_database, synthetic_study
from registry.interchange.fhir.writer import iter_bundle_json, iter_ndjson
from registry.models import Study

SIZES = (10_000,)


def consumed(pieces: Iterator) -> int:
    return sum(len(piece) for piece in pieces)


def peak_resident_reset() -> None:
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def resident_mib(field: str) -> float:
    """VmRSS (the process's resident size now) or VmHWM (its peak since
    peak_resident_reset), in MiB; 0 off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 2**10


def timed_export(make: Callable[[], Iterator]) -> tuple[float, str, int]:
    """Seconds, CPU seconds and bytes out of consuming the export `make()` gives."""
    produced = []
    seconds, cpu = timed_with_cpu(lambda: produced.append(consumed(make())))
    return seconds, cpu, produced[0]


def measured(make: Callable[[], Iterator]) -> str:
    peak_resident_reset()
    before = resident_mib("VmRSS")
    seconds, cpu, size = timed_export(make)
    resident = resident_mib("VmHWM")
    tracemalloc.start()
    consumed(make())
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return (
        f"{seconds:7.2f} s ({cpu})  peak {peak:5.1f} MiB traced, resident {resident:4.0f} "
        f"MiB ({before:4.0f} before), {size / 2**20:6.1f} MiB out"
    )


def through_the_api(study: Study) -> Iterator[bytes]:
    """The Bundle as a new coordinator gets it; the coordinator is gone after, so that a
    kept database takes the next run's."""
    user = coordinator(study)
    try:
        client = Client()
        client.force_login(user)
        response = client.get(f"/api/v1/studies/{study.code}/export/fhir/")
        assert response.status_code == 200, response.status_code
        yield from response.streaming_content
    finally:
        user.delete()


def main(cohorts: list[int], keep: bool = False) -> None:
    with scratch_database("fhir", keep=keep):
        for patients in cohorts:
            study = synthetic_study(patients)
            today = timezone.localdate()
            exports = {
                "Bundle": partial(iter_bundle_json, study),
                "NDJSON": partial(iter_ndjson, study),
                "Bundle as recorded today": partial(iter_bundle_json, study, as_of=today),
                "Bundle at a cut-off (today)": partial(iter_bundle_json, study, cutoff=today),
            }
            for name, make in exports.items():
                print(f"{patients:>8,}  {name:<28}  {measured(make)}", flush=True)
            seconds, cpu, _size = timed_export(partial(through_the_api, study))
            name = "GET export/fhir/ (API)"
            print(f"{patients:>8,}  {name:<28}  {seconds:7.2f} s ({cpu})", flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    cohorts = [int(size) for size in arguments if size != "--keep"]
    main(cohorts or list(SIZES), keep="--keep" in arguments)
