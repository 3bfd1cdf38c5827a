"""Imports point one way: the core of the registry reads nothing of the layers on top."""

import ast
from pathlib import Path

import registry

ROOT = Path(registry.__file__).parent
ON_TOP = ("registry.interchange", "registry.api", "registry.web", "analytics")
# Not core: the app's wiring, which connects the receivers of every layer; the demo study,
# which is made by importing a cohort document; and the admin's pages, which show the
# study's statistics.
ON_TOP_MODULES = {"apps.py", "demo.py", "admin.py"}


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def core_modules() -> list[Path]:
    top = [path for path in ROOT.glob("*.py") if path.name not in ON_TOP_MODULES]
    return [*top, *(ROOT / "models").glob("*.py")]


def test_it_keeps_the_core_from_importing_the_layers_on_top():
    reaching_up = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in core_modules()
        for name in imported(path)
        if name.startswith(ON_TOP)
    }
    assert reaching_up == set()


def test_it_keeps_the_table_of_sections_below_the_models():
    # The models validate through registry.course, which reads the table.
    assert not any(name.startswith("registry") for name in imported(ROOT / "sections.py"))
