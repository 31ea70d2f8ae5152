"""What the site shows, read once: every paper's verdicts and every task's leaderboard, from records and claims."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from harness.claims.claim import Claim
from harness.claims.ledger import Ledger
from harness.claims.verdict import Verdict
from harness.errors import UserError
from harness.report.leaderboard import Leaderboard, build_leaderboard
from harness.runs.record import RunRecord
from harness.tasks.spec import TaskSpec

log = logging.getLogger(__name__)

# Verdict counts are shown by these labels, in this order (``label_of``).
COUNT_LABELS = ("reproduced", "supported", "not reproduced", "contradicted", "inconclusive", "implausible",
                "not comparable", "not run")


def label_of(outcome: str) -> str:
    """The counted label of a verdict (``not reproduced (above)`` -> ``not reproduced``)."""
    return next(label for label in COUNT_LABELS if outcome.startswith(label))


@dataclass(frozen=True)
class PaperResult:
    name: str
    claims: list[Claim]
    verdicts: list[Verdict]
    runs: dict[str, list[tuple[str, RunRecord]]]  # claim key -> (arm label, record) of every run it reads
    error: str = ""  # why the paper's claims did not load (then claims and verdicts are empty)

    @property
    def counts(self) -> dict[str, int]:
        """Verdict label -> claims, in :data:`COUNT_LABELS` order, labels with no claim left out."""
        found = Counter(label_of(v.outcome) for v in self.verdicts)
        return {label: found[label] for label in COUNT_LABELS if found[label]}

    def summary(self) -> str:
        """One line: ``essl: 9 claims: 1 supported, 2 inconclusive, 6 not run``."""
        if self.error:
            return f"{self.name}: claims do not load ({self.error})"
        counts = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        return f"{self.name}: {len(self.claims)} claims: {counts}"


@dataclass(frozen=True)
class TaskResult:
    task: TaskSpec
    board: Leaderboard
    records: list[RunRecord]  # current records, failed ones included (the leaderboard lists them, never scores)

    @property
    def ok_records(self) -> list[RunRecord]:
        return [r for r in self.records if r.ok]


def collect_papers(ledger: Ledger, rules: str) -> list[PaperResult]:
    """Every registered paper, by name; a paper whose claims do not load is kept with its error."""
    from harness.papers import REPRODUCTIONS

    papers = []
    for name in sorted(REPRODUCTIONS.names()):
        try:
            claims = REPRODUCTIONS.get(name).claims()
        except UserError as err:
            log.warning("%s: claims do not load: %s", name, err)
            papers.append(PaperResult(name, [], [], {}, error=str(err)))
            continue
        verdicts = [ledger.judge(c, rules) for c in claims]
        runs = {c.key: [(arm.label, r) for arm in (*c.arms, *([c.floor] if c.floor else []))
                        for r in ledger.runs(c, arm)] if c.task else [] for c in claims}
        papers.append(PaperResult(name, claims, verdicts, runs))
    return papers


def task_names(results: Path) -> list[str]:
    """Tasks with a folder of records under ``results/runs`` that are registered now (others are warned about)."""
    from harness.tasks import TASKS

    found = sorted(p.name for p in (Path(results) / "runs").glob("*") if p.is_dir())
    unknown = [name for name in found if name not in TASKS.names()]
    if unknown:
        log.warning("records of unregistered tasks left out of the site: %s", ", ".join(unknown))
    return [name for name in found if name in TASKS.names()]


def collect_tasks(results: Path) -> list[TaskResult]:
    """Each task with a folder of records: its leaderboard over the current records (``current_records``), failed
    listed; a task whose records are all stale keeps its page, which says it has no finished runs."""
    from harness.runs.store import current_records
    from harness.tasks import get_task

    tasks = []
    for name in task_names(results):
        task = get_task(name)
        records = current_records(results, task, with_failed=True)
        tasks.append(TaskResult(task, build_leaderboard(task, records, results=results), records))
    return tasks
