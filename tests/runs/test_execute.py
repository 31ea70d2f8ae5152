"""Sweep execution: worker processes give the same records as a serial run."""

from __future__ import annotations

from pathlib import Path

from harness.runs.runner import plan_run
from harness.sweep.execute import execute_all
from harness.tasks import get_task


def test_parallel_matches_serial(tmp_path: Path) -> None:
    task = get_task("breast-cancer-views")
    # seeds interleaved: workers run each (task, model)'s seeds together, records still come back in this order
    specs = [plan_run(task, model, seed) for seed in (0, 1) for model in ("prior", "linear-late")]
    serial = execute_all(specs, tmp_path / "serial", progress=False)
    parallel = execute_all(specs, tmp_path / "parallel", progress=False, jobs=2)
    assert [r.run_id for r in parallel] == [s.run_id for s in specs]
    assert [r.metrics for r in parallel] == [r.metrics for r in serial]
    assert all(r.cached for r in execute_all(specs, tmp_path / "parallel", progress=False, jobs=2))
