"""Runs: cache keys, records, atomic writes, failure handling and determinism."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from harness.models import MODELS, FitInfo, register_model
from harness.runs.runner import execute, plan_run
from harness.runs.store import load_predictions, record_path
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


@dataclass(frozen=True)
class _NaNConfig:
    pass


class _NaNModel:
    info = FitInfo()

    def fit(self, train, valid) -> None:
        pass

    def predict(self, split) -> np.ndarray:
        return np.full((len(split), 2), np.nan)


@pytest.fixture(scope="module", autouse=True)
def _nan_model():
    register_model("test-nan", config=_NaNConfig, description="emits NaN", target_kinds=("binary",))(
        lambda task, data, config, seed: _NaNModel())
    yield
    MODELS.remove("test-nan")


def test_run_id_changes_with_every_input() -> None:
    base = plan_run(TASK, "linear-early", 0)
    assert plan_run(TASK, "linear-early", 0).run_id == base.run_id
    others = [plan_run(TASK, "linear-early", 1), plan_run(TASK, "linear-late", 0),
              plan_run(TASK, "linear-early", 0, {"max_iter": "50"})]
    assert len({base.run_id, *(o.run_id for o in others)}) == 4


def test_record_has_schema_metrics_and_predictions(tmp_path: Path) -> None:
    spec = plan_run(TASK, "linear-early", 0)
    record = execute(spec, tmp_path)
    on_disk = json.loads(record_path(tmp_path, spec).read_text())
    assert on_disk["status"] == "ok" and on_disk["schema_version"] == 1
    assert set(on_disk["metrics"]) == {"valid", "test"}
    assert set(on_disk["metrics"]["test"]) == set(TASK.metrics)
    assert on_disk["provenance"]["packages"]["numpy"] == np.__version__
    predictions = load_predictions(record_path(tmp_path, spec))
    assert predictions["test.output"].shape == (114, 2)
    assert record["metrics"]["test"]["accuracy"] == pytest.approx(
        np.mean(predictions["test.output"].argmax(1) == predictions["test.labels"]))
    leftovers = [p for p in tmp_path.rglob(".*") if p.is_file()]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_finished_run_is_cached_unless_forced(tmp_path: Path) -> None:
    spec = plan_run(TASK, "prior", 0)
    first = execute(spec, tmp_path)
    assert not first["cached"]
    assert execute(spec, tmp_path)["cached"]
    assert not execute(spec, tmp_path, force=True)["cached"]


def test_nan_predictions_fail_the_run_and_are_not_cached(tmp_path: Path) -> None:
    spec = plan_run(TASK, "test-nan", 0)
    record = execute(spec, tmp_path)
    assert record["status"] == "failed" and "non-finite" in record["reason"]
    assert "metrics" not in record
    assert not execute(spec, tmp_path)["cached"], "a failed run must be retried, not served from cache"


def test_same_seed_gives_identical_metrics(tmp_path: Path) -> None:
    spec = plan_run(get_task("synth-msa"), "mlp-early", 3, {"max_iter": "20"})
    a = execute(spec, tmp_path / "a")["metrics"]
    b = execute(spec, tmp_path / "b")["metrics"]
    assert a == b
