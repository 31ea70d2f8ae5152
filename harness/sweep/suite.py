"""Suites: named TOML lists of (tasks x models x seeds) groups, expanded into RunSpecs.

A suite file names itself (``name = "my-suite"``, checked by :func:`harness.names.check_name`); a file without
a ``name`` is named after its file stem (the rule before names were declared, kept so older files still load).
``mmrepro suites`` lists every suite with the file it came from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from harness import discovery
from harness.errors import DataUnavailableError, UserError
from harness.names import check_name
from harness.registry import Registry
from harness.runs.runner import plan_runs
from harness.runs.spec import RunSpec
from harness.settings import as_settings
from harness.tasks.registry import get_task

SUITE_DIR = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class Group:
    tasks: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    groups: tuple[Group, ...]
    source: Path | None = None  # the TOML file it was read from

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(t for g in self.groups for t in g.tasks))

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(m for g in self.groups for m in g.models))

    @property
    def seeds(self) -> list[int]:
        return sorted({s for g in self.groups for s in g.seeds})


@dataclass
class Plan:
    """A suite resolved against this machine: runnable specs, and tasks whose data is missing."""

    specs: list[RunSpec] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # task -> how to make it available

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(s.task for s in self.specs))


SUITES: Registry[Suite] = Registry("suite")


def load_suite_file(path: Path, name: str | None = None) -> Suite:
    """Parse one suite file; ``name`` (a paper's ``reproduce-<paper>``) overrides the file's own name."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"cannot read suite file {path}: {err}") from err
    seeds = tuple(raw.get("seeds", (0, 1, 2)))
    groups = tuple(
        Group(tasks=tuple(g["tasks"]), models=tuple(g["models"]), seeds=tuple(g.get("seeds", seeds)),
              overrides=as_settings(g.get("set", {})))
        for g in raw.get("group", [])
    )
    if not groups:
        raise UserError(f"suite file {path} has no [[group]] with tasks and models")
    name = name or check_name("suite", raw.get("name", Path(path).stem), f"suite file {path}")
    return Suite(name=name, description=raw.get("description", ""), groups=groups, source=Path(path).resolve())


def include_suites(paths: list[Path]) -> list[str]:
    """Register each suite file under its declared name (an included folder may redefine an earlier suite;
    two files of one folder may not share a name)."""
    loaded: dict[str, Suite] = {}
    for path in paths:
        suite = load_suite_file(path)
        if suite.name in loaded:
            raise UserError(f"suite file {path}: suite {suite.name!r} is also defined in "
                            f"{loaded[suite.name].source}; give one of them another name = \"...\"")
        loaded[suite.name] = suite
    for suite in loaded.values():
        SUITES.add(suite.name, suite, replace=True)
    return list(loaded)


def plan_suite(suite: Suite, seeds: tuple[int, ...] | None = None, *, only_task: str | None = None) -> Plan:
    """Expand groups into RunSpecs (all tasks, or ``only_task``); tasks whose data is not prepared are listed,
    not failed."""
    plan = Plan()
    for group in suite.groups:
        for task_name in group.tasks:
            if only_task is not None and task_name != only_task:
                continue
            task = get_task(task_name)
            for model in group.models:
                for seed in seeds or group.seeds:
                    try:
                        plan.specs.extend(plan_runs(task, model, seed, group.overrides))  # one per fold
                    except DataUnavailableError as err:
                        plan.unavailable[task_name] = err.hint
                        break
    return plan


include_suites(sorted(SUITE_DIR.glob("*.toml")))
discovery.subscribe(lambda folder: include_suites(list(folder.suites)))


def no_records_error(task: str, results: Path) -> UserError:
    """What a report of a task without records says: where it looked and the command that makes records."""
    return UserError(f"no finished runs of task {task!r} under {Path(results) / 'runs' / task} (current task version "
                     f"and data); run some first: mmrepro run --task {task} --model prior --model linear-early")
