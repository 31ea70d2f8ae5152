"""Per-item predictions files where the older tests were silent (issue 20, mutation testing of
harness/runs/predictions.py).

What a user relies on: the stored form is the smallest one that reproduces the run's metrics *exactly* (and the raw
output when none does), the forms rebuild the exact matrices the metric functions see, and a damaged or forged file
is refused with a message that names it, says what is wrong and how to recover.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from harness.data.dataset import Split
from harness.metrics.registry import compute_metrics
from harness.runs.predictions import MIN_GROUPS, ItemPredictions, PredictionsError, make_predictions, read_predictions
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")
HINT = "rerun that run with --force"


def _split(labels: np.ndarray) -> Split:
    n = len(labels)
    return Split(ids=np.arange(n).astype(str), labels=labels, features={"x": np.zeros((n, 1))}, groups={})


def _stored(kind: str, metrics: tuple[str, ...], labels: np.ndarray, output: np.ndarray,
            given: dict[str, float] | None = None) -> ItemPredictions:
    """make_predictions for a task of ``kind`` scored by ``metrics`` (``given``: the run's metrics, if not these)."""
    task = dataclasses.replace(TASK, target_kind=kind, metrics=metrics)
    return make_predictions(task, "test", _split(labels), output, given or compute_metrics(metrics, labels, output))


# ---- which form is stored ---------------------------------------------------------------------------------------

def test_a_perfect_retrieval_run_is_stored_as_ranks_not_as_labels() -> None:
    # Every match at rank 1: the argmax would reproduce the metrics too, but labels are the classification form.
    n = 12
    item = _stored("retrieval", ("R@1", "R@5", "median_rank"), np.arange(n), np.eye(n))
    assert (item.form, item.width) == ("ranks", n)
    assert item.stored.tolist() == [1] * n and item.stored.dtype == np.int8


def test_a_float64_output_exact_in_float32_is_stored_as_float32_scores() -> None:
    labels = np.linspace(-3, 3, 25)
    output = np.arange(25) / 4 - 3  # multiples of 1/4: exact in float32
    item = _stored("regression", ("MAE", "Corr", "Mult_acc_7"), labels, output)
    assert (item.form, item.width, item.stored.dtype) == ("scores", 0, np.float32)
    assert np.array_equal(item.stored, output)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_outputs_float32_cannot_hold_are_stored_as_they_are() -> None:
    rng = np.random.default_rng(0)
    labels = rng.normal(size=30)
    inexact = rng.normal(size=30)  # float32 rounding changes the MAE
    huge = inexact.copy()
    huge[0] = 1e300  # finite in float64, inf in float32: r2 refuses the float32 copy (ValueError)
    for output in (inexact, huge):
        item = _stored("regression", ("MAE", "r2"), labels, output)
        assert (item.form, item.width) == ("scores", 0)
        assert item.stored.dtype == np.float64 and np.array_equal(item.stored, output)


@pytest.mark.parametrize("output", [np.arange(20, dtype=np.float32) / 3, np.arange(20) % 7 - 3],
                         ids=["float32", "integer"])
def test_float32_and_integer_outputs_are_stored_unchanged(output: np.ndarray) -> None:
    item = _stored("regression", ("MAE", "Corr"), np.linspace(-3, 3, 20), output)
    assert (item.form, item.width) == ("scores", 0)
    assert item.stored.dtype == output.dtype and np.array_equal(item.stored, output)


@pytest.mark.parametrize(("kind", "metrics", "labels", "output"), [
    ("regression", ("MAE", "Corr"), np.linspace(-1, 1, 16), np.random.default_rng(1).normal(size=(16, 1))),
    ("multi-label", ("mAP",), np.eye(4, dtype=int)[np.arange(16) % 4], np.random.default_rng(2).normal(size=(16, 4))),
], ids=["regression-column", "multi-label"])
def test_two_dimensional_outputs_of_other_kinds_are_stored_as_scores(kind, metrics, labels, output) -> None:
    item = _stored(kind, metrics, labels, output)
    assert (item.form, item.width) == ("scores", 0) and np.allclose(item.stored, output, rtol=1e-6)


def test_when_no_form_reproduces_the_metrics_the_raw_output_is_kept() -> None:
    labels = np.arange(20) % 2
    output = np.random.default_rng(3).normal(size=(20, 2))
    # a nan the stored forms do not give (they give a number): not a match
    item = _stored("binary", ("accuracy",), labels, output, given={"accuracy": float("nan")})
    assert (item.form, item.width) == ("scores", 0) and item.stored is output


def test_a_metric_nan_on_both_sides_is_a_match() -> None:
    labels = np.zeros(10)  # no non-zero truth: Non0_acc_2 is nan for any output
    output = np.linspace(-1, 1, 10, dtype=np.float32)
    metrics = compute_metrics(("Non0_acc_2", "MAE"), labels, output)
    assert np.isnan(metrics["Non0_acc_2"])
    item = _stored("regression", ("Non0_acc_2", "MAE"), labels, output, given=metrics)
    assert item.form == "scores" and item.stored is output


# ---- what the stored forms rebuild --------------------------------------------------------------------------------

def test_labels_rebuild_a_float32_one_hot_matrix() -> None:
    item = ItemPredictions("test", np.array(["a", "b", "c"]), np.array([2, 0, 1]), np.array([2, 0, 2]), "labels", 3)
    out = item.output()
    assert out.dtype == np.float32 and out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 1]]
    assert item.argmax().tolist() == [2, 0, 2]


def test_ranks_rebuild_the_target_then_the_first_other_items_as_ties() -> None:
    width, rng = 40, np.random.default_rng(4)
    targets, ranks = rng.integers(0, width, 8), rng.integers(1, width + 1, 8)
    item = ItemPredictions("test", np.arange(8).astype(str), targets, ranks, "ranks", width)
    expected = np.zeros((8, width), dtype=np.float32)
    for row, (target, rank) in enumerate(zip(targets, ranks, strict=True)):
        others = [j for j in range(width) if j != target][: rank - 1]
        expected[row, [target, *others]] = 1.0
    out = item.output()
    assert out.dtype == np.float32 and np.array_equal(out, expected)
    assert compute_metrics(["median_rank"], targets, out)["median_rank"] == np.median(ranks)


def test_the_argmax_of_stored_scores_is_per_item() -> None:
    scores = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
    item = ItemPredictions("test", np.array(["a", "b", "c"]), np.array([1, 0, 2]), scores, "scores", 0)
    assert item.argmax().tolist() == [1, 0, 2]


def test_exactly_the_fewest_groups_worth_resampling_are_resampled() -> None:
    n = 2 * MIN_GROUPS
    dialogues = np.arange(n) % MIN_GROUPS
    item = ItemPredictions("test", np.arange(n).astype(str), np.zeros(n), np.zeros(n), "scores", 0,
                           {"dialogue": dialogues})
    unit = item.unit()
    assert unit is not None and unit[0] == "dialogue" and unit[1] is dialogues


def test_integers_are_kept_in_the_smallest_signed_type_that_holds_them() -> None:
    from harness.runs.predictions import _small_int

    cases = [([-128, 127], np.int8), ([0, 128], np.int16), ([-129, 0], np.int16), ([-32768, 32767], np.int16),
             ([0, 32768], np.int32), ([2**31], np.int64), ([5], np.int8)]
    for values, dtype in cases:
        small = _small_int(np.array(values, dtype=np.int64))
        assert small.dtype == dtype and small.tolist() == values, values
    empty = np.array([], dtype=np.int64)
    assert _small_int(empty) is empty
    floats = np.array([1.0, 2.0])
    assert _small_int(floats) is floats


# ---- files: every form round-trips; a bad file is refused saying what is wrong -----------------------------------

@pytest.mark.parametrize("kind", ["single-label", "retrieval", "regression", "multi-label"])
def test_every_form_round_trips_through_its_file(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(5)
    labels, output, metrics, form = {
        "single-label": (np.arange(20) % 3, rng.normal(size=(20, 3)), ("accuracy",), "labels"),
        "retrieval": (rng.permutation(20), rng.normal(size=(20, 20)), ("R@1", "median_rank"), "ranks"),
        "regression": (rng.normal(size=20), rng.normal(size=20), ("MAE",), "scores"),
        "multi-label": (np.eye(4, dtype=int)[np.arange(20) % 4], rng.normal(size=(20, 4)), ("mAP",), "scores"),
    }[kind]
    item = _stored(kind, metrics, labels, output)
    assert item.form == form
    path = tmp_path / "run.pred.npz"
    np.savez_compressed(path, **item.arrays())
    back = read_predictions(path)
    assert (back.split, back.form, back.width, back.groups) == ("test", item.form, item.width, {})
    for name in ("ids", "targets", "stored"):
        assert np.array_equal(getattr(back, name), getattr(item, name)), name
    assert np.array_equal(back.output(), item.output())


def test_a_file_of_one_item_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "run.pred.npz"
    np.savez(path, split="test", ids=np.array(["a"]), targets=np.array([1]), output=np.array([1]), form="labels",
             width=2)
    assert read_predictions(path).output().tolist() == [[0.0, 1.0]]


def _file(path: Path, **change) -> Path:
    arrays = {"split": np.array("test"), "ids": np.array(["a", "b", "c"]), "targets": np.array([0, 1, 1]),
              "output": np.array([[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]]), "form": np.array("scores"),
              "width": np.array(0)} | change
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


@pytest.mark.parametrize(("change", "problem"), [
    ({"form": None, "width": None}, "not a predictions file (no form, width)"),
    ({"form": np.array("probabilities")},
     "malformed predictions (form 'probabilities', 3 ids, item count differs in nothing)"),
    ({"ids": np.array([], dtype=str), "targets": np.array([]), "output": np.zeros((0, 2))},
     "malformed predictions (form 'scores', 0 ids, item count differs in nothing)"),
    ({"targets": np.array([0, 1])}, "malformed predictions (form 'scores', 3 ids, item count differs in targets)"),
    ({"ids": np.array([["a"], ["b"], ["c"]])},
     "malformed predictions (form 'scores', -1 ids, item count differs in targets, output)"),
    ({"group.dialogue": np.array([0, 1]), "group.speaker": np.array([0, 0, 1])},
     "malformed predictions (form 'scores', 3 ids, item count differs in group.dialogue)"),
], ids=["keys", "form", "empty", "targets", "ids-2d", "group"])
def test_a_forged_or_damaged_file_is_refused_saying_what_is_wrong(tmp_path: Path, change, problem: str) -> None:
    path = _file(tmp_path / "run.pred.npz", **change)
    with pytest.raises(PredictionsError) as err:
        read_predictions(path)
    assert str(err.value) == f"{path}: {problem}; {HINT}"


def test_the_groups_of_a_file_come_back_by_name(tmp_path: Path) -> None:
    speakers = np.array([0, 0, 1])
    back = read_predictions(_file(tmp_path / "run.pred.npz", **{"group.speaker": speakers}))
    assert list(back.groups) == ["speaker"] and np.array_equal(back.groups["speaker"], speakers)
    assert back.argmax().tolist() == [1, 0, 1] and len(back) == 3


# ---- records predictions: old records get their file from the old <run_id>.npz ------------------------------------

def _old_style(results: Path, seed: int, change=None, task=TASK) -> Path:
    """A prior run's record as written before ``predictions`` existed: no field, raw outputs in <run_id>.npz
    (``change`` edits those arrays; it may drop some)."""
    from harness.data.store import load_dataset
    from harness.runs.runner import execute, plan_run
    from harness.runs.store import load_predictions, record_path

    record = execute(plan_run(task, "prior", seed), results)
    path = record_path(results, record.spec)
    item = load_predictions(results, record)
    path.with_name(record.predictions).unlink()
    raw = json.loads(path.read_text())
    raw.pop("predictions")
    path.write_text(json.dumps(raw))
    split = load_dataset(task.dataset).split("test")
    arrays = {"test.ids": split.ids.astype(str), "test.labels": split.labels, "test.output": item.output() * 0.5}
    if change is not None:
        change(arrays)
    np.savez(path.with_suffix(".npz"), **arrays)
    return path


def _unprepared_task_record(results: Path) -> Path:
    """An old-style record of a task whose data is not prepared here (cifar10, on data that is not current)."""
    from harness.runs.runner import compute, plan_run
    from harness.runs.store import record_path, write_record

    record = compute(plan_run(TASK, "prior", 0)).record
    cifar = get_task("cifar10")
    spec = dataclasses.replace(record.spec, task=cifar.name, task_version=cifar.version, task_hash=cifar.spec_hash(),
                               data_fingerprint="0" * 16)
    path = record_path(results, spec)
    write_record(path, dataclasses.replace(record, spec=spec, run_id=spec.run_id, predictions=None), None)
    np.savez(path.with_suffix(".npz"), **{"test.ids": np.array(["a"]), "test.labels": np.array([0]),
                                          "test.output": np.zeros((1, 2))})
    return path


def test_records_predictions_converts_what_it_can_and_lists_the_rest(tmp_path: Path) -> None:
    from harness.runs.backfill import backfill_predictions
    from harness.runs.runner import execute, plan_run
    from harness.runs.store import load_predictions, read_record

    good = _old_style(tmp_path, 0)
    before = good.read_bytes()
    digits = _old_style(tmp_path, 0, task=get_task("digits-views"))  # a task listed after one without data
    no_npz = _old_style(tmp_path, 1)
    no_npz.with_suffix(".npz").unlink()
    no_split = _old_style(tmp_path, 2, lambda a: a.pop("test.output"))
    reordered = _old_style(tmp_path, 3, lambda a: a.update({"test.ids": a["test.ids"][::-1].copy()}))
    relabelled = _old_style(tmp_path, 4, lambda a: a.update({"test.labels": 1 - a["test.labels"]}))
    assert execute(plan_run(TASK, "prior", 5), tmp_path).predictions is not None  # already has its file
    pickled = _old_style(tmp_path, 6, lambda a: a.update({"test.ids": a["test.ids"].astype(object)}))
    nan = _old_style(tmp_path, 7)
    raw = json.loads(nan.read_text())
    raw["metrics"]["test"]["accuracy"] = float("nan")  # the output gives a number: not this run's
    nan.write_text(json.dumps(raw))
    unprepared = _unprepared_task_record(tmp_path)
    reasons = {
        no_npz: "no old predictions file (<run_id>.npz) to convert; rerun with --force",
        no_split: f"{no_split.stem}.npz unreadable or without the 'test' split ('test.output is not a file in the "
                  "archive')",
        reordered: "the 'test' items of the current data differ from the run's",
        relabelled: "the 'test' labels of the current data differ from the run's",
        pickled: f"{pickled.stem}.npz unreadable or without the 'test' split (Object arrays cannot be loaded when "
                 "allow_pickle=False)",
        nan: f"{nan.stem}.npz does not reproduce the record's test metrics",
    }
    dry = backfill_predictions(tmp_path, dry_run=True)
    assert dry.written == [p.with_name(f"{p.stem}.pred.npz") for p in (good, digits)] and dry.present == 1
    assert dry.refused == list(reasons.items())
    assert good.read_bytes() == before and good.with_suffix(".npz").exists() and not dry.written[0].exists()

    report = backfill_predictions(tmp_path)
    assert report.summary() == "\n".join(
        ["2 predictions file(s) written, 1 record(s) already had one, 6 left as they were"]
        + [f"  {path}: {why}" for path, why in reasons.items()])
    record = read_record(good)
    assert record.predictions == f"{good.stem}.pred.npz" and not good.with_suffix(".npz").exists()
    item = load_predictions(tmp_path, record)
    assert (item.form, item.split, item.width) == ("labels", "test", 2)
    assert {k: v for k, v in json.loads(good.read_text()).items() if k != "predictions"} == json.loads(before)
    assert load_predictions(tmp_path, read_record(digits)).width == 10
    for path in [*reasons, unprepared]:  # left as they were
        assert read_record(path).predictions is None, path
        assert path.with_suffix(".npz").exists() == (path != no_npz), path
    assert backfill_predictions(tmp_path).present == 3
