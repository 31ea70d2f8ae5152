"""Paired comparison of two models on one task: over seeds and over the same test items.

Two tests are reported side by side. The paired t over seeds sees only seed-to-seed variation: for two
deterministic models every per-seed difference is the same and t is undefined (reported as such, never p = 0).
The item x seed paired bootstrap (``harness/metrics/bootstrap.py``) resamples the same test items (whole groups
where the data has them) for both models and adds the seed variation of the differences; it is what the verdict
line uses whenever both models kept per-item predictions. Per seed, the item-level paired bootstrap and (for
classification) McNemar's test follow.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import UserError
from harness.metrics.bootstrap import BOOTSTRAP_SEED, combined_interval, two_sided_p
from harness.metrics.registry import get_metric
from harness.metrics.statistics import mcnemar, paired_t_test
from harness.report.uncertainty import ItemScorer, skip_reason
from harness.runs.record import RunRecord
from harness.tasks.spec import TaskSpec

ITEM_TEST = "paired bootstrap (items x seeds)"


@dataclass(frozen=True)
class Comparison:
    """The rows of the comparison and the one-line verdict that names the test it rests on."""

    table: pd.DataFrame
    verdict: str


def _by_seed(records: list[RunRecord], label: str) -> dict[int, list[RunRecord]]:
    runs: dict[int, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.ok and r.spec.model_label == label:
            runs[r.spec.seed].append(r)
    if not runs:
        labels = sorted({r.spec.model_label for r in records})
        raise UserError(f"no finished runs of {label!r}; models with runs on this task: {', '.join(labels)}")
    return {s: sorted(rs, key=lambda r: (getattr(r.spec, "fold", None) or 0)) for s, rs in runs.items()}


def _row(scope: str, method: str, diff: float, low: float, high: float, p: float, n: int, note: str = "") -> dict:
    return {"scope": scope, "method": method, "diff": diff, "ci_low": low, "ci_high": high, "p_value": p, "n": n,
            "note": note}


def _conclusion(a: str, b: str, metric: str, up: bool, low: float, high: float, p: float, test: str) -> str:
    if math.isnan(low):
        return f"verdict ({test}): undetermined, the interval is undefined"
    if low > 0 or high < 0:
        better = a if (low > 0) == up else b
        return f"verdict ({test}, 95%): {better} is better on {metric} (p = {p:.3g})"
    return f"verdict ({test}, 95%): no significant difference on {metric} (p = {p:.3g})"


def compare_models(task: TaskSpec, records: list[RunRecord], a: str, b: str, results: Path,
                   seed: int = BOOTSTRAP_SEED, confidence: float = 0.95) -> Comparison:
    """Rows: the paired t over seeds, the item x seed paired bootstrap, then per seed the item-level paired
    bootstrap and McNemar (classification); plus the verdict line, which says which test it uses."""
    runs_a, runs_b = _by_seed(records, a), _by_seed(records, b)
    seeds = sorted(set(runs_a) & set(runs_b))
    if not seeds:
        raise UserError(f"{a!r} and {b!r} share no seed; run both with the same --seeds")
    metric = get_metric(task.primary_metric)
    split = task.splits.report
    per_seed = {s: (np.mean([r.metrics[split][metric.name] for r in runs_a[s]]),
                    np.mean([r.metrics[split][metric.name] for r in runs_b[s]])) for s in seeds}
    rows, verdict = [], ""
    scope = f"seeds {','.join(map(str, seeds))}"
    if len(seeds) >= 2:
        t = paired_t_test([per_seed[s][0] for s in seeds], [per_seed[s][1] for s in seeds], confidence)
        undefined = math.isnan(t.p_value)
        rows.append(_row(scope, "paired-t", t.diff, np.nan if undefined else t.ci_low,
                         np.nan if undefined else t.ci_high, t.p_value, t.n,
                         "n/a: zero variance (every seed's difference is the same)" if undefined else ""))
        if not undefined:
            verdict = _conclusion(a, b, metric.name, metric.higher_is_better, t.ci_low, t.ci_high, t.p_value,
                                  "paired t over seeds")
    scorer = ItemScorer(results, seed=seed)
    chosen_a = [r for s in seeds for r in runs_a[s]]
    chosen_b = [r for s in seeds for r in runs_b[s]]
    skipped = skip_reason(metric.name)
    if skipped or not (scorer.has_items(chosen_a) and scorer.has_items(chosen_b)):
        rows.append(_row(scope, ITEM_TEST, np.nan, np.nan, np.nan, np.nan, 0, f"n/a: {skipped}" if skipped else
                         "n/a: no per-item predictions (rerun those runs with --force to keep them)"))
        verdict = (verdict + "; item-level test not available") if verdict else \
            "verdict: undetermined (no t over seeds: one seed or zero variance; no per-item predictions kept)"
        return Comparison(pd.DataFrame(rows), verdict)
    for s in seeds:
        for ra, rb in zip(runs_a[s], runs_b[s], strict=True):
            if not np.array_equal(scorer.predictions(ra).ids, scorer.predictions(rb).ids):
                raise UserError(f"seed {s}: the two runs scored different {split} items; rerun on the same data")
    rep_a = scorer.seed_replicates(chosen_a, metric.name)
    rep_b = scorer.seed_replicates(chosen_b, metric.name)
    diffs, values = rep_a.replicates - rep_b.replicates, rep_a.values - rep_b.values
    both = combined_interval(diffs, values, confidence, seed)
    p = two_sided_p(both.draws)
    n_items = sum(len(scorer.predictions(r)) for r in runs_a[seeds[0]])
    rows.append(_row(scope, ITEM_TEST, float(values.mean()), both.low, both.high, p, n_items,
                     f"resampled: {rep_a.unit}; used by the verdict"))
    verdict = _conclusion(a, b, metric.name, metric.higher_is_better, both.low, both.high, p, ITEM_TEST)
    for i, s in enumerate(rep_a.seeds):
        one = combined_interval(diffs[i:i + 1], values[i:i + 1], confidence, seed)
        rows.append(_row(f"seed {s} items", "paired bootstrap (items)", float(values[i]), one.low, one.high,
                         two_sided_p(one.draws), n_items))
        if task.target_kind in ("single-label", "binary") and len(runs_a[s]) == 1:
            pa, pb = scorer.predictions(runs_a[s][0]), scorer.predictions(runs_b[s][0])
            test = mcnemar(pa.argmax() == pa.targets, pb.argmax() == pb.targets)
            rows.append(_row(f"seed {s} items", f"mcnemar-{test.method} (accuracy)", test.diff, np.nan, np.nan,
                             test.p_value, test.n))
    return Comparison(pd.DataFrame(rows), verdict)


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a plain-text table (undefined values shown as n/a) and its verdict line."""
    from tabulate import tabulate

    table = comparison.table.astype(object).where(comparison.table.notna(), None)
    return tabulate(table, headers="keys", showindex=False, floatfmt=".4f", missingval="n/a") + \
        f"\n{comparison.verdict}"
