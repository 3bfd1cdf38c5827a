"""The load test's pieces that can be checked without a server: the request mix, wrk's
output, gunicorn's access log, and benchmarks/load.lua driven by a real wrk against a
small local server (skipped where wrk is not installed)."""

import argparse
import shutil
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import load

WRK_OUTPUT = """\
Running 30s test @ http://127.0.0.1:40000
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    38.20ms   20.11ms 412.00ms   80.00%
    Req/Sec   105.00     20.00   150.00     70.00%
  6300 requests in 30.00s, 80.00MB read
Requests/sec:    210.00
Transfer/sec:      2.67MB
RESULT requests=6300 duration_us=30000000 p50_us=35000 p99_us=120500 max_us=412000 non_2xx=3 connect=1 read=2 write=0 timeout=4
"""  # noqa: E501


def test_it_reads_the_result_line_of_the_wrk_script():
    result = load.parse_wrk(WRK_OUTPUT)
    assert result.requests == 6300
    assert result.rate == pytest.approx(210.0)
    assert (result.p50, result.p99, result.max) == pytest.approx((0.035, 0.1205, 0.412))
    assert (result.non_2xx, result.broken, result.timeouts) == (3, 3, 4)
    assert result.errors == 10


def test_it_refuses_wrk_output_without_a_result_line():
    with pytest.raises(ValueError, match="no RESULT line"):
        load.parse_wrk(WRK_OUTPUT.replace("RESULT", "result"))


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


class Server(BaseHTTPRequestHandler):
    """200 for /ok/..., a redirect for anything else; remembers the paths asked for."""

    asked: Counter = Counter()

    def do_GET(self):
        Server.asked[self.path] += 1
        self.send_response(200 if self.path.startswith("/ok/") else 301)
        self.send_header("Location", "/ok/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_the_wrk_script_asks_the_listed_paths_and_counts_redirects_as_errors(tmp_path):
    Server.asked.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    paths = tmp_path / "paths.txt"
    paths.write_text("/ok/1\n/ok/2\n/ok/3\n/moved\n")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    command = ["wrk", "-t", "2", "-c", "2", "-d", "1s", "-s", str(load.SCRIPT), base]
    try:
        output = subprocess.run(
            [*command, "--", str(paths), "2"], capture_output=True, text=True, check=True
        ).stdout
    finally:
        server.shutdown()
    result = load.parse_wrk(output)
    assert set(Server.asked) == {"/ok/1", "/ok/2", "/ok/3", "/moved"}
    # Answers still on their way when wrk stops (one per connection) are not counted.
    assert 0 < Server.asked["/moved"] - 2 <= result.non_2xx <= Server.asked["/moved"]
    assert result.requests >= sum(Server.asked.values()) - 2
