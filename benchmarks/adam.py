"""The ADaM exports of a synthetic study over HTTP: seconds and peak memory of each.

    DATABASE_URL=postgres://... python -m benchmarks.adam [--keep] [PATIENTS ...]

Default size: 10,000 patients. Each dataset in each format, and the Define-XML, is asked
for as a coordinator asks for it (GET .../export/adam/...), and its body read to the end.
The first request builds the study's analysis frame in this process (analytics.frames),
as a server's first statistic after a start does; it is timed apart ("cold"). Target:
every export of 10,000 patients under 30 s, and peak memory under 300 MB. Each export is
timed, then asked again to measure its peak memory (tracemalloc slows the Python it
traces several times over): what Python allocated while the export ran, above what it
held before; the
process's largest resident size so far (ru_maxrss), the import's included, is printed
beside it. `--keep` keeps the database with its study for the next run with `--keep`
(benchmarks.scratch).
"""

import resource
import sys
import time
import tracemalloc

from django.contrib.auth.models import User
from django.test import Client

from analytics.adam.formats import CONTENT_TYPES
from analytics.adam.variables import DATASETS
from benchmarks.scratch import coordinator, scratch_database, synthetic_study
from benchmarks.tables import seconds_table

SIZES = (10_000,)


def fetched(client: Client, address: str) -> int:
    """The bytes of the body, read to the end."""
    response = client.get(address)
    assert response.status_code == 200, response.content[:300]
    if response.streaming:
        return sum(len(piece) for piece in response.streaming_content)
    return len(response.content)


def timed(client: Client, address: str) -> tuple[float, int]:
    started = time.perf_counter()
    size = fetched(client, address)
    return time.perf_counter() - started, size


def peak_memory(client: Client, address: str) -> float:
    """The peak MiB Python allocated while the export ran."""
    tracemalloc.start()
    fetched(client, address)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def benchmark(patients: int) -> list[tuple[str, float, str]]:
    study = synthetic_study(patients)
    client = Client()
    # A kept database (--keep) holds the coordinator of an earlier run.
    kept = User.objects.filter(username=f"coordinator-{study.code}".lower()).first()
    client.force_login(kept or coordinator(study))
    base = f"/api/v1/studies/{study.code}/export/adam/"
    addresses = [("ADSL.csv (cold: frame built)", base + "ADSL.csv")]
    addresses += [
        (f"{name}.{file_format}", f"{base}{name}.{file_format}")
        for name in DATASETS
        for file_format in CONTENT_TYPES
    ]
    addresses.append(("define.xml", base + "define.xml"))
    rows = []
    for label, address in addresses:
        seconds, size = timed(client, address)
        peak = peak_memory(client, address)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
        rows.append(
            (
                label,
                seconds,
                f"peak {peak:7.1f} MiB, {size / 2**20:6.1f} MiB out, process max RSS {rss:6.0f} MiB",
            )
        )
    return rows


def main(sizes: list[int], keep: bool = False) -> None:
    with scratch_database("adam", keep=keep):
        seconds_table(sizes, benchmark, what="export", width=30, notes="memory")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sizes = [int(size) for size in arguments if size != "--keep"]
    main(sizes or list(SIZES), keep="--keep" in arguments)
