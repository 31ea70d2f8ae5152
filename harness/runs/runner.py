"""Execute one RunSpec: load data, fit on train/select, score select and report, write the record."""

from __future__ import annotations

import logging
import os
import resource
import time
import traceback
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from harness.data.sources import DATASETS
from harness.data.store import dataset_available, load_dataset, read_manifest
from harness.errors import DataUnavailableError, UserError
from harness.metrics.registry import compute_metrics
from harness.models import FitInfo, NonFiniteError, get_model
from harness.robustness import evaluate_robustness
from harness.runs.provenance import provenance
from harness.runs.spec import RunSpec, make_spec
from harness.runs.store import SCHEMA_VERSION, read_record, record_path, write_record
from harness.seeding import seed_everything
from harness.tasks.registry import get_task
from harness.tasks.spec import TaskSpec

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def data_fingerprint(dataset: str) -> str:
    """Embedded data is hashed once per process; prepared data carries its hash in the manifest."""
    if DATASETS.get(dataset).embedded:
        return load_dataset(dataset).fingerprint()
    return read_manifest(dataset)["fingerprint"]


def plan_run(task: TaskSpec, model: str, seed: int, overrides: dict[str, str] | None = None) -> RunSpec:
    """Resolve names and config into a RunSpec; raises DataUnavailableError if data is not prepared."""
    model_def = get_model(model)
    if not model_def.supports(task):
        raise UserError(f"model {model!r} supports {', '.join(model_def.target_kinds)} tasks, but "
                        f"{task.name!r} is {task.target_kind}")
    if not dataset_available(task.dataset):
        raise DataUnavailableError(task.dataset, f"Run: {DATASETS.get(task.dataset).prepare_command()}")
    return make_spec(task, model_def, seed, data_fingerprint(task.dataset), overrides)


def _peak_rss_mb() -> float:
    # ru_maxrss is the process-lifetime peak in KiB on Linux: an upper bound for this run.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check_finite(outputs: dict[str, np.ndarray]) -> None:
    for split, out in outputs.items():
        if out.dtype.kind == "f" and not np.isfinite(out).all():
            raise NonFiniteError(f"predictions on {split!r} contain NaN/inf")


def execute(spec: RunSpec, results: Path, *, force: bool = False) -> dict[str, Any]:
    """Return the finished record for ``spec``, running it unless an ``ok`` record already exists.

    Failed records are kept for inspection but rerun on the next call: a failure is not a result.
    """
    path = record_path(results, spec)
    if path.exists() and not force:
        record = read_record(path)
        if record["status"] == "ok":
            record["cached"] = True
            return record
    task = get_task(spec.task)
    model_def = get_model(spec.model)
    data = load_dataset(task.dataset)
    config = model_def.config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.config.items()})
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "run_id": spec.run_id, "spec": spec.to_dict(),
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
        scored = {name: data.split(name) for name in (task.splits.select, task.splits.report)}
        t1 = time.perf_counter()
        outputs = {name: np.asarray(model.predict(split)) for name, split in scored.items()}
        predict_time = time.perf_counter() - t1
        _check_finite(outputs)
        info: FitInfo = getattr(model, "info", FitInfo())
        record["metrics"] = {name: compute_metrics(task.metrics, scored[name].labels, outputs[name])
                             for name in scored}
        record.update(
            status="ok", reason=None, best_epoch=info.best_epoch, history=info.history,
            n_parameters=info.n_parameters, device=info.device, precision=info.precision,
            fit_time_s=fit_time, predict_time_s=predict_time,
            latency_ms_per_sample=1000 * predict_time / max(1, sum(len(s) for s in scored.values())),
            **{k: info.extras.pop(k, None) for k in ("train_time_per_epoch_s", "cuda_max_allocated_mb")},
            extras=info.extras,
        )
        record["robustness"] = evaluate_robustness(model, task, scored[task.splits.report], spec.seed)
        predictions = {f"{name}.{key}": value for name, split in scored.items()
                       for key, value in (("ids", split.ids.astype(str)), ("labels", split.labels),
                                          ("output", outputs[name]))}
    except NonFiniteError as err:
        record.update(status="failed", reason=f"non-finite: {err}")
    except Exception as err:  # a crashed run is recorded, not lost; the sweep goes on
        log.warning("run %s failed: %s", spec.run_id, err)
        record.update(status="failed", reason=f"{type(err).__name__}: {err}",
                      traceback=traceback.format_exc(limit=8))
    record["wall_time_s"] = time.perf_counter() - t0
    record["peak_rss_mb"] = _peak_rss_mb()
    record["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun every rank runs; one writes the record
        write_record(path, record, predictions)
    record["cached"] = False
    return record
