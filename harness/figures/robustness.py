"""Robustness figure: primary metric against Gaussian-noise level, and with one modality removed."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from harness.figures.style import MEAN, figure_style
from harness.report.table import aggregate
from harness.runs.record import RobustnessScores, RunRecord
from harness.tasks.spec import TaskSpec


def robustness_runs(task: TaskSpec, records: list[RunRecord]) -> dict[str, list[RobustnessScores]]:
    """Model label -> one set of robustness scores per seed (a fold task: averaged over the seed's folds, as the
    robustness table does), from ok runs that have them, in label order."""
    from harness.tasks.folds import robustness_per_seed

    runs: dict[str, list[RunRecord]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.spec.model_label, r.spec.seed, r.run_id)):
        if r.ok and r.robustness is not None:
            runs[r.spec.model_label].append(r)
    scores = {label: robustness_per_seed(task, found) for label, found in runs.items()}
    return {label: found for label, found in scores.items() if found}


def _mean_err(values: list[float]) -> tuple[float, float]:
    """Mean and the 95 % CI half-width over seeds (0 with one seed: no interval)."""
    s = aggregate(values)
    assert s is not None
    return s.mean, 0.0 if math.isnan(s.ci_low) else (s.ci_high - s.ci_low) / 2


def robustness_figure(task: TaskSpec, records: list[RunRecord]) -> Any | None:
    """None when no run has robustness scores. Error bars: 95 % Student-t CI over seeds."""
    runs = robustness_runs(task, records)
    if not runs:
        return None
    metric = task.primary_metric
    with figure_style() as plt:
        fig, (noise, removal) = plt.subplots(1, 2, figsize=(7.6, 1.2 + max(2.6, 0.3 * len(runs))),
                                             layout="constrained", width_ratios=(1.1, 1))
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, (label, scores) in enumerate(runs.items()):
            levels = scores[0].noise_levels
            stats = [_mean_err([s.noise[j] for s in scores]) for j in range(len(levels))]
            noise.errorbar(levels, [m for m, _ in stats], yerr=[e for _, e in stats], marker="o", ms=3, lw=1,
                           capsize=2, color=cycle[i % len(cycle)], ls="-" if i < len(cycle) else "--", label=label)
        noise.set_xlabel("Gaussian noise level (x each feature's sd)")
        noise.set_ylabel(f"{metric} on {task.splits.report}")
        noise.set_title("noise on all modalities", loc="left")
        noise.legend(fontsize=6, frameon=False, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.2))
        labels = list(runs)
        markers = "sD^v<>ph"
        rows = [len(labels) - 1 - i for i in range(len(labels))]
        clean = [_mean_err([s.clean for s in runs[label]]) for label in labels]
        removal.errorbar([m for m, _ in clean], rows, xerr=[e for _, e in clean], fmt="o", color=MEAN, ms=4,
                         capsize=2, lw=1, label="clean")
        for k, modality in enumerate(task.modalities):
            shown = [(y, label) for y, label in zip(rows, labels, strict=True)
                     if all(modality in s.zeros for s in runs[label])]
            stats = [_mean_err([s.zeros[modality] for s in runs[label]]) for _, label in shown]
            removal.errorbar([m for m, _ in stats], [y + 0.12 * (k + 1) / len(task.modalities) for y, _ in shown],
                             xerr=[e for _, e in stats], fmt=markers[k % len(markers)], ms=3.5, capsize=1.5, lw=0.8,
                             color=cycle[(k + 1) % len(cycle)], label=f"{modality} zeroed")
        removal.set_yticks(range(len(labels)), list(reversed(labels)))
        removal.set_xlabel(f"{metric} on {task.splits.report}")
        removal.set_title("one modality zeroed", loc="left")
        removal.legend(fontsize=6, frameon=False)
        removal.grid(axis="y", visible=False)
        fig.suptitle(f"{task.display_name} v{task.version}: robustness (mean, 95% CI over seeds)", x=0.01,
                     ha="left", fontsize=9)
    return fig
