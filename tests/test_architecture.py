"""The import graph of the project's own modules: no cycles, and the engine never imports a plug-in.

Read with ``ast`` (every ``import`` statement, at module level and inside functions), so a cycle hidden in a
function-level import counts too. ``harness`` must reach ``baselines`` and ``reproductions`` only through
entry points and ``--include-path`` (``harness/discovery.py``), which is what lets a paper live outside the
repository.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "baselines", "reproductions")
PLUGINS = ("baselines", "reproductions")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, path: Path) -> set[str]:
    """The dotted names the import statements of ``path`` name (``from a import b`` gives ``a.b``).

    ``a.b`` resolves to the module ``a.b`` when there is one, else to ``a``; loading a submodule also loads its
    parent packages, but that edge is not counted (every ``__init__`` that imports its submodules would be a loop).
    """
    names = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        targets = {resolve(name) for name in _imported_names(module, path)}
        graph[module] = {t for t in targets if t and t != module}
    return graph


def _plugin_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in graph.items() if m.split(".")[0] == "harness"
                  for t in targets if t.split(".")[0] in PLUGINS)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as err:
        return err.args[1]
    return None


def test_engine_imports_no_plugin_package() -> None:
    assert _plugin_imports(_graph()) == []


def test_no_import_cycle_among_project_modules() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_graph_reader_sees_function_level_imports_and_cycles() -> None:
    """The checks above can fail: a planted function-level import is an edge, and a loop is found."""
    graph = _graph()
    assert "harness.errors" in graph["harness.registry"] and "harness.discovery" in graph["harness.registry"]
    assert "harness.sweep.execute" in graph["harness.cli"]  # imported only inside a command function
    planted = {**graph, "harness.errors": graph["harness.errors"] | {"harness.registry"}}
    assert _cycle(planted) is not None
    planted = {**graph, "harness.cli": graph["harness.cli"] | {"reproductions.essl"}}
    assert _plugin_imports(planted) == ["harness.cli -> reproductions.essl"]


@pytest.mark.parametrize("source, expected", [
    ("from . import x", {"pkg.sub.x"}),
    ("from ..y import z", {"pkg.y.z"}),
    ("def f():\n    import harness.models\n", {"harness.models"}),
])
def test_relative_and_nested_imports_are_read(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "__init__.py"
    path.write_text(source)
    assert _imported_names("pkg.sub", path) == expected
