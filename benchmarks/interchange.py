"""Import and streamed export of synthetic studies: seconds, and the export's peak memory.

    DATABASE_URL=postgres://... python -m benchmarks.interchange [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients. Targets: a 10,000-patient import on PostgreSQL
under 60 s; the exports stream, so their peak memory does not grow with the cohort; the
patients.xlsx of 3,000 patients under 5 s (it is built whole before it is sent); the ODM
export not much slower than the cohort JSON's. The
export at a cut-off (today's: every record) reads the audit trail (registry.snapshots). Peak
memory is what Python allocated while the export ran (tracemalloc), above what it held
before; the exported text is consumed piece by piece, as a streaming response sends it.
"""

import sys
import time
import tracemalloc
from io import BytesIO

from django.utils import timezone

from benchmarks.scratch import scratch_database
from registry import flat_export
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.exporter import iter_cohort_json, patients_for_export
from registry.interchange.odm.writer import iter_odm_xml
from registry.models import Study

SIZES = (1_000, 10_000)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def streamed(pieces) -> tuple[float, float, int]:
    """Seconds, peak MiB allocated, and bytes produced while consuming `pieces`."""
    tracemalloc.start()
    started, size = time.perf_counter(), 0
    for piece in pieces:
        size += len(piece)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, size


def imports(code: str, patients: int) -> list[tuple[str, float, str]]:
    """Import a synthetic study, then again; its document, large, is gone after, as it
    would be from a server's memory by the time the study is exported."""
    document = synthetic_cohort(code=code, patients=patients)
    rows = [("import (new study)", timed(lambda: synthetic_cohort_import(data=document)), "")]
    rows.append(("import again (update in place)", timed(lambda: synthetic_cohort_import(data=document)), ""))  # fmt: skip
    return rows


def benchmark(patients: int) -> list[tuple[str, float, str]]:
    code = f"BENCH{patients}"
    before_import = timezone.now()
    rows = imports(code, patients)
    study = Study.objects.get(code=code)
    seconds, peak, size = streamed(iter_cohort_json(study))
    rows.append(
        ("export cohort JSON", seconds, f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out")
    )
    seconds, peak, size = streamed(iter_odm_xml(study))
    rows.append(
        ("export ODM snapshot", seconds, f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out")
    )
    # Every patient created since: each one is an Insert, read through the audit trail.
    seconds, peak, size = streamed(iter_odm_xml(study, since=before_import))
    rows.append(
        (
            "export ODM changes (all new)",
            seconds,
            f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out",
        )
    )
    seconds, peak, size = streamed(iter_cohort_json(study, as_of=timezone.localdate()))
    rows.append(
        ("export JSON at a cut-off", seconds, f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out")
    )
    seconds, peak, size = streamed(flat_export.iter_patients_csv(patients_for_export(study)))
    rows.append(
        ("export patients.csv", seconds, f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out")
    )
    workbook = BytesIO()
    seconds = timed(lambda: flat_export.write_patients_xlsx(patients_for_export(study), workbook))
    rows.append(("export patients.xlsx", seconds, f"{workbook.tell() / 2**20:6.1f} MiB out"))
    return rows


def main(sizes: list[int]) -> None:
    with scratch_database():
        print(f"{'patients':>8}  {'operation':<32}  {'seconds':>8}  memory")
        for patients in sizes:
            for operation, seconds, memory in benchmark(patients):
                print(f"{patients:>8,}  {operation:<32}  {seconds:8.2f}  {memory}", flush=True)


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or list(SIZES))
