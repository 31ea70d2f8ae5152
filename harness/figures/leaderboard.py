"""Leaderboard figure: each model's mean primary metric with the leaderboard's 95 % interval, every seed a point."""

from __future__ import annotations

from typing import Any

from harness.figures.style import MEAN, SEED_POINTS, ci_errors, figure_style
from harness.report.leaderboard import Leaderboard
from harness.runs.record import RunRecord


def seed_values(board: Leaderboard, records: list[RunRecord]) -> dict[str, list[float]]:
    """Model label -> per-seed report-split values of the primary metric, as the leaderboard aggregates them (a
    fold task: the mean over each seed's folds; ``harness.tasks.folds.seed_values``)."""
    from harness.tasks.folds import seed_values as per_seed

    runs: dict[str, list[RunRecord]] = {}
    for r in sorted((r for r in records if r.ok), key=lambda r: (r.spec.model_label, r.spec.seed, r.run_id)):
        runs.setdefault(r.spec.model_label, []).append(r)
    metric = board.task.primary_metric
    return {label: [v for _, v in per_seed(board.task, found, metric)[0]] for label, found in runs.items()}


def metric_label(board: Leaderboard) -> str:
    task = board.task
    return f"{task.primary_metric} on {task.splits.report} ({'higher' if task.higher_is_better else 'lower'} is better)"


def leaderboard_figure(board: Leaderboard, records: list[RunRecord]) -> Any:
    """Rank 1 at the top; error bars are the leaderboard's 95 % interval of the primary metric (``board.ci_note``
    says how it was computed: over seeds, or test items x seeds), none with one seed."""
    frame = board.frame
    seeds = seed_values(board, records)
    metric = board.task.primary_metric
    with figure_style() as plt:
        fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.26 * max(len(frame), 1)), layout="constrained")
        n = len(frame)
        rows = frame.to_dict("records")
        xs, ys = [], []
        for i, row in enumerate(rows):  # every seed, spread vertically around its model's row
            points = seeds.get(row["model"], [])
            xs += points
            ys += [n - 1 - i + ((-0.18 + 0.36 * k / (len(points) - 1)) if len(points) > 1 else 0.0)
                   for k in range(len(points))]
        ax.scatter(xs, ys, s=9, color=SEED_POINTS, zorder=2, linewidths=0, label="seed")
        means = [row[f"{metric}.mean"] for row in rows]
        errors = ci_errors(means, [r["primary.ci_low"] for r in rows], [r["primary.ci_high"] for r in rows])
        ax.errorbar(means, [n - 1 - i for i in range(n)], xerr=errors, fmt="o", color=MEAN, ms=4, capsize=2.5,
                    lw=1, zorder=3, label="mean, 95% interval")
        ax.set_yticks(range(n), list(reversed(list(frame["model"]))))
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel(metric_label(board))
        ax.set_title(f"{board.task.display_name} v{board.task.version}: leaderboard", loc="left")
        if n:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # never over a row
        ax.grid(axis="y", visible=False)
    return fig
