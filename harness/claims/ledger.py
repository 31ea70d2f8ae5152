"""The ledger: each claim's verdict computed from the run records on disk (never from numbers typed by hand).

Achieved values are the report-split metric of finished runs of the current task definition and data, for the
arm's exact resolved config; a run with another config, task version or data fingerprint never counts. The rules
also read each seed's selection-split value (a best-of-n claim picks our best seed by it), the chance floor (the
``prior`` model's runs) and the published values of other systems on the same task and metric (implausibility).
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.claims.claim import Arm, Claim
from harness.claims.verdict import DEFAULT_RULES, ArmValues, Evidence, Verdict, judge
from harness.data.sources import DATASETS
from harness.data.store import dataset_available
from harness.errors import UserError
from harness.metrics import get_metric
from harness.metrics.statistics import Summary
from harness.models import get_model, resolve_config
from harness.report.table import aggregate
from harness.report.uncertainty import ItemScorer, skip_reason
from harness.runs.record import RunRecord
from harness.runs.spec import plain_config
from harness.runs.store import current_records
from harness.tasks import get_task
from harness.tasks.folds import seed_values

log = logging.getLogger(__name__)


class Ledger:
    """Reads the records under ``results`` once per task and judges claims against them."""

    def __init__(self, results: Path) -> None:
        self.results = Path(results)
        self._records: dict[str, list[RunRecord]] = {}
        self._claims: list[Claim] | None = None  # every registered paper's claims, read once
        self.scorer = ItemScorer(self.results)  # per-item predictions -> shared bootstrap resamples (rules v3)

    def records(self, task_name: str) -> list[RunRecord]:
        """The task's current ok records (``current_records``): failed, stale and malformed ones never count."""
        if task_name not in self._records:
            self._records[task_name] = current_records(self.results, get_task(task_name))
        return self._records[task_name]

    def runs(self, claim: Claim, arm: Arm) -> list[RunRecord]:
        """The arm's current finished runs on the claim's task, for its exact resolved config, oldest first."""
        assert claim.task is not None
        expected = plain_config(resolve_config(get_model(arm.model), dict(arm.overrides)))
        return sorted((r for r in self.records(claim.task) if r.spec.model == arm.model and r.spec.config == expected),
                      key=lambda r: r.finished)

    def values(self, claim: Claim, arm: Arm, split: str | None = None) -> dict[int, float]:
        """Per-seed values of ``claim.metric`` for the arm's exact config (harness scale), on the report split
        unless ``split`` names another.

        The report split is the task's, as defined now; a record written under another split definition has
        another task hash and is not current."""
        assert claim.task is not None
        values, _ = seed_values(get_task(claim.task), self.runs(claim, arm), claim.metric, split)
        return {seed: float(v) for seed, v in values}  # a fold task: each seed's mean over its (complete) folds

    def summary(self, claim: Claim, arm: Arm) -> Summary | None:
        """The arm's achieved metric in the claim's unit (mean, sample std, t-CI, n); None without records."""
        return aggregate(v * claim.scale for v in self.values(claim, arm).values())

    def chance(self, claim: Claim) -> float | None:
        """The chance floor on the claim's task and metric: the mean of the ``prior`` model's runs, if any."""
        if claim.task is None:
            return None
        split = get_task(claim.task).splits.report
        values = [r.metrics[split][claim.metric] for r in self.records(claim.task)
                  if r.spec.model == "prior" and claim.metric in r.metrics.get(split, {})]
        return sum(values) / len(values) if values else None

    @staticmethod
    def registered(claim: Claim, others: list[Claim]) -> list[float]:
        """The published values of other systems on the claim's task (or dataset) and metric, harness scale:
        every registered claim about another model, with its third-party reports (e.g. the ``mmsa`` reference
        table). Our own runs are not among them: scaled down here, they would make a sound claim look far off."""
        own = {arm.model for arm in claim.arms}
        where = claim.task or claim.dataset
        values = []
        for other in others:
            if (other.kind == "absolute" and other.value is not None and other.metric == claim.metric
                    and (other.task or other.dataset) == where and other.arm and other.arm.model not in own):
                values += [other.value / other.scale, *(r.value / other.scale for r in other.reports)]
        return values

    def arm_values(self, claim: Claim, arm: Arm, select: str, items: bool = True) -> ArmValues:
        """The arm's per-seed values on the report and selection splits and, with ``items`` and when every run
        kept per-item predictions, its per-seed item-bootstrap replicates (else ``items`` stays None)."""
        report, selected = self.values(claim, arm), self.values(claim, arm, select)
        runs = self.runs(claim, arm)
        if items and skip_reason(claim.metric):
            return ArmValues(report, selected, None, f"seed-only: {skip_reason(claim.metric)}")
        if not (items and runs and self.scorer.has_items(runs)):
            return ArmValues(report, selected)
        reps = self.scorer.seed_replicates(runs, claim.metric)
        return ArmValues(report, selected, dict(zip(reps.seeds, reps.replicates, strict=True)), reps.unit)

    def evidence(self, claim: Claim, others: list[Claim] | None = None, items: bool = True) -> Evidence:
        """What the rules read besides the claim; ``others``: the registered claims (default: every paper's);
        ``items``: whether to compute item-bootstrap replicates (only rules v3 read them)."""
        if others is None:
            others = self._all_claims()
        try:
            up = get_metric(claim.metric).higher_is_better
        except KeyError:
            up = True
        context = {"registered": self.registered(claim, others), "higher_is_better": up}
        blocked = unavailable(claim)
        if blocked or claim.task is None:
            return Evidence(unavailable=blocked, **context)
        select = get_task(claim.task).splits.select
        arms = {arm: self.arm_values(claim, arm, select, items) for arm in claim.arms}
        return Evidence(arms, chance=self.chance(claim), **context)

    def _all_claims(self) -> list[Claim]:
        """Every registered paper's claims; a paper whose claims do not load is left out with a warning (its own
        commands report the error), so that it cannot stop the verdicts of every other paper."""
        if self._claims is None:
            from harness.papers import REPRODUCTIONS

            self._claims = []
            for name in REPRODUCTIONS.names():
                try:
                    self._claims += REPRODUCTIONS.get(name).claims()
                except UserError as err:
                    log.warning("other systems' values: %s left out (%s)", name, err)
        return self._claims

    def judge(self, claim: Claim, rules: str = DEFAULT_RULES, others: list[Claim] | None = None) -> Verdict:
        """The claim's verdict under ``rules`` (see harness/claims/verdict.py)."""
        return judge(claim, self.evidence(claim, others, items=rules == "v3"), rules)


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
