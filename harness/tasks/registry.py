"""Task registry: the built-in specs under ``specs/`` plus any folder given with ``--include-path``."""

from __future__ import annotations

from pathlib import Path

from harness.registry import Registry
from harness.tasks.spec import TaskSpec, load_task_file

SPEC_DIR = Path(__file__).parent / "specs"
TASKS: Registry[TaskSpec] = Registry("task")


def include_tasks(folder: Path) -> list[str]:
    """Register every ``*.toml`` task under ``folder``; returns their names."""
    names = []
    for path in sorted(Path(folder).glob("*.toml")):
        spec = load_task_file(path)
        TASKS.add(spec.name, spec)
        names.append(spec.name)
    return names


def get_task(name: str) -> TaskSpec:
    return TASKS.get(name)


include_tasks(SPEC_DIR)
