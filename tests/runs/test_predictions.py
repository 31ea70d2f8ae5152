"""Per-item predictions beside a record: smallest exact form, round trip, and clear errors for a bad file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from harness.data.dataset import Split
from harness.errors import UserError
from harness.metrics.registry import compute_metrics
from harness.runs.predictions import PredictionsError, make_predictions, read_predictions
from harness.runs.runner import compute, execute, plan_run
from harness.runs.store import load_predictions, record_path, write_record
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


def _split(labels: np.ndarray, groups: dict | None = None) -> Split:
    n = len(labels)
    return Split(ids=np.arange(n).astype(str), labels=labels, features={"x": np.zeros((n, 1))}, groups=groups or {})


@pytest.mark.parametrize(("kind", "metrics", "form"), [
    ("single-label", ("accuracy", "macro_f1"), "labels"),
    ("binary", ("f1_pos", "precision_pos"), "labels"),
    ("retrieval", ("R@1", "R@5", "median_rank"), "ranks"),
    ("regression", ("MAE", "Corr", "Mult_acc_7"), "scores"),
])
def test_the_stored_form_reproduces_every_metric_exactly(kind: str, metrics: tuple, form: str) -> None:
    rng = np.random.default_rng(0)
    n = 60
    if kind == "regression":
        labels, output = rng.normal(size=n), rng.normal(size=n)
    elif kind == "retrieval":
        labels, output = rng.permutation(n), np.round(rng.normal(size=(n, n)), 1)  # ties among scores
    else:
        c = 2 if kind == "binary" else 4
        labels, output = rng.integers(0, c, n), rng.normal(size=(n, c))
    task = dataclasses.replace(TASK, target_kind=kind, metrics=metrics)
    expected = compute_metrics(metrics, labels, output)
    item = make_predictions(task, "test", _split(labels), output, expected)
    assert item.form == form
    assert compute_metrics(metrics, item.targets, item.output()) == expected
    if form != "scores":
        assert item.stored.ndim == 1 and item.stored.dtype.itemsize <= 2


def test_round_trip_keeps_ids_targets_output_and_groups(tmp_path: Path) -> None:
    labels = np.arange(24) % 3 % 2
    groups = {"dialogue": (np.arange(24) // 2).astype(str), "turn": np.arange(24) % 2}  # 12 dialogues of 2 turns
    output = np.eye(2)[np.arange(24) % 2]
    item = make_predictions(TASK, "test", _split(labels, groups), output, compute_metrics(TASK.metrics, labels, output))
    path = tmp_path / "x.pred.npz"
    np.savez_compressed(path, **item.arrays())
    back = read_predictions(path)
    assert back.split == "test" and back.form == item.form and back.width == 2
    assert np.array_equal(back.ids, item.ids) and np.array_equal(back.stored, item.stored)
    assert list(back.groups) == ["dialogue"], "turn is a position, not a resampling unit"
    assert back.unit()[0] == "dialogue"


def test_a_run_writes_its_predictions_before_the_record_and_names_them(tmp_path: Path) -> None:
    spec = plan_run(TASK, "prior", 0)
    outcome = compute(spec)
    assert outcome.record.predictions == f"{spec.run_id}.pred.npz"
    assert len(outcome.predictions) == 114
    path = record_path(tmp_path, spec)
    with pytest.raises(ValueError, match="is not there"):  # a record naming an absent file is never written
        write_record(path, outcome.record, None)
    assert not path.exists()
    write_record(path, outcome.record, outcome.predictions)
    assert json.loads(path.read_text())["predictions"] == path.with_suffix("").name + ".pred.npz"
    item = load_predictions(tmp_path, outcome.record)
    assert np.array_equal(item.argmax(), outcome.predictions.argmax())


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: p.unlink(), "predictions file named by its run record is missing"),
    (lambda p: p.write_bytes(p.read_bytes()[:40]), "predictions unreadable"),
    (lambda p: np.savez(p.open("wb"), output=np.zeros(3)), "not a predictions file"),
])
def test_a_missing_or_corrupt_predictions_file_is_an_error_naming_it(tmp_path: Path, damage, message) -> None:
    record = execute(plan_run(TASK, "prior", 0), tmp_path)
    path = record_path(tmp_path, record.spec).with_name(record.predictions)
    damage(path)
    with pytest.raises(PredictionsError, match=rf"{path.name}: .*{message}.*--force"):
        load_predictions(tmp_path, record)
    assert issubclass(PredictionsError, UserError)


def test_a_record_naming_another_file_is_refused(tmp_path: Path) -> None:
    record = execute(plan_run(TASK, "prior", 0), tmp_path)
    with pytest.raises(PredictionsError, match="expected"):
        load_predictions(tmp_path, dataclasses.replace(record, predictions="../../other.pred.npz"))


def test_a_record_without_predictions_has_none() -> None:
    record = compute(plan_run(TASK, "prior", 0)).record
    assert load_predictions(Path("/nonexistent"), dataclasses.replace(record, predictions=None)) is None


def test_groups_are_resampled_only_when_there_are_enough_of_them() -> None:
    from harness.runs.predictions import MIN_GROUPS, ItemPredictions

    n = 40
    one_speaker = {"speaker": np.zeros(n, dtype=int), "pair": np.arange(n) // 2}
    item = ItemPredictions("test", np.arange(n).astype(str), np.zeros(n), np.zeros(n), "scores", 0, one_speaker)
    assert item.unit()[0] == "pair", "a single speaker says nothing about speaker variation: next field"
    few = dataclasses.replace(item, groups={"dialogue": np.arange(n) % (MIN_GROUPS - 1)})
    assert few.unit() is None
