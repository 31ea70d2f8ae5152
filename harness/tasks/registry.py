"""Task registry: the built-in specs under ``specs/`` plus the task files of every included folder.

A task is checked against its prepared data's manifest when it is looked up (:func:`get_task`): a modality or split
the data does not have is an error naming the valid ones, at once, not when a run is planned. Embedded data is
checked when a run is planned (loading it here would slow every command).
"""

from __future__ import annotations

import json
from functools import lru_cache
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
    """The task registered as ``name``, refused when its prepared data lacks a modality or split it names."""
    task = TASKS.get(name)
    problems = schema_problems(task)
    if problems:
        raise UserError(f"task {task.name!r} ({ORIGINS.get(task.name, 'built in')}): " + "; ".join(problems))
    return task


def schema_problems(task: TaskSpec) -> list[str]:
    """Modalities and splits of ``task`` that its prepared dataset's manifest does not list (none when the data
    is not prepared, or embedded)."""
    from harness.data.paths import data_root

    path = data_root() / task.dataset / "manifest.json"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return []
    return list(_schema_problems(task, str(path), stamp))


@lru_cache(maxsize=256)
def _schema_problems(task: TaskSpec, path: str, stamp: int) -> tuple[str, ...]:
    try:
        manifest = json.loads(Path(path).read_text())
        modalities, splits = list(manifest["features"]), list(manifest["splits"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()  # a damaged manifest is reported by the data commands, with its own message
    problems = [f"modality {m!r} is not in dataset {task.dataset!r} (it has {', '.join(modalities)})"
                for m in task.modalities if m not in modalities]
    protocol = task.splits
    folds = getattr(task, "folds", None)
    roles = ((("folds", folds.split),) if folds  # a fold task carves its splits from folds.split
             else (("train", protocol.train), ("select", protocol.select), ("report", protocol.report)))
    problems += [f"{role} split {name!r} is not in dataset {task.dataset!r} (it has {', '.join(splits)})"
                 for role, name in roles if name not in splits]
    return tuple(problems)


include_tasks(sorted(SPEC_DIR.glob("*.toml")))
discovery.subscribe(lambda folder: include_tasks(list(folder.tasks), replace=folder.user))
