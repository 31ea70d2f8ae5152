"""Leaderboards from run records: one row per model, mean ± sample std over seeds, ranked by the primary metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.metrics.bootstrap import N_RESAMPLES, combined_interval, exact_binomial
from harness.report.table import aggregate
from harness.report.uncertainty import ItemScorer, skip_reason
from harness.runs.record import RunRecord
from harness.tasks.folds import fold_spread, seed_values
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class Leaderboard:
    """Numeric table (``frame``: one row per model) plus what a reader needs to interpret it."""

    task: TaskSpec
    frame: pd.DataFrame
    failed: dict[str, list[str]]  # model label -> failure reasons
    ci_note: str = ""  # how the primary metric's interval was computed (every renderer prints it)

    @property
    def title(self) -> str:
        arrow = "higher" if self.task.higher_is_better else "lower"
        folds = f" of {self.task.folds.describe()} (mean over folds per seed)" if self.task.folds else ""
        return (f"{self.task.display_name} v{self.task.version}: {self.task.splits.report} split{folds}, "
                f"ranked by {self.task.primary_metric} ({arrow} is better)")


# How a row's interval of the primary metric was computed, and the mark its CI cell carries.
CI_ITEMS, CI_ONE_SEED, CI_SEEDS = "items+seeds", "items (1 seed)", "seeds only"
CI_EXACT, CI_CONSTANT = "exact binomial", "constant over resamples"
CI_MARKS = {CI_ITEMS: "", CI_ONE_SEED: "‡", CI_SEEDS: "†", CI_EXACT: "§", CI_CONSTANT: "¶"}
# Metrics that are a proportion of report items: at 0 or 1 every resample agrees, and Clopper-Pearson still applies.
PROPORTIONS = ("accuracy", "R@1", "R@5", "R@10", "Has0_acc_2", "Mult_acc_5", "Mult_acc_7")


def _primary_interval(task: TaskSpec, runs: list[RunRecord], scorer: ItemScorer | None, confidence: float,
                      seed_ci: tuple[float, float]) -> tuple[dict[str, Any], str]:
    """The row's interval (item x seed bootstrap when every run kept predictions, else the seed-only t-interval
    ``seed_ci``) and what was resampled ('' when nothing was)."""
    if scorer is None or skip_reason(task.primary_metric) or not scorer.has_items(runs):
        return {"primary.ci_low": seed_ci[0], "primary.ci_high": seed_ci[1], "primary.ci_method": CI_SEEDS}, ""
    reps = scorer.seed_replicates(runs, task.primary_metric)
    ci = combined_interval(reps.replicates, reps.values, confidence, scorer.seed)
    low, high, method = ci.low, ci.high, CI_ITEMS if ci.seeds > 1 else CI_ONE_SEED
    if low == high:  # every resample and seed agree: a score of 0 or 1, or a metric the items cannot move
        if task.primary_metric in PROPORTIONS and reps.values[0] in (0.0, 1.0):
            (low, high), method = exact_binomial(round(reps.values[0] * reps.n_items), reps.n_items, confidence), \
                CI_EXACT
        else:
            method = CI_CONSTANT
    return {"primary.ci_low": low, "primary.ci_high": high, "primary.ci_method": method}, reps.unit


def interval_note(metric: str, methods: set[str], units: set[str], confidence: float = 0.95,
                  scorer: ItemScorer | None = None) -> str:
    """The footer that states how the intervals of ``metric`` were computed (only the methods present)."""
    n_draws, seed = (scorer.n_resamples, scorer.seed) if scorer else (N_RESAMPLES, 0)
    lines = []
    if methods - {CI_SEEDS}:
        lines.append(f"{confidence:.0%} CI of {metric}: percentile interval of {n_draws} draws (bootstrap seed "
                     f"{seed}) of [the mean over seeds of {metric} on one bootstrap resample of the report "
                     f"{' / '.join(sorted(units))}, the same resample for every seed and model] + [the seeds' sample "
                     "sd / sqrt(n) x a Student-t(n-1) draw]: test-item and seed variation combined.")
    if CI_ONE_SEED in methods:
        lines.append(f"{CI_MARKS[CI_ONE_SEED]} one seed: test-item variation only (seed variation not estimable).")
    if CI_EXACT in methods:
        lines.append(f"{CI_MARKS[CI_EXACT]} every item scored alike (0 or 1), so every resample agrees: "
                     "Clopper-Pearson exact binomial interval over the report items instead.")
    if CI_CONSTANT in methods:
        lines.append(f"{CI_MARKS[CI_CONSTANT]} every resample gives the same value (the metric does not move with the "
                     "test items here, e.g. a constant predictor's F1 of 0): the interval is that value.")
    if CI_SEEDS in methods and skip_reason(metric):
        lines.append(f"{CI_MARKS[CI_SEEDS]} seed-only Student-t interval (test-item variation not included): "
                     f"{metric} is {skip_reason(metric)}.")
    elif CI_SEEDS in methods:
        lines.append(f"{CI_MARKS[CI_SEEDS]} no per-item predictions: seed-only Student-t interval (test-item "
                     "variation not included; rerun those runs with --force to keep predictions).")
    return " ".join(lines)


def build_leaderboard(task: TaskSpec, records: list[RunRecord], confidence: float = 0.95,
                      results: Path | None = None) -> Leaderboard:
    """Rows from ok records (pass current ones: ``current_records``); failed ones are listed, never scored.

    With ``results`` (where the records' predictions files are) the primary metric's interval covers test-item
    variation as well as seeds (``harness/metrics/bootstrap.py``); without, it is over seeds only (flagged)."""
    scorer = ItemScorer(results) if results is not None else None
    units: set[str] = set()
    by_model: dict[str, list[RunRecord]] = defaultdict(list)
    failed: dict[str, list[str]] = defaultdict(list)
    for record in records:
        label = record.spec.model_label
        if record.ok:
            by_model[label].append(record)
        else:
            fold = "" if record.spec.fold is None else f" fold {record.spec.fold}"
            failed[label].append(f"seed {record.spec.seed}{fold}: {record.reason}")
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
        kept = [r for r in runs if str(r.spec.seed) in row["seeds"].split(",")]
        interval, unit = _primary_interval(task, kept, scorer, confidence,
                                           (row["primary.ci_low"], row["primary.ci_high"]))
        row.update(interval)
        units |= {unit} - {""}
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.sort_values(f"{task.primary_metric}.mean", ascending=not task.higher_is_better,
                                  kind="stable").reset_index(drop=True)
        frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    note = interval_note(task.primary_metric, set(frame["primary.ci_method"]) if not frame.empty else set(), units,
                         confidence, scorer)
    return Leaderboard(task=task, frame=frame, failed=dict(failed), ci_note=note)
