"""``records predictions``: old records get their predictions file from the old <run_id>.npz, without retraining."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.cli import main
from harness.data.store import load_dataset
from harness.runs.backfill import backfill_predictions
from harness.runs.runner import execute, plan_run
from harness.runs.store import load_predictions, read_record, record_path
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


def _as_before_the_field(results: Path, model: str, seed: int) -> Path:
    """A record as written before ``predictions`` existed: no field, raw outputs of both splits in <run_id>.npz."""
    record = execute(plan_run(TASK, model, seed), results)
    path = record_path(results, record.spec)
    item = load_predictions(results, record)
    path.with_name(record.predictions).unlink()
    raw = json.loads(path.read_text())
    raw.pop("predictions")
    path.write_text(json.dumps(raw))
    split = load_dataset(TASK.dataset).split("test")
    np.savez_compressed(path.with_suffix(".npz"), **{"test.ids": split.ids.astype(str), "test.labels": split.labels,
                                                     "test.output": item.output().astype(np.float64)})
    return path


def test_old_records_get_a_predictions_file_and_name_it(tmp_path: Path, capsys) -> None:
    path = _as_before_the_field(tmp_path, "linear-early", 0)
    assert read_record(path).predictions is None
    assert main(["--results", str(tmp_path), "records", "predictions", "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and path.with_suffix(".npz").exists()
    report = backfill_predictions(tmp_path)
    assert len(report.written) == 1 and not report.refused
    record = read_record(path)
    assert record.predictions == f"{record.run_id}.pred.npz" and not path.with_suffix(".npz").exists()
    assert load_predictions(tmp_path, record).form == "labels"
    again = backfill_predictions(tmp_path)
    assert again.present == 1 and not again.written


def test_an_old_file_that_does_not_match_the_record_is_left_as_it_was(tmp_path: Path) -> None:
    path = _as_before_the_field(tmp_path, "linear-early", 1)
    with np.load(path.with_suffix(".npz")) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["test.output"] = arrays["test.output"][:, ::-1].copy()  # another model's output
    np.savez_compressed(path.with_suffix(".npz"), **arrays)
    report = backfill_predictions(tmp_path)
    assert not report.written and "does not reproduce the record's test metrics" in report.refused[0][1]
    assert read_record(path).predictions is None and path.with_suffix(".npz").exists()
    assert load_predictions(tmp_path, read_record(path)) is None
