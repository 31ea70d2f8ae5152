"""Execute one RunSpec: load data, fit on train/select, score select and report, write the record."""

from __future__ import annotations

import dataclasses
import logging
import os
import resource
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from harness.data.sources import DATASETS
from harness.data.store import dataset_available, load_dataset
from harness.errors import DataUnavailableError, UserError
from harness.metrics.registry import compute_metrics
from harness.models import FitInfo, NonFiniteError, get_model
from harness.robustness import evaluate_robustness
from harness.runs.migrate import legacy_path
from harness.runs.predictions import ItemPredictions, make_predictions
from harness.runs.provenance import distributed, provenance
from harness.runs.record import SCHEMA_VERSION, RecordError, RobustnessScores, RunRecord, schema_problem
from harness.runs.spec import RunSpec, make_spec
from harness.runs.store import data_fingerprint, predictions_name, read_record, record_path, write_record
from harness.seeding import seed_everything
from harness.tasks.checks import check_task_data, unknown_dataset
from harness.tasks.folds import task_view
from harness.tasks.registry import ORIGINS, get_task
from harness.tasks.spec import TaskSpec

log = logging.getLogger(__name__)
# What a failed record keeps (besides its timings): the run's identity and the failure, no partial results.
_FAILED_KEEPS = {"schema_version", "run_id", "spec", "task_display", "synthetic", "primary_metric",
                 "report_split", "select_split", "started", "provenance", "status", "reason", "traceback"}


def plan_runs(task: TaskSpec, model: str, seed: int, overrides: dict[str, str] | None = None) -> list[RunSpec]:
    """The runs of (task, model, seed): one, or one per fold of a task with a fold protocol."""
    folds = range(task.folds.k) if task.folds else [None]
    return [plan_run(task, model, seed, overrides, fold=fold) for fold in folds]


def plan_run(task: TaskSpec, model: str, seed: int, overrides: dict[str, str] | None = None,
             fold: int | None = None) -> RunSpec:
    """Resolve names and config into a RunSpec; raises DataUnavailableError if data is not prepared."""
    if (task.folds is None) != (fold is None) or (fold is not None and not 0 <= fold < task.folds.k):
        raise UserError(f"task {task.name!r} " + (f"has {task.folds.k} folds (0..{task.folds.k - 1}); got fold "
                                                  f"{fold!r}" if task.folds else f"has no folds; got fold {fold!r}"))
    model_def = get_model(model)
    if not model_def.supports(task):
        raise UserError(f"model {model!r} supports {', '.join(model_def.target_kinds)} tasks, but "
                        f"{task.name!r} is {task.target_kind}")
    if task.dataset not in DATASETS:  # a task file naming no known dataset: say which file
        raise UserError(f"task {task.name!r} ({ORIGINS.get(task.name, 'built in')}): {unknown_dataset(task)}")
    if not dataset_available(task.dataset):
        raise DataUnavailableError(task.dataset, f"Run: {DATASETS.get(task.dataset).prepare_command()}")
    fingerprint = data_fingerprint(task.dataset)
    check_task_data(task, fingerprint)  # modalities, splits, train/report overlap, class ids: before any fit
    return make_spec(task, model_def, seed, fingerprint, overrides, fold)


def _peak_rss_mb() -> float:
    # ru_maxrss is the process-lifetime peak in KiB on Linux: an upper bound for this run.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check_finite(outputs: dict[str, np.ndarray]) -> None:
    for split, out in outputs.items():
        if out.dtype.kind == "f" and not np.isfinite(out).all():
            raise NonFiniteError(f"predictions on {split!r} contain NaN/inf")


def _planned_mismatch(spec: RunSpec, info: FitInfo) -> str:
    """Why the model's own report contradicts the device class or precision in its run id ('' when it agrees)."""
    ran = (info.device.split(":")[0], info.precision)
    if ran != (spec.device_class, spec.precision):
        return (f"the model ran on {ran[0]}/{ran[1]} but the run was planned (and keyed) as "
                f"{spec.device_class}/{spec.precision}")
    return ""


@dataclass(frozen=True)
class RunOutcome:
    """A run as values: its record and, when it finished ok, its per-item predictions (what the store writes).
    Picklable, so a remote worker can hand it back and the driver alone writes it."""

    record: RunRecord
    predictions: ItemPredictions | None  # the report split's (``harness/runs/predictions.py``), named by the record


def execute(spec: RunSpec, results: Path, *, force: bool = False) -> RunRecord:
    """Return the finished record for ``spec``, running it unless an ``ok`` record already exists.

    Failed records are kept for inspection but rerun on the next call: a failure is not a result.
    """
    cached = cached_record(spec, results, force=force)
    if cached is not None:
        return cached
    outcome = compute(spec)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun every rank runs; one writes the record
        write_record(record_path(results, spec), outcome.record, outcome.predictions)
    return outcome.record


def cached_record(spec: RunSpec, results: Path, *, force: bool = False) -> RunRecord | None:
    """The stored ``ok`` record of ``spec`` (marked cached), or None when the run must be computed.

    Raises :class:`RecordError` for an unusable stored record and UserError for an unmigrated schema-1 one.
    """
    path = record_path(results, spec)
    if path.exists() and not force:
        try:
            cached = read_record(path)
        except RecordError as err:
            raise RecordError(path, f"{err.problem}; rerun with --force to replace it") from err
        if cached.ok:
            return dataclasses.replace(cached, cached=True)
    elif not force and legacy_path(path, spec).exists():  # do not retrain what a migration would find
        raise UserError(f"{legacy_path(path, spec)} is this run's schema-1 record; migrate the results first: "
                        f"mmrepro records migrate --results {results}")
    return None


def compute(spec: RunSpec) -> RunOutcome:
    """Run ``spec`` here and now, writing nothing: a crash or divergence is a ``failed`` record, not an error.

    A CPU run computes on one thread (torch and BLAS): thread count changes float reduction order, so a run in
    this process (``--jobs 1``), in a worker of ``--jobs N`` or on a bigger machine must give the same numbers,
    as its run id promises. Parallelism comes from running several runs at once.
    """
    if spec.device_class != "cpu":
        return _compute(spec)
    from harness.train.device import one_thread  # torch: imported only when a run is computed

    with one_thread():
        return _compute(spec)


def _compute(spec: RunSpec) -> RunOutcome:
    task = get_task(spec.task)
    model_def = get_model(spec.model)
    data = task_view(task, load_dataset(task.dataset), spec.fold)  # a fold task: that fold's splits
    config = model_def.config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.config.items()})
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    fields: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "run_id": spec.run_id, "spec": spec,
        "task_display": task.display_name, "synthetic": task.synthetic,
        "primary_metric": task.primary_metric, "report_split": task.splits.report,
        "select_split": task.splits.select, "started": started.isoformat(timespec="seconds"),
        "provenance": provenance(),
    }
    predictions = None
    try:
        seed_everything(spec.seed)
        model = model_def.build(task, data, config, spec.seed)
        train, select = data.split(task.splits.train), data.split(task.splits.select)
        model.fit(train, select)
        fit_time = time.perf_counter() - t0
        info: FitInfo = getattr(model, "info", FitInfo())
        mismatch = _planned_mismatch(spec, info)
        if mismatch:
            raise UserError(mismatch)
        scored = {name: data.split(name) for name in (task.splits.select, task.splits.report)}
        t1 = time.perf_counter()
        outputs = {name: np.asarray(model.predict(split)) for name, split in scored.items()}
        predict_time = time.perf_counter() - t1
        _check_finite(outputs)
        extras = dict(info.extras)
        fields.update(
            metrics={name: compute_metrics(task.metrics, scored[name].labels, outputs[name]) for name in scored},
            status="ok", reason=None, best_epoch=info.best_epoch, history=info.history,
            n_parameters=info.n_parameters, device=info.device, precision=info.precision,
            fit_time_s=fit_time, predict_time_s=predict_time,
            latency_ms_per_sample=1000 * predict_time / max(1, sum(len(s) for s in scored.values())),
            **{k: extras.pop(k, None) for k in ("train_time_per_epoch_s", "cuda_max_allocated_mb")},
            extras=extras,
            robustness=RobustnessScores(**evaluate_robustness(model, task, scored[task.splits.report], spec.seed,
                                                              clean=outputs[task.splits.report])),
        )
        report = task.splits.report
        predictions = make_predictions(task, report, scored[report], outputs[report], fields["metrics"][report])
        fields["predictions"] = predictions_name(spec.run_id)
    except NonFiniteError as err:
        fields.update(status="failed", reason=f"non-finite: {err}")
    except Exception as err:  # a crashed run is recorded, not lost; the sweep goes on
        log.warning("run %s failed: %s", spec.run_id, err)
        fields.update(status="failed", reason=f"{type(err).__name__}: {err}",
                      traceback=traceback.format_exc(limit=8))
    if fields["status"] == "failed":  # nothing of a half-finished run is kept but the failure
        fields = {k: v for k, v in fields.items() if k in _FAILED_KEEPS}
    fields["provenance"] = fields["provenance"] | {"distributed": distributed()}
    fields.update(wall_time_s=time.perf_counter() - t0, peak_rss_mb=_peak_rss_mb(),
                  finished=datetime.now(UTC).isoformat(timespec="seconds"))
    record = RunRecord(**fields)
    problem = schema_problem(record)
    if problem:  # a model reported what the schema cannot hold: a failed run, never an unreadable record
        log.warning("run %s failed: its record does not match the schema (%s)", spec.run_id, problem)
        kept = {k: v for k, v in fields.items() if k in _FAILED_KEEPS | {"wall_time_s", "peak_rss_mb", "finished"}}
        record = RunRecord(**kept | {"status": "failed", "reason": f"record schema: {problem}", "traceback": None})
        predictions = None
    return RunOutcome(record, predictions)
