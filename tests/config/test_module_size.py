"""No application module grows past what a reader takes in at once: over 450 lines, a
module is doing several jobs and is split (docs/architecture.md)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LONGEST = 450
MODULES = sorted(
    path
    for package in ("registry", "analytics", "config")
    for path in (ROOT / package).rglob("*.py")
    if "migrations" not in path.parts
)


def test_it_finds_the_modules():
    assert ROOT / "registry" / "rules.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_is_over_450_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= LONGEST, f"{path.relative_to(ROOT)} has {lines} lines"
