"""User plug-ins: task and suite TOML files from folders outside the package (``--include-path``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from harness.errors import UserError

# Folders included in this process, so that worker processes of a sweep can include them too.
INCLUDED: list[Path] = []


def include_path(folder: Path) -> None:
    """Register user-defined TOML files: a file with ``[[group]]`` tables is a suite, any other a task."""
    from harness.sweep.suite import SUITES, load_suite_file
    from harness.tasks import TASKS
    from harness.tasks.spec import load_task_file

    if not Path(folder).is_dir():
        raise UserError(f"--include-path {folder} is not a folder")
    for path in sorted(Path(folder).rglob("*.toml")):
        try:
            is_suite = "group" in tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise UserError(f"cannot parse {path}: {err}") from err
        if is_suite:
            suite = load_suite_file(path)
            SUITES.add(suite.name, suite, replace=True)
        else:
            spec = load_task_file(path)
            TASKS.add(spec.name, spec, replace=True)
    INCLUDED.append(Path(folder).resolve())
