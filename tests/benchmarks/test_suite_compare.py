"""bench_default_suite's before/after comparison: records matched by (task, model, seed, fold), per-metric max
differences, identical runs counted, failed records ignored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_default_suite import compare, metrics_by_run  # noqa: E402


def record(folder: Path, name: str, seed: int, accuracy: float, noise: list[float], status: str = "ok") -> None:
    path = folder / "runs" / "t" / "m" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": status, "spec": {"task": "t", "model": "m", "seed": seed},
                                "metrics": {"test": {"accuracy": accuracy}, "valid": {"accuracy": 0.5}},
                                "robustness": {"zeros": {"a": 0.1}, "mask": {}, "noise": noise}}))


def test_compare_reports_max_difference_per_metric(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    record(before, "r0", 0, 0.90, [0.9, 0.8])
    record(before, "r1", 1, 0.80, [0.8, 0.7])
    record(after, "x0", 0, 0.90, [0.9, 0.8])  # another run id, same (task, model, seed): compared
    record(after, "x1", 1, 0.75, [0.8, 0.6])
    record(after, "x2", 2, 0.70, [0.7, 0.6], status="failed")
    result = compare(metrics_by_run(before), metrics_by_run(after))
    assert (result["runs_before"], result["runs_after"], result["runs_compared"], result["runs_identical"]) == (
        2, 2, 2, 1)
    diff = result["max_abs_diff"]
    assert abs(diff["test.accuracy"] - 0.05) < 1e-12 and diff["valid.accuracy"] == 0.0
    assert abs(diff["robustness.noise"] - 0.1) < 1e-12 and diff["robustness.zeros"] == 0.0
