"""Task registry: the built-in specs under ``specs/`` plus the task files of every included folder."""

from __future__ import annotations

from pathlib import Path

from harness import discovery
from harness.errors import UserError
from harness.registry import Registry
from harness.tasks.spec import TaskSpec, load_task_file

SPEC_DIR = Path(__file__).parent / "specs"
TASKS: Registry[TaskSpec] = Registry("task")
ORIGINS: dict[str, Path] = {}  # task name -> the spec file it was read from


def include_tasks(paths: list[Path], *, replace: bool = False) -> list[str]:
    """Register each task file; returns their names. A user's folder may redefine a task (``replace``)."""
    names = []
    for path in paths:
        spec = load_task_file(path)
        earlier = TASKS.registered(spec.name)
        if earlier is not None and earlier != spec and not replace:
            raise UserError(f"task file {path}: task {spec.name!r} is already defined in {ORIGINS[spec.name]}")
        TASKS.add(spec.name, spec, replace=True)
        ORIGINS[spec.name] = Path(path).resolve()
        names.append(spec.name)
    return names


def get_task(name: str) -> TaskSpec:
    return TASKS.get(name)


include_tasks(sorted(SPEC_DIR.glob("*.toml")))
discovery.subscribe(lambda folder: include_tasks(list(folder.tasks), replace=folder.user))
