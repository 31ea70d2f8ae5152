"""Paired comparison of two models on one task: over seeds and over the same test items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.metrics.statistics import mcnemar, paired_bootstrap, paired_t_test
from harness.runs.record import RunRecord
from harness.runs.store import load_predictions, record_path
from harness.tasks.spec import TaskSpec


def _by_seed(records: list[RunRecord], label: str) -> dict[int, RunRecord]:
    runs = {r.spec.seed: r for r in records if r.ok and r.spec.model_label == label}
    if not runs:
        labels = sorted({r.spec.model_label for r in records})
        raise UserError(f"no finished runs of {label!r}; models with runs on this task: {', '.join(labels)}")
    return runs


def compare_models(task: TaskSpec, records: list[RunRecord], a: str, b: str, results: Path,
                   seed: int = 0) -> pd.DataFrame:
    """One row over seeds (paired t) and one row per common seed (paired bootstrap, McNemar)."""
    runs_a, runs_b = _by_seed(records, a), _by_seed(records, b)
    seeds = sorted(set(runs_a) & set(runs_b))
    if not seeds:
        raise UserError(f"{a!r} and {b!r} share no seed; run both with the same --seeds")
    metric, split = get_metric(task.primary_metric), task.splits.report
    rows = []
    if len(seeds) >= 2:
        t = paired_t_test([runs_a[s].metrics[split][metric.name] for s in seeds],
                          [runs_b[s].metrics[split][metric.name] for s in seeds])
        rows.append({"scope": f"seeds {','.join(map(str, seeds))}", "method": t.method, "diff": t.diff,
                     "ci_low": t.ci_low, "ci_high": t.ci_high, "p_value": t.p_value, "n": t.n})
    for s in seeds:
        pa = load_predictions(record_path(results, runs_a[s].spec))
        pb = load_predictions(record_path(results, runs_b[s].spec))
        if not np.array_equal(pa[f"{split}.ids"], pb[f"{split}.ids"]):
            raise UserError(f"seed {s}: the two runs scored different {split} items; rerun on the same data")
        y = pa[f"{split}.labels"]
        boot = paired_bootstrap(metric.fn, y, pa[f"{split}.output"], pb[f"{split}.output"], seed=seed)
        rows.append({"scope": f"seed {s} items", "method": boot.method, "diff": boot.diff,
                     "ci_low": boot.ci_low, "ci_high": boot.ci_high, "p_value": boot.p_value, "n": boot.n})
        if task.target_kind in ("single-label", "binary"):
            test = mcnemar(pa[f"{split}.output"].argmax(1) == y, pb[f"{split}.output"].argmax(1) == y)
            rows.append({"scope": f"seed {s} items", "method": f"mcnemar-{test.method} (accuracy)",
                         "diff": test.diff, "ci_low": np.nan, "ci_high": np.nan, "p_value": test.p_value,
                         "n": test.n})
    return pd.DataFrame(rows)
