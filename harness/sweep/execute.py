"""Run a list of RunSpecs serially with a progress bar; cached runs cost one file read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from harness.runs.runner import execute
from harness.runs.spec import RunSpec


def execute_all(specs: list[RunSpec], results: Path, *, force: bool = False,
                progress: bool = True) -> list[dict[str, Any]]:
    records = []
    bar = tqdm(specs, desc="runs", unit="run", disable=not progress or len(specs) < 2)
    for spec in bar:
        bar.set_postfix_str(f"{spec.task}/{spec.model}/s{spec.seed}")
        records.append(execute(spec, results, force=force))
    return records
