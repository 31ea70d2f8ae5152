"""Leaderboards from run records: one row per model, mean ± sample std over seeds, ranked by the primary metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.report.table import aggregate
from harness.runs.record import RunRecord
from harness.tasks.folds import fold_spread, seed_values
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class Leaderboard:
    """Numeric table (``frame``: one row per model) plus what a reader needs to interpret it."""

    task: TaskSpec
    frame: pd.DataFrame
    failed: dict[str, list[str]]  # model label -> failure reasons

    @property
    def title(self) -> str:
        arrow = "higher" if self.task.higher_is_better else "lower"
        folds = f" of {self.task.folds.describe()} (mean over folds per seed)" if self.task.folds else ""
        return (f"{self.task.display_name} v{self.task.version}: {self.task.splits.report} split{folds}, "
                f"ranked by {self.task.primary_metric} ({arrow} is better)")


def build_leaderboard(task: TaskSpec, records: list[RunRecord], confidence: float = 0.95) -> Leaderboard:
    """Rows from ok records (pass current ones: ``current_records``); failed ones are listed, never scored."""
    by_model: dict[str, list[RunRecord]] = defaultdict(list)
    failed: dict[str, list[str]] = defaultdict(list)
    for record in records:
        label = record.spec.model_label
        if record.ok:
            by_model[label].append(record)
        else:
            failed[label].append(f"seed {record.spec.seed}: {record.reason}")
    rows = []
    for label, runs in by_model.items():
        # One value per seed: the run's, or for a fold task the mean over its folds (harness.tasks.folds).
        per_seed = {metric: seed_values(task, runs, metric) for metric in task.metrics}
        seeds, incomplete = [s for s, _ in per_seed[task.primary_metric][0]], per_seed[task.primary_metric][1]
        if incomplete:
            failed[label].extend(incomplete)
        if not seeds:
            continue
        row: dict[str, Any] = {"model": label, "n": len(seeds), "seeds": ",".join(map(str, seeds))}
        if task.folds:
            row["primary.fold_std"] = fold_spread(task, runs, task.primary_metric)
        for metric in task.metrics:
            stats = aggregate((v for _, v in per_seed[metric][0]), confidence)
            row[f"{metric}.mean"], row[f"{metric}.std"] = stats.mean, stats.std
            if metric == task.primary_metric:
                row["primary.ci_low"], row["primary.ci_high"] = stats.ci_low, stats.ci_high
        row["n_parameters"] = int(np.median([r.n_parameters for r in runs]))
        row["fit_time_s"] = float(np.mean([r.fit_time_s for r in runs]))
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values(f"{task.primary_metric}.mean", ascending=not task.higher_is_better,
                                  kind="stable").reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return Leaderboard(task=task, frame=frame, failed=dict(failed))
