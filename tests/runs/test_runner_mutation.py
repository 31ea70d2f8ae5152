"""The runner's contract, driven by instant models (issue 20, mutation testing of harness/runs/runner.py).

What every number rests on: ``fit`` sees the train and select splits, never the report split; a record holds
exactly what the model reported and what was scored on each split; a crash or divergence, wherever it happens, is
a ``failed`` record that keeps nothing of the half-finished run; and a run is planned only for what it can run.
The models here answer at once, so the file stays fast under mutmut, which reruns it for every mutant.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import resource
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.data.store import load_dataset
from harness.errors import DataUnavailableError, UserError
from harness.metrics.registry import compute_metrics
from harness.models import MODELS, FitInfo, NonFiniteError, register_model
from harness.robustness import evaluate_robustness
from harness.runs.predictions import make_predictions
from harness.runs.record import SCHEMA_VERSION, RobustnessScores, RunRecord
from harness.runs.runner import compute, execute, plan_run, plan_runs
from harness.runs.store import read_record, record_path
from harness.seeding import seed_everything
from harness.tasks import get_task
from harness.tasks.fold_protocol import FoldProtocol
from harness.tasks.registry import ORIGINS

TASK = get_task("breast-cancer-views")
FIT_SLEEP_S = 0.05  # fit takes this long (asleep: no CPU), predicting takes next to nothing
SEEN: dict = {}
INFO = FitInfo(n_parameters=7, best_epoch=2, history=[{"epoch": 1.0, "loss": 0.5}, {"epoch": 2.0, "loss": 0.25}],
               extras={"train_time_per_epoch_s": 0.125, "cuda_max_allocated_mb": 3.5, "steps": 4})


@dataclass(frozen=True)
class _Config:
    sizes: tuple[int, ...] = (4, 2)
    rate: float = 0.5


def _score(split) -> np.ndarray:
    """A fixed function of the features: (n, 2) scores, different for every perturbation robustness applies."""
    total = sum(np.asarray(v, dtype=np.float64).reshape(len(split), -1).sum(axis=1) for v in split.features.values())
    return np.stack([np.zeros(len(split)), total - np.median(total)], axis=1)


class _Recorder:
    """Records what the runner hands it; fit sleeps a little so fit and predict times can be told apart."""

    info = INFO

    def __init__(self, task, data, config, seed) -> None:
        SEEN.update(build=(task.name, config, seed), data=data, draw=(np.random.random(), float(torch.rand(1))),
                    predict=[], predicted=[])

    def fit(self, train, select) -> None:
        SEEN.update(fit=(train.ids.copy(), select.ids.copy()), threads=torch.get_num_threads())
        time.sleep(FIT_SLEEP_S)

    def predict(self, split) -> np.ndarray:
        SEEN["predict"].append(split.ids.copy())
        SEEN["predicted"].append(_digest(split))
        return _score(split)


def _digest(split) -> str:
    """What a prediction depends on: the items and their features."""
    digest = hashlib.sha256(np.asarray(split.ids).astype(str).tobytes())
    for name in sorted(split.features):
        digest.update(np.ascontiguousarray(split.features[name]).tobytes())
    return digest.hexdigest()


class _NoInfo:
    """A model that reports nothing about its training: the record gets FitInfo's defaults."""

    def __init__(self, task, data, config, seed) -> None:
        pass

    def fit(self, train, select) -> None:
        pass

    def predict(self, split) -> np.ndarray:
        return _score(split)


class _Crash(_Recorder):
    def fit(self, train, select) -> None:
        raise RuntimeError("boom")


class _DeepCrash(_Recorder):
    """Crashes 13 calls deep (two alternating functions: Python folds only repeats of one and the same frame)."""

    def fit(self, train, select) -> None:
        self._down(12)

    def _down(self, depth: int) -> None:
        if not depth:
            raise RuntimeError("deep")
        self._across(depth - 1)

    def _across(self, depth: int) -> None:
        self._down(depth)


class _Diverge(_Recorder):
    def fit(self, train, select) -> None:
        raise NonFiniteError("loss is nan at epoch 3")


class _InfOnReport(_Recorder):
    def predict(self, split) -> np.ndarray:
        out = _score(split)
        if len(split) == len(load_dataset(TASK.dataset).split("test")):
            out[0, 1] = np.inf
        return out


class _OnGpu(_Recorder):
    info = dataclasses.replace(INFO, device="cuda:1", precision="bf16")


MODELS_HERE = {"test-recorder": _Recorder, "test-crash": _Crash, "test-diverge": _Diverge,
               "test-inf-report": _InfOnReport, "test-on-gpu": _OnGpu, "test-no-info": _NoInfo,
               "test-deep-crash": _DeepCrash}


@pytest.fixture(scope="module", autouse=True)
def _test_models():
    for name, cls in MODELS_HERE.items():
        register_model(name, config=_Config, description=name, target_kinds=("binary", "single-label"))(
            lambda task, data, config, seed, cls=cls: cls(task, data, config, seed))
    yield
    for name in MODELS_HERE:
        MODELS.remove(name)


@pytest.fixture(autouse=True)
def _fresh():
    SEEN.clear()


def _ids(name: str) -> np.ndarray:
    return load_dataset(TASK.dataset).split(name).ids


# ---- what fit sees, what is scored -------------------------------------------------------------------------------

def test_fit_gets_the_train_and_select_splits_never_the_report_split(tmp_path: Path) -> None:
    assert (TASK.splits.train, TASK.splits.select, TASK.splits.report) == ("train", "valid", "test")
    execute(plan_run(TASK, "test-recorder", 3), tmp_path)
    train, select = SEEN["fit"]
    assert np.array_equal(train, _ids("train")) and np.array_equal(select, _ids("valid"))
    assert not set(select) & set(_ids("test")) and not set(train) & set(_ids("test"))
    assert np.array_equal(SEEN["predict"][0], _ids("valid")) and np.array_equal(SEEN["predict"][1], _ids("test"))


def test_the_model_is_built_seeded_with_its_seed_and_its_config(tmp_path: Path) -> None:
    compute(plan_run(TASK, "test-recorder", 3))
    assert SEEN["build"] == ("breast-cancer-views", _Config(), 3)  # the stored list is a tuple again
    assert np.array_equal(SEEN["data"].split("test").ids, _ids("test"))
    seed_everything(3)
    assert SEEN["draw"] == (np.random.random(), float(torch.rand(1)))


def test_an_ok_record_holds_what_the_model_reported_and_what_was_scored(tmp_path: Path) -> None:
    spec = plan_run(TASK, "test-recorder", 3)
    before, started_at = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    outcome = compute(spec)
    elapsed, after = time.perf_counter() - started_at, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record, predicted = outcome.record, list(SEEN["predicted"])
    data = load_dataset(TASK.dataset)
    valid, test = data.split("valid"), data.split("test")
    assert predicted.count(_digest(test)) == 1, "the clean report split is predicted once (robustness reuses it)"
    assert (record.status, record.reason, record.traceback) == ("ok", None, None)
    assert (record.schema_version, record.run_id, record.spec) == (SCHEMA_VERSION, spec.run_id, spec)
    assert (record.task_display, record.synthetic, record.primary_metric) == (
        TASK.display_name, TASK.synthetic, TASK.primary_metric)
    assert (record.report_split, record.select_split) == ("test", "valid")
    assert record.metrics == {"valid": compute_metrics(TASK.metrics, valid.labels, _score(valid)),
                              "test": compute_metrics(TASK.metrics, test.labels, _score(test))}
    assert (record.best_epoch, record.history, record.n_parameters) == (2, INFO.history, 7)
    assert (record.device, record.precision) == ("cpu", "fp32")
    assert (record.train_time_per_epoch_s, record.cuda_max_allocated_mb, record.extras) == (0.125, 3.5, {"steps": 4})
    assert INFO.extras == {"train_time_per_epoch_s": 0.125, "cuda_max_allocated_mb": 3.5, "steps": 4}, "not emptied"
    expected = evaluate_robustness(_Recorder(TASK, data, _Config(), 3), TASK, test, 3, clean=_score(test))
    assert record.robustness == RobustnessScores(**expected)
    assert record.predictions == f"{spec.run_id}.pred.npz"
    item = make_predictions(TASK, "test", test, _score(test), record.metrics["test"])
    assert (outcome.predictions.form, outcome.predictions.split) == (item.form, "test")
    assert np.array_equal(outcome.predictions.stored, item.stored)
    assert np.array_equal(outcome.predictions.ids, test.ids.astype(str))
    assert record.provenance["distributed"] == {"world_size": 1, "backend": None}
    assert FIT_SLEEP_S <= record.fit_time_s < record.wall_time_s <= elapsed
    assert 0 <= record.predict_time_s < FIT_SLEEP_S
    assert record.latency_ms_per_sample == 1000 * record.predict_time_s / (len(valid) + len(test))
    assert before / 1024 <= record.peak_rss_mb <= after / 1024
    started, finished = datetime.fromisoformat(record.started), datetime.fromisoformat(record.finished)
    assert started.tzinfo is not None and 0 <= (finished - started).total_seconds() <= record.wall_time_s + 1


def test_a_cpu_run_computes_on_one_thread_and_a_gpu_run_keeps_its_threads(tmp_path: Path) -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert compute(plan_run(TASK, "test-recorder", 0)).record.ok and SEEN["threads"] == 1
        gpu = dataclasses.replace(plan_run(TASK, "test-on-gpu", 0), device_class="cuda", precision="bf16")
        record = compute(gpu).record
        assert record.ok and (record.device, record.precision) == ("cuda:1", "bf16") and SEEN["threads"] == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_a_model_that_reports_nothing_gets_the_default_training_report(tmp_path: Path) -> None:
    record = compute(plan_run(TASK, "test-no-info", 0)).record
    assert record.ok and (record.device, record.precision, record.n_parameters) == ("cpu", "fp32", 0)
    assert (record.best_epoch, record.history, record.extras) == (None, [], {})


def test_a_fold_run_fits_and_scores_that_folds_splits(tmp_path: Path) -> None:
    from harness.tasks import TASKS
    from harness.tasks.folds import task_view

    task = dataclasses.replace(TASK, name="breast-cancer-folds", folds=FoldProtocol(k=3, split="train"))
    TASKS.add(task.name, task, replace=True)
    try:
        record = compute(plan_run(task, "test-recorder", 0, fold=1)).record
    finally:
        TASKS.remove(task.name)
    view = task_view(task, load_dataset(TASK.dataset), 1)
    assert record.ok and record.spec.fold == 1
    assert np.array_equal(SEEN["fit"][0], view.split("train").ids)
    assert np.array_equal(SEEN["fit"][1], view.split("valid").ids)
    report = view.split("test")
    assert record.metrics["test"] == compute_metrics(TASK.metrics, report.labels, _score(report))


# ---- failures: a failed record, nothing of the half-finished run ---------------------------------------------------

_KEPT = {"schema_version", "run_id", "spec", "task_display", "synthetic", "primary_metric", "report_split",
         "select_split", "started", "provenance", "status", "reason", "traceback", "wall_time_s", "peak_rss_mb",
         "finished"}


def _only_the_failure_is_kept(record: RunRecord) -> None:
    assert record.status == "failed" and not record.ok
    for f in dataclasses.fields(RunRecord):
        if f.name not in _KEPT and f.name != "cached":
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            assert getattr(record, f.name) == default, f.name
    assert record.provenance["distributed"] == {"world_size": 1, "backend": None}
    assert record.wall_time_s >= 0 and record.peak_rss_mb > 0 and record.finished >= record.started


def test_a_crash_is_a_failed_record_with_its_reason_and_traceback(tmp_path: Path, caplog) -> None:
    spec = plan_run(TASK, "test-crash", 0)
    with caplog.at_level(logging.WARNING, logger="harness.runs.runner"):
        outcome = compute(spec)
    record = outcome.record
    _only_the_failure_is_kept(record)
    assert record.reason == "RuntimeError: boom" and outcome.predictions is None
    assert record.traceback.startswith("Traceback (most recent call last):")
    assert record.traceback.endswith('raise RuntimeError("boom")\nRuntimeError: boom\n')
    assert f"run {spec.run_id} failed: boom" in caplog.messages


def test_a_deep_crash_keeps_the_eight_outermost_frames(tmp_path: Path) -> None:
    # a record stays small whatever the depth of the crash; the outermost frames say which call of the runner failed
    record = compute(plan_run(TASK, "test-deep-crash", 0)).record
    frames = [line for line in record.traceback.splitlines() if line.startswith('  File "')]
    assert len(frames) == 8 and "harness/runs/runner.py" in frames[0] and record.reason == "RuntimeError: deep"


def test_a_failure_after_scoring_keeps_none_of_the_scores(tmp_path: Path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr("harness.runs.runner.make_predictions", fail)
    outcome = compute(plan_run(TASK, "test-recorder", 0))
    _only_the_failure_is_kept(outcome.record)
    assert outcome.record.reason == "OSError: no space left on device" and outcome.predictions is None


def test_a_divergence_is_a_failed_record_saying_non_finite(tmp_path: Path) -> None:
    outcome = compute(plan_run(TASK, "test-diverge", 0))
    _only_the_failure_is_kept(outcome.record)
    assert outcome.record.reason == "non-finite: loss is nan at epoch 3" and outcome.record.traceback is None
    outcome = compute(plan_run(TASK, "test-inf-report", 0))
    _only_the_failure_is_kept(outcome.record)
    assert outcome.record.reason == "non-finite: predictions on 'test' contain NaN/inf"
    assert outcome.predictions is None


def test_a_record_the_schema_refuses_keeps_only_the_failure(tmp_path: Path, monkeypatch, caplog) -> None:
    spec = plan_run(TASK, "test-recorder", 0)
    monkeypatch.setattr(_Recorder, "info", dataclasses.replace(INFO, extras={"steps": np.int64(4)}))
    with caplog.at_level(logging.WARNING, logger="harness.runs.runner"):
        outcome = compute(spec)
    _only_the_failure_is_kept(outcome.record)
    assert outcome.record.reason.startswith("record schema: not JSON-encodable")
    assert outcome.record.traceback is None and outcome.predictions is None
    assert any(m.startswith(f"run {spec.run_id} failed: its record does not match the schema (not JSON")
               for m in caplog.messages)


def test_a_model_that_ran_elsewhere_than_planned_fails_saying_where(tmp_path: Path) -> None:
    record = compute(plan_run(TASK, "test-on-gpu", 0)).record
    _only_the_failure_is_kept(record)
    assert record.reason == ("UserError: the model ran on cuda/bf16 but the run was planned (and keyed) as "
                             "cpu/fp32")
    cpu_bf16 = dataclasses.replace(plan_run(TASK, "test-recorder", 0), precision="bf16")
    assert compute(cpu_bf16).record.reason == ("UserError: the model ran on cpu/fp32 but the run was planned (and "
                                               "keyed) as cpu/bf16")


# ---- execute: who writes, what is served from the cache ------------------------------------------------------------

def test_only_rank_zero_writes_the_record(tmp_path: Path, monkeypatch) -> None:
    spec = plan_run(TASK, "test-recorder", 0)
    monkeypatch.setenv("RANK", "1")
    assert execute(spec, tmp_path).ok and not record_path(tmp_path, spec).exists()
    monkeypatch.setenv("RANK", "0")
    assert execute(spec, tmp_path).ok and read_record(record_path(tmp_path, spec)).ok
    monkeypatch.delenv("RANK")
    assert execute(spec, tmp_path).cached


def test_a_stored_failure_is_run_again_and_replaced(tmp_path: Path, monkeypatch) -> None:
    spec = plan_run(TASK, "test-recorder", 0)
    monkeypatch.setattr("harness.runs.runner.make_predictions", lambda *a, **k: 1 / 0)
    assert execute(spec, tmp_path).status == "failed"
    monkeypatch.undo()
    again = execute(spec, tmp_path)
    assert again.ok and not again.cached and "fit" in SEEN and read_record(record_path(tmp_path, spec)).ok


def test_a_stored_ok_record_is_served_unless_forced(tmp_path: Path) -> None:
    from harness.runs.runner import cached_record

    spec = plan_run(TASK, "test-recorder", 0)
    assert cached_record(spec, tmp_path) is None
    stored = execute(spec, tmp_path)
    served = cached_record(spec, tmp_path)
    assert served == stored and served.cached
    assert cached_record(spec, tmp_path, force=True) is None


def test_an_unmigrated_v1_record_is_named_with_the_command_to_migrate(tmp_path: Path) -> None:
    from harness.runs.migrate import legacy_path

    spec = plan_run(TASK, "test-recorder", 0)
    legacy = legacy_path(record_path(tmp_path, spec), spec)
    legacy.parent.mkdir(parents=True)
    legacy.write_text("{}")
    with pytest.raises(UserError) as err:
        execute(spec, tmp_path)
    assert str(err.value) == (f"{legacy} is this run's schema-1 record; migrate the results first: "
                              f"mmrepro records migrate --results {tmp_path}")
    assert "fit" not in SEEN, "nothing was trained"


# ---- planning: only runs that can run ------------------------------------------------------------------------------

def test_plan_refusals_say_what_is_wrong() -> None:
    def refusal(task, model="test-recorder", fold=None, error=UserError) -> str:
        with pytest.raises(error) as err:
            plan_run(task, model, 0, fold=fold)
        return str(err.value)

    assert refusal(TASK, fold=0) == "task 'breast-cancer-views' has no folds; got fold 0"
    folded = dataclasses.replace(TASK, folds=FoldProtocol(k=3, split="train"))
    for fold in (None, 3, -1):
        assert refusal(folded, fold=fold) == f"task 'breast-cancer-views' has 3 folds (0..2); got fold {fold}"
    assert refusal(get_task("synth-msa")) == ("model 'test-recorder' supports binary, single-label tasks, but "
                                              "'synth-msa' is regression")
    made_here = dataclasses.replace(TASK, name="made-here", dataset="no-such-data")  # from no task file
    assert refusal(made_here).startswith("task 'made-here' (built in): unknown dataset 'no-such-data'")
    unknown = refusal(dataclasses.replace(TASK, dataset="no-such-data"))
    assert unknown.startswith(f"task 'breast-cancer-views' ({ORIGINS['breast-cancer-views']}): unknown dataset "
                              "'no-such-data'")
    assert unknown.endswith("Prepare your own data first with: mmrepro data prepare no-such-data --from DIR "
                            "--format generic")
    message = refusal(get_task("cifar10"), model="linear-early", error=DataUnavailableError)
    assert message.startswith("dataset 'cifar10' is not prepared here. Run: mmrepro data prepare cifar10")


def test_a_fold_task_plans_one_run_per_fold() -> None:
    folded = dataclasses.replace(TASK, folds=FoldProtocol(k=3, split="train"))
    assert [(spec.fold, spec.seed) for spec in plan_runs(folded, "test-recorder", 4)] == [(0, 4), (1, 4), (2, 4)]
    assert [spec.fold for spec in plan_runs(TASK, "test-recorder", 0, {"rate": "0.25"})] == [None]
    assert plan_runs(TASK, "test-recorder", 0, {"rate": "0.25"})[0].config == {"sizes": [4, 2], "rate": 0.25}


def test_the_task_is_checked_against_the_data_version_the_run_is_keyed_by(monkeypatch) -> None:
    checked = []
    monkeypatch.setattr("harness.runs.runner.check_task_data", lambda task, fingerprint: checked.append(fingerprint))
    spec = plan_run(TASK, "test-recorder", 0)
    assert checked == [spec.data_fingerprint] and len(spec.data_fingerprint) == 16
