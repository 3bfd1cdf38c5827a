"""Import and streamed export of synthetic studies: seconds, and the export's peak memory.

    DATABASE_URL=postgres://... python -m benchmarks.interchange [--imports-only | --odm] [PATIENTS ...]

Default sizes: 1,000 and 10,000 patients. `--imports-only` leaves out the exports. `--odm`
times only the ODM snapshot's export and its import as a new study (checked against the
schema, then written by the cohort import), in a kept database (benchmarks.scratch,
suffix "odm") whose synthetic study is generated once; beside each, the process's largest
resident size so far (ru_maxrss; the application loaded is about 250 MiB of it). The
snapshot is written to a temporary file as it streams, and imported from that file.
Beside each import, the CPU seconds it took in this process and, where PostgreSQL runs on
this machine, in the database's server process: on a machine shared with other work
the seconds on the clock grow with the load, the CPU seconds much less. Targets: a 10,000-patient import on PostgreSQL
under 60 s; the exports stream, so their peak memory does not grow with the cohort; the
patients.xlsx of 3,000 patients under 5 s (it is built whole before it is sent); the ODM
export not much slower than the cohort JSON's. The
export at a cut-off (today's: every record) reads the audit trail (registry.snapshots). Peak
memory is what Python allocated while the export ran (tracemalloc), above what it held
before; the exported text is consumed piece by piece, as a streaming response sends it.
"""

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from django.db import connection
from django.utils import timezone

from benchmarks.scratch import scratch_database, synthetic_study
from benchmarks.tables import seconds_table
from registry import flat_export
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.interchange.exporter import iter_cohort_json, patients_for_export
from registry.interchange.odm.transactions import odm_import
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


def database_cpu_seconds() -> float | None:
    """CPU seconds used so far by the PostgreSQL server process of this connection (one
    process per connection), or None where it cannot be read from this machine."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    user, system = int(fields[11]), int(fields[12])  # utime and stime, in clock ticks
    return (user + system) / os.sysconf("SC_CLK_TCK")


def timed_with_cpu(call) -> tuple[float, str]:
    """Seconds on the clock, and the CPU seconds of this process and the database's."""
    database_before, here_before = database_cpu_seconds(), time.process_time()
    seconds = timed(call)
    here = time.process_time() - here_before
    database_after = database_cpu_seconds()
    cpu = f"cpu: python {here:6.1f} s"
    if database_before is not None and database_after is not None:
        cpu += f", database {database_after - database_before:6.1f} s"
    return seconds, cpu


def imports(code: str, patients: int) -> list[tuple[str, float, str]]:
    """Import a synthetic study, then again; its document, large, is gone after, as it
    would be from a server's memory by the time the study is exported."""
    started = time.perf_counter()
    document = synthetic_cohort(code=code, patients=patients)
    labs = sum(len(patient.get("labs", [])) for patient in document["patients"])
    rows = [("generate", time.perf_counter() - started, f"{labs:,} lab values")]
    rows.append(("import (new study)", *timed_with_cpu(lambda: synthetic_cohort_import(data=document))))  # fmt: skip
    rows.append(("import again (update in place)", *timed_with_cpu(lambda: synthetic_cohort_import(data=document))))  # fmt: skip
    return rows


def benchmark(patients: int, exports: bool = True) -> list[tuple[str, float, str]]:
    code = f"BENCH{patients}"
    before_import = timezone.now()
    rows = imports(code, patients)
    if not exports:
        return rows
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


def max_rss() -> str:
    return f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:6.0f} MiB"


def odm_benchmark(patients: int) -> Iterator[tuple[str, float, str]]:
    """The ODM snapshot of a synthetic study exported to a file, then imported from it as a
    new study, as `manage.py import_odm` reads it; each row as soon as it is measured."""
    study = synthetic_study(patients)
    with tempfile.TemporaryFile() as exported, tempfile.TemporaryFile() as renamed:
        code = f"ODM{time.time_ns() % 10**9}"  # a new study each run of a kept database
        seconds, cpu = timed_with_cpu(lambda: _written(iter_odm_xml(study), exported))
        size = exported.tell() / 2**20
        yield ("export ODM snapshot", seconds, f"{cpu}, {size:6.1f} MiB out, {max_rss()}")
        exported.seek(0)
        for line in exported:
            renamed.write(line.replace(study.code.encode(), code.encode()))
        seconds, cpu = timed_with_cpu(lambda: odm_import(body=renamed))
        yield ("import ODM snapshot (new study)", seconds, f"{cpu}, {max_rss()}")


def _written(pieces: Iterator[str], file) -> None:
    for piece in pieces:
        file.write(piece.encode())


def main(sizes: list[int], *, exports: bool) -> None:
    with scratch_database():
        seconds_table(
            sizes,
            lambda patients: benchmark(patients, exports),
            what="operation",
            width=32,
            notes="memory, cpu",
        )


def main_odm(sizes: list[int]) -> None:
    with scratch_database("odm", keep=True):
        seconds_table(sizes, odm_benchmark, what="operation", width=32, notes="cpu, size, memory")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--odm" in arguments:
        main_odm([int(size) for size in arguments if size != "--odm"] or [10_000])
        sys.exit()
    imports_only = "--imports-only" in arguments
    sizes = [int(size) for size in arguments if size != "--imports-only"]
    main(sizes or list(SIZES), exports=not imports_only)
