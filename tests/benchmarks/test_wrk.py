"""wrk's output as benchmarks/load.lua ends it, and the script driven by a real wrk
against a small local server (skipped where wrk is not installed)."""

import shutil
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import wrk

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
    result = wrk.result(WRK_OUTPUT)
    assert result.requests == 6300
    assert result.rate == pytest.approx(210.0)
    assert (result.p50, result.p99, result.max) == pytest.approx((0.035, 0.1205, 0.412))
    assert (result.non_2xx, result.broken, result.timeouts) == (3, 3, 4)
    assert result.errors == 10


def test_it_refuses_wrk_output_without_a_result_line():
    with pytest.raises(ValueError, match="no RESULT line"):
        wrk.result(WRK_OUTPUT.replace("RESULT", "result"))


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
    command = ["wrk", "-t", "2", "-c", "2", "-d", "1s", "-s", str(wrk.SCRIPT), base]
    try:
        output = subprocess.run(
            [*command, "--", str(paths), "2"], capture_output=True, text=True, check=True
        ).stdout
    finally:
        server.shutdown()
    result = wrk.result(output)
    assert set(Server.asked) == {"/ok/1", "/ok/2", "/ok/3", "/moved"}
    # Answers still on their way when wrk stops (one per connection) are not counted.
    assert 0 < Server.asked["/moved"] - 2 <= result.non_2xx <= Server.asked["/moved"]
    assert result.requests >= sum(Server.asked.values()) - 2
