"""wrk, run with benchmarks/load.lua over a file of paths, and the RESULT line the script
prints at the end of wrk's output."""

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

SCRIPT = Path(__file__).with_name("load.lua")
T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50: float
    p99: float
    max: float
    non_2xx: int
    broken: int  # connect, read and write errors
    timeouts: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.non_2xx + self.broken + self.timeouts


def result(output: str) -> Result:
    """The RESULT line that benchmarks/load.lua prints at the end of wrk's output."""
    found = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if found is None:
        raise ValueError(f"wrk printed no RESULT line:\n{output}")
    value = {name: int(number) for name, number in re.findall(r"(\w+)=(\d+)", found[1])}
    return Result(
        requests=value["requests"],
        seconds=value["duration_us"] / 1e6,
        p50=value["p50_us"] / 1e6,
        p99=value["p99_us"] / 1e6,
        max=value["max_us"] / 1e6,
        non_2xx=value["non_2xx"],
        broken=value["connect"] + value["read"] + value["write"],
        timeouts=value["timeout"],
    )


def run(
    base: str,
    headers: dict[str, str],
    paths: Path,
    threads: int,
    connections: int,
    seconds: int,
    during: Callable[[], T] = lambda: None,
) -> tuple[str, T]:
    """wrk's output after `seconds` of asking for `paths` at `base` with `headers`, and
    what `during()` returned, called while wrk runs."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "5s", "-s", str(SCRIPT)]
    command += [f"-H{name}: {value}" for name, value in headers.items()]
    command += [base, "--", str(paths), str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        done = during()
    finally:
        output, errors = process.communicate()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, output, errors)
    return output, done
