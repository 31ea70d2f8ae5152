"""The ledger: each claim's verdict computed from the run records on disk (never from numbers typed by hand).

Achieved values are the report-split metric of finished runs of the current task definition and data, for the
arm's exact resolved config; a run with another config, task version or data fingerprint never counts.
"""

from __future__ import annotations

from pathlib import Path

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
from harness.metrics.statistics import Summary
from harness.models import get_model, resolve_config
from harness.report.table import aggregate
from harness.runs.record import RunRecord
from harness.runs.spec import plain_config
from harness.runs.store import current_records
from harness.tasks import get_task


class Ledger:
    """Reads the records under ``results`` once per task and judges claims against them."""

    def __init__(self, results: Path) -> None:
        self.results = Path(results)
        self._records: dict[str, list[RunRecord]] = {}

    def records(self, task_name: str) -> list[RunRecord]:
        """The task's current ok records (``current_records``): failed, stale and malformed ones never count."""
        if task_name not in self._records:
            self._records[task_name] = current_records(self.results, get_task(task_name))
        return self._records[task_name]

    def values(self, claim: Claim, arm: Arm) -> dict[int, float]:
        """Per-seed report-split values of ``claim.metric`` for the arm's exact config (harness scale).

        The report split is the task's, as defined now; a record written under another split definition has
        another task hash and is not current."""
        assert claim.task is not None
        split = get_task(claim.task).splits.report
        expected = plain_config(resolve_config(get_model(arm.model), dict(arm.overrides)))
        runs = sorted((r for r in self.records(claim.task) if r.spec.model == arm.model and r.spec.config == expected),
                      key=lambda r: r.finished)
        return {r.spec.seed: float(r.metrics[split][claim.metric]) for r in runs}

    def summary(self, claim: Claim, arm: Arm) -> Summary | None:
        """The arm's achieved metric in the claim's unit (mean, sample std, t-CI, n); None without records."""
        return aggregate(v * claim.scale for v in self.values(claim, arm).values())

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
