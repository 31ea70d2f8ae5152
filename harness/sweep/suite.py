"""Suites: named TOML lists of (tasks x models x seeds) groups, expanded into RunSpecs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from harness import discovery
from harness.errors import DataUnavailableError, UserError
from harness.names import check_name
from harness.registry import Registry
from harness.runs.runner import plan_run
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


@dataclass
class Plan:
    """A suite resolved against this machine: runnable specs, and tasks whose data is missing."""

    specs: list[RunSpec] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # task -> how to make it available

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(s.task for s in self.specs))


SUITES: Registry[Suite] = Registry("suite")


def load_suite_file(path: Path) -> Suite:
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
    name = check_name("suite", Path(path).stem, f"suite file {path}")
    return Suite(name=name, description=raw.get("description", ""), groups=groups)


def include_suites(paths: list[Path]) -> list[str]:
    """Register each suite file under its file name (an included folder may redefine a suite)."""
    names = []
    for path in paths:
        suite = load_suite_file(path)
        SUITES.add(suite.name, suite, replace=True)
        names.append(suite.name)
    return names


def plan_suite(suite: Suite, seeds: tuple[int, ...] | None = None) -> Plan:
    """Expand groups into RunSpecs; tasks whose data is not prepared are listed, not failed."""
    plan = Plan()
    for group in suite.groups:
        for task_name in group.tasks:
            task = get_task(task_name)
            for model in group.models:
                for seed in seeds or group.seeds:
                    try:
                        plan.specs.append(plan_run(task, model, seed, group.overrides))
                    except DataUnavailableError as err:
                        plan.unavailable[task_name] = err.hint
                        break
    return plan


include_suites(sorted(SUITE_DIR.glob("*.toml")))
discovery.subscribe(lambda folder: include_suites(list(folder.suites)))
