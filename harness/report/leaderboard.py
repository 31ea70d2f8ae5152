"""Leaderboards from run records: one row per model, mean ± sample std over seeds, ranked by the primary metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.metrics.registry import get_metric
from harness.metrics.statistics import summarize
from harness.runs.spec import RunSpec
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
        return (f"{self.task.display_name} v{self.task.version}: {self.task.splits.report} split, "
                f"ranked by {self.task.primary_metric} ({arrow} is better)")


def current_records(task: TaskSpec, records: list[dict[str, Any]], fingerprint: str) -> list[dict[str, Any]]:
    """Records that belong to the task as defined now (same version, hash and data)."""
    return [r for r in records
            if r["spec"]["task"] == task.name and r["spec"]["task_version"] == task.version
            and r["spec"]["task_hash"] == task.spec_hash() and r["spec"]["data_fingerprint"] == fingerprint]


def build_leaderboard(task: TaskSpec, records: list[dict[str, Any]], confidence: float = 0.95) -> Leaderboard:
    split = task.splits.report
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    failed: dict[str, list[str]] = defaultdict(list)
    for record in records:
        label = RunSpec.from_dict(record["spec"]).model_label
        if record["status"] == "ok":
            by_model[label].append(record)
        else:
            failed[label].append(f"seed {record['spec']['seed']}: {record['reason']}")
    rows = []
    for label, runs in by_model.items():
        row: dict[str, Any] = {"model": label, "n": len(runs),
                               "seeds": ",".join(str(r["spec"]["seed"]) for r in runs)}
        for metric in task.metrics:
            values = np.array([r["metrics"][split][metric] for r in runs], dtype=float)
            stats = summarize(values, confidence)
            row[f"{metric}.mean"], row[f"{metric}.std"] = stats.mean, stats.std
            if metric == task.primary_metric:
                row["primary.ci_low"], row["primary.ci_high"] = stats.ci_low, stats.ci_high
        row["n_parameters"] = int(np.median([r["n_parameters"] for r in runs]))
        row["fit_time_s"] = float(np.mean([r["fit_time_s"] for r in runs]))
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values(f"{task.primary_metric}.mean", ascending=not task.higher_is_better,
                                  kind="stable").reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return Leaderboard(task=task, frame=frame, failed=dict(failed))


def metric_header(name: str) -> str:
    return f"{name} {'↑' if get_metric(name).higher_is_better else '↓'}"
