"""The load test's pieces that can be checked without a server: the request mix,
gunicorn's access log, and the CPU time of a process with its children."""

import argparse
import subprocess
import sys
import time
from collections import Counter

import pytest

from benchmarks import load


def test_it_times_each_kind_of_request_from_the_access_log():
    lines = [
        '127.0.0.1 [01/Jan/2025:00:00:00 +0000] "GET /api/v1/patients/" 200 5120 40ms',
        '127.0.0.1 [01/Jan/2025:00:00:00 +0000] "GET /api/v1/patients/" 200 5120 60ms',
        '127.0.0.1 [01/Jan/2025:00:00:00 +0000] "GET /api/v1/patients/17/" 200 512 10ms',
        '127.0.0.1 [01/Jan/2025:00:00:00 +0000] "GET /api/v1/patients/18/" 404 50 12ms',
        '127.0.0.1 [01/Jan/2025:00:00:00 +0000] "GET /api/v1/studies/B/analytics/kinetics/"'
        " 200 999 3ms",
        "[2025-01-01 00:00:00 +0000] [7] [INFO] Booting worker with pid: 7",
    ]
    times = load.server_times("\n".join(lines))
    assert times["list"] == (2, pytest.approx(0.050), pytest.approx(0.0598), 0)
    assert times["detail"][0] == 2 and times["detail"][3] == 1
    assert times["analytics"] == (1, 0.003, 0.003, 0)


def test_it_mixes_the_kinds_of_request_in_their_proportions():
    mix = {"list": 4, "detail": 4, "analytics": 2}
    addresses = load.request_mix("BENCH", list(range(1, 1001)), mix, 2000)
    counts = Counter(load.kind_of(address) for address in addresses)
    assert counts["list"] == pytest.approx(800, abs=80)
    assert counts["detail"] == pytest.approx(800, abs=80)
    assert counts["analytics"] == pytest.approx(400, abs=60)
    assert load.request_mix("BENCH", list(range(1, 1001)), mix, 2000) == addresses


def test_it_asks_only_the_kinds_named_in_the_mix():
    addresses = load.request_mix("BENCH", [1, 2, 3], {"detail": 1}, 50)
    assert {load.kind_of(address) for address in addresses} == {"detail"}


def test_it_reads_a_mix_and_refuses_an_unknown_kind():
    assert load.mix_of("list=3,analytics=1") == {"list": 3, "analytics": 1}
    for bad in ("export=1", "list", "list=0", "list=x"):
        with pytest.raises(argparse.ArgumentTypeError):
            load.mix_of(bad)


def test_it_counts_the_cpu_time_of_a_process_and_its_children():
    # The child ends by itself a little after the test.
    burn = "import time\nwhile time.process_time() < 0.3: pass\ntime.sleep(10)"
    parent = subprocess.Popen(["bash", "-c", f'"{sys.executable}" -c "{burn}" & wait'])
    try:
        deadline = time.monotonic() + 30
        while load.cpu_seconds(parent.pid) < 0.25 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert load.cpu_seconds(parent.pid) == pytest.approx(0.3, abs=0.1)
    finally:
        parent.kill()
        parent.wait()
