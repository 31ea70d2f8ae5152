"""Run records written straight to a results folder (no training), for the site, figure and export tests: a few
models of ``digits-views`` with robustness scores and one failed run, every E-SSL claim's arms on its task, and a
stale record of ``synth-msa`` (an older task definition: never shown)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from harness.runs.record import SCHEMA_VERSION, RobustnessScores, RunRecord
from harness.runs.runner import plan_run
from harness.runs.store import record_path, write_record
from harness.tasks import get_task

PROVENANCE = {"git_commit": "0" * 40, "git_dirty": False, "python": "3.11.7", "platform": "Linux",
              "cpu": "test CPU", "gpu": None, "packages": {"torch": "2.13.0", "numpy": "2.0"}}
NEWEST = "2026-11-30T12:00:04+00:00"  # the newest ``finished`` written below: the site's "as of"


def _record(task_name: str, model: str, seed: int, score: float, overrides: dict[str, str] | None = None,
            failed: bool = False) -> RunRecord:
    task = get_task(task_name)
    spec = plan_run(task, model, seed, overrides or {})
    metrics = {split: {m: score for m in task.metrics} for split in (task.splits.select, task.splits.report)}
    robustness = RobustnessScores(
        metric=task.primary_metric, clean=score, zeros={m: score * 0.6 for m in task.modalities}, mask={},
        noise_levels=[0.0, 0.5, 1.0], noise=[score, score * 0.8, score * 0.5], noise_auc=score * 0.75)
    return RunRecord(
        schema_version=SCHEMA_VERSION, run_id=spec.run_id, spec=spec, status="failed" if failed else "ok",
        reason="RuntimeError: boom" if failed else None, task_display=task.display_name, synthetic=task.synthetic,
        primary_metric=task.primary_metric, report_split=task.splits.report, select_split=task.splits.select,
        started="2026-11-30T12:00:00+00:00", finished=f"2026-11-30T12:00:0{seed}+00:00", wall_time_s=2.0,
        peak_rss_mb=100.0, provenance=PROVENANCE, metrics={} if failed else metrics,
        history=[{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}], n_parameters=None if failed else 1000 * seed,
        fit_time_s=1.0 + seed, robustness=None if failed else robustness)


def write_results(results: Path) -> list[RunRecord]:
    """Write the records under ``results/runs`` and return them."""
    from harness.papers import REPRODUCTIONS

    rng = np.random.default_rng(0)
    records = [_record("digits-views", model, seed, base + 0.01 * seed)
               for model, base in (("linear-early", 0.9), ("mlp-early", 0.93), ("prior", 0.1)) for seed in range(3)]
    records.append(_record("digits-views", "fusion-token", 0, 0.0, failed=True))
    seen = set()
    for claim in REPRODUCTIONS.get("essl").claims():
        if claim.task is None:
            continue
        for arm in (*claim.arms, *([claim.floor] if claim.floor else [])):
            for seed in range(5):
                record = _record(claim.task, arm.model, seed, float(rng.uniform(0.6, 0.9)), dict(arm.overrides))
                if record.run_id not in seen:
                    seen.add(record.run_id)
                    records.append(record)
    stale = _record("synth-msa", "prior", 0, 1.0)  # a task whose only record is of an older definition
    spec = dataclasses.replace(stale.spec, task_hash="0" * 12)
    records.append(dataclasses.replace(stale, spec=spec, run_id=spec.run_id))
    for record in records:
        write_record(record_path(results, record.spec), record, None)
    return records
