"""The FHIR R4 exports of a synthetic study: seconds, and peak memory.

    DATABASE_URL=postgres://... python -m benchmarks.fhir [PATIENTS ...]

Default size: 10,000 patients. Targets: each export of 10,000 patients under 30 s, its peak
memory under 300 MB, not growing with the cohort (the exports stream). Each export is
consumed piece by piece, as a streaming response sends it: once on the clock alone, then
again under tracemalloc for the peak Python allocated while it ran, above what it held
before (tracing slows it down, so it is not timed). Beside them, the peak resident size
of the whole process while the timed export ran (VmHWM, its high-water mark reset just
before through /proc/self/clear_refs: the interpreter, Django and what the benchmark
already holds included), on Linux. The Bundle is also fetched through the API, as a coordinator, with the test
client: the view, the access checks and the streaming response included.
"""

import contextlib
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

from django.test import Client
from django.utils import timezone

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


def peak_resident_mib() -> float | None:
    """The process's peak resident size since peak_resident_reset, or None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 2**10


def measured(export: Callable[..., Iterator], study: Study, **options) -> str:
    peak_resident_reset()
    started = time.perf_counter()
    size = consumed(export(study, **options))
    seconds = time.perf_counter() - started
    resident = peak_resident_mib()
    tracemalloc.start()
    consumed(export(study, **options))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return (
        f"{seconds:8.2f} s  peak {peak:6.1f} MiB traced, {resident or 0:6.0f} MiB resident, "
        f"{size / 2**20:6.1f} MiB out"
    )


def through_the_api(study: Study) -> Iterator[bytes]:
    client = Client()
    client.force_login(coordinator(study))
    response = client.get(f"/api/v1/studies/{study.code}/export/fhir/")
    assert response.status_code == 200, response.status_code
    return response.streaming_content


def main(sizes: list[int]) -> None:
    with scratch_database("fhir"):
        for patients in sizes:
            study = synthetic_study(patients)
            today = timezone.localdate()
            exports = {
                "Bundle": (iter_bundle_json, {}),
                "NDJSON": (iter_ndjson, {}),
                "Bundle as recorded today": (iter_bundle_json, {"as_of": today}),
                "Bundle at a cut-off (today)": (iter_bundle_json, {"cutoff": today}),
            }
            for name, (export, options) in exports.items():
                print(
                    f"{patients:>8,}  {name:<28}  {measured(export, study, **options)}", flush=True
                )
            started = time.perf_counter()
            size = consumed(through_the_api(study))
            seconds = time.perf_counter() - started
            print(
                f"{patients:>8,}  {'GET export/fhir/ (API)':<28}  {seconds:8.2f} s  "
                f"{size / 2**20:6.1f} MiB out",
                flush=True,
            )


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or list(SIZES))
