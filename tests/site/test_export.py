"""``mmrepro export --to mlflow``: every record as an MLflow run in a local file store, written once."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed (pip install 'mmrepro[mlflow]')")


@pytest.fixture
def results(site_results: Path, tmp_path: Path) -> Path:
    """The digits-views records, one of them with a predictions file beside it."""
    copy = tmp_path / "results"
    shutil.copytree(site_results / "runs" / "digits-views", copy / "runs" / "digits-views")
    record = next((copy / "runs" / "digits-views" / "linear-early").glob("*.json"))
    np.savez(record.with_name(f"{record.stem}.npz"), ids=np.arange(3), output=np.zeros((3, 10)))
    return copy


def _runs(store: Path):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.resolve().as_uri())
    experiment = client.get_experiment_by_name("mmrepro/digits-views")
    return client, client.search_runs([experiment.experiment_id], max_results=1000)


def test_export_writes_every_run_once(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "mlruns"
    args = ["-q", "--results", str(results), "export", "--to", "mlflow", "--tracking-uri", str(store)]
    assert main(args) == 0
    assert "exported 10 runs" in capsys.readouterr().out
    client, runs = _runs(store)
    assert len(runs) == 10
    by_id = {r.data.tags["mmrepro.run_id"]: r for r in runs}
    ok = next(r for r in runs if r.data.params["model"] == "linear-early" and r.data.params["seed"] == "1")
    assert ok.info.status == "FINISHED"
    assert ok.data.params["task"] == "digits-views"
    assert ok.data.metrics["test.accuracy"] == pytest.approx(0.91)
    assert ok.data.tags["provenance.packages.torch"] == "2.13.0"
    assert [m.step for m in client.get_metric_history(ok.info.run_id, "history.loss")] == [1, 2]
    failed = [r for r in runs if r.info.status == "FAILED"]
    assert len(failed) == 1 and failed[0].data.tags["mmrepro.reason"] == "RuntimeError: boom"
    with_predictions = [r for r in by_id.values() if client.list_artifacts(r.info.run_id, "predictions")]
    assert len(with_predictions) == 1

    assert main(args) == 0  # idempotent: nothing added the second time
    assert "exported 0 runs to" in (printed := capsys.readouterr().out) and "(10 already there)" in printed
    assert len(_runs(store)[1]) == 10


def test_an_interrupted_export_is_completed(results: Path, tmp_path: Path) -> None:
    """A run left without its mmrepro.run_id tag (export killed mid-run) is replaced, not kept twice."""
    from harness.export.mlflow_store import export_records
    from harness.runs.store import iter_records

    store = tmp_path / "mlruns"
    found = list(iter_records(results))
    export_records(found[:3], str(store))
    client, runs = _runs(store)
    client.delete_tag(runs[0].info.run_id, "mmrepro.run_id")
    result = export_records(found, str(store))
    assert (result.written, result.skipped, result.replaced) == (8, 2, 1)
    assert sorted(r.data.tags["mmrepro.run_id"] for r in _runs(store)[1]) == sorted(r.run_id for _, r in found)


def test_metric_names_are_made_valid_for_mlflow() -> None:
    from harness.export.mlflow_store import mlflow_key, tracking_uri

    assert mlflow_key("test.R@1") == "test.R_at_1"
    assert mlflow_key("valid.median_rank") == "valid.median_rank"
    assert tracking_uri("sqlite:///x.db") == "sqlite:///x.db"
    assert tracking_uri("mlruns").startswith("file:///")
