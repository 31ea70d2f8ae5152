"""The ledger: each claim's verdict computed from the run records on disk (never from numbers typed by hand).

Achieved values are the report-split metric of finished runs of the current task definition and data, for the
arm's exact resolved config; a run with another config, task version or data fingerprint never counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.claims.claim import Arm, Claim
from harness.claims.verdict import (
    DATA_UNAVAILABLE,
    NO_RECORDS,
    NOT_COMPARABLE,
    Verdict,
    absolute_verdict,
    relative_verdict,
)
from harness.data.sources import DATASETS
from harness.data.store import dataset_available
from harness.models import get_model, resolve_config
from harness.report.leaderboard import current_records
from harness.runs.spec import plain_config
from harness.runs.store import iter_records
from harness.tasks import get_task


@dataclass(frozen=True)
class ArmSummary:
    """One arm's achieved metric in the claim's unit: mean, sample std and seed count."""

    label: str
    mean: float
    std: float
    n: int


class Ledger:
    """Reads the records under ``results`` once per task and judges claims against them."""

    def __init__(self, results: Path) -> None:
        self.results = Path(results)
        self._records: dict[str, list[dict[str, Any]]] = {}

    def records(self, task_name: str) -> list[dict[str, Any]]:
        if task_name not in self._records:
            from harness.runs.runner import data_fingerprint

            task = get_task(task_name)
            found = [r for _, r in iter_records(self.results, task_name)]
            current = current_records(task, found, data_fingerprint(task.dataset))
            self._records[task_name] = [r for r in current if r["status"] == "ok"]
        return self._records[task_name]

    def values(self, claim: Claim, arm: Arm) -> dict[int, float]:
        """Per-seed report-split values of ``claim.metric`` for the arm's exact config (harness scale)."""
        assert claim.task is not None
        task = get_task(claim.task)
        expected = plain_config(resolve_config(get_model(arm.model), dict(arm.overrides)))
        runs = sorted((r for r in self.records(claim.task)
                       if r["spec"]["model"] == arm.model and r["spec"]["config"] == expected),
                      key=lambda r: r["finished"])
        return {r["spec"]["seed"]: float(r["metrics"][task.splits.report][claim.metric]) for r in runs}

    def summary(self, claim: Claim, arm: Arm) -> ArmSummary:
        v = np.array(list(self.values(claim, arm).values()), dtype=float) * claim.scale
        if v.size == 0:
            return ArmSummary(arm.label, math.nan, math.nan, 0)
        return ArmSummary(arm.label, float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else math.nan, int(v.size))

    def judge(self, claim: Claim) -> Verdict:
        blocked = unavailable(claim)
        if blocked:
            return Verdict(claim, DATA_UNAVAILABLE, detail=blocked)
        if claim.differs:
            return Verdict(claim, NOT_COMPARABLE, detail=claim.differs)
        if claim.task is None:
            return Verdict(claim, NO_RECORDS, detail=f"no task runs this claim on {claim.dataset!r} yet")
        values = {arm: self.values(claim, arm) for arm in claim.arms}
        missing = [arm.label for arm, found in values.items() if not found]
        if missing:
            return Verdict(claim, NO_RECORDS, detail=f"no finished runs of {', '.join(missing)}; run "
                                                     f"`mmrepro reproduce {claim.paper.key}`")
        if claim.kind == "absolute":
            assert claim.arm is not None
            return absolute_verdict(claim, list(values[claim.arm].values()))
        assert claim.a is not None and claim.b is not None
        return relative_verdict(claim, values[claim.a], values[claim.b])


def claim_dataset(claim: Claim) -> str:
    return get_task(claim.task).dataset if claim.task else str(claim.dataset)


def unavailable(claim: Claim) -> str:
    """Why the claim's data cannot be used here, with the command that fixes it; empty when it can."""
    name = claim_dataset(claim)
    if name not in DATASETS:
        return f"mmrepro has no loader for dataset {name!r}; the claim is listed so that it is not forgotten"
    if not dataset_available(name):
        return f"Run: {DATASETS.get(name).prepare_command()}"
    return ""
