"""Run records -> MLflow runs: params = task, seed and resolved config; metrics = every split's metrics (and the
per-epoch history as steps); tags = provenance; artifacts = the predictions files beside the record.

Idempotent: each exported run carries the tag ``mmrepro.run_id``, set last, so a second export skips what is
there, and a run left without it by an interrupted export is deleted and written again.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.runs.record import RunRecord

RUN_ID_TAG = "mmrepro.run_id"
MAX_VALUE = 6000  # MLflow's longest param value
_BATCH = 100  # params/tags per log_batch call (MLflow's limit; metrics allow 1000)


@dataclass(frozen=True)
class ExportResult:
    written: int
    skipped: int  # already in the store
    replaced: int  # incomplete runs of an interrupted export, deleted and written again
    experiments: list[str]


def mlflow_key(name: str) -> str:
    """A metric, param or tag name MLflow accepts (letters, digits, ``_-. :/``): ``R@1`` -> ``R_at_1``."""
    return re.sub(r"[^\w\-. :/]", "_", name.replace("@", "_at_"))


def tracking_uri(target: str) -> str:
    """A folder becomes a file store URI; anything with a scheme (``http://``, ``sqlite:///``) is kept."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not re.match(r"^[a-zA-Z]:[\\/]", target):
        return target
    return Path(target).resolve().as_uri()


def _millis(stamp: str) -> int | None:
    try:
        return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text[:MAX_VALUE]


def params(record: RunRecord) -> dict[str, str]:
    spec = record.spec
    found = {"task": spec.task, "task_version": str(spec.task_version), "model": spec.model,
             "model_label": spec.model_label, "seed": str(spec.seed), "precision": spec.precision,
             "device_class": spec.device_class}
    found |= {mlflow_key(f"config.{k}"): _text(v) for k, v in sorted(spec.config.items())}
    return found


def metrics(record: RunRecord) -> list[tuple[str, float, int]]:
    """(key, value, step): ``<split>.<metric>`` at step 0, cost figures, then the history's numbers per epoch."""
    found = [(mlflow_key(f"{split}.{name}"), float(value), 0)
             for split, values in sorted(record.metrics.items()) for name, value in sorted(values.items())]
    for name in ("wall_time_s", "fit_time_s", "predict_time_s", "latency_ms_per_sample", "peak_rss_mb",
                 "n_parameters", "train_time_per_epoch_s"):
        value = getattr(record, name)
        if value is not None:
            found.append((name, float(value), 0))
    for step, entry in enumerate(record.history):
        epoch = entry.get("epoch", step)
        for name, value in sorted(entry.items()):
            if name != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append((mlflow_key(f"history.{name}"), float(value), int(epoch)))
    return [(k, v, s) for k, v, s in found if math.isfinite(v)]


def tags(record: RunRecord) -> dict[str, str]:
    p = record.provenance
    found = {"mlflow.runName": f"{record.spec.model_label} seed {record.spec.seed}",
             "mmrepro.status": record.status, "mmrepro.task_hash": record.spec.task_hash,
             "mmrepro.data_fingerprint": record.spec.data_fingerprint, "mmrepro.synthetic": str(record.synthetic),
             "mmrepro.report_split": record.report_split, "mmrepro.select_split": record.select_split}
    if record.reason:
        found["mmrepro.reason"] = record.reason
    for key in ("git_commit", "git_dirty", "python", "platform", "cpu", "gpu"):
        if p.get(key) is not None:
            found[f"provenance.{key}"] = _text(p[key])
    for package, version in sorted((p.get("packages") or {}).items()):
        if version is not None:
            found[mlflow_key(f"provenance.packages.{package}")] = str(version)
    for key in ("device", "precision"):
        if getattr(record, key) is not None:
            found[f"mmrepro.{key}"] = str(getattr(record, key))
    return found


def artifacts(record: RunRecord, record_file: Path) -> list[Path]:
    """The per-item predictions beside the record: the file the record names, and raw outputs of older runs."""
    names = [record.predictions] if record.predictions else []
    names.append(f"{record.run_id}.npz")
    return [record_file.with_name(n) for n in dict.fromkeys(names) if record_file.with_name(n).is_file()]


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _client(target: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise UserError("mlflow is not installed; install the extra: pip install 'mmrepro[mlflow]'") from None
    uri = tracking_uri(target)
    if uri.startswith("file:"):  # MLflow 3 asks for this opt-in to write its (maintenance-mode) file store
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=uri)


def _experiment(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found is not None else client.create_experiment(name)


def _existing(client: Any, experiment: str) -> tuple[set[str], list[str]]:
    """mmrepro run ids already exported, and MLflow runs an interrupted export left without that tag."""
    done, partial, token = set(), [], None
    while True:
        page = client.search_runs([experiment], max_results=1000, page_token=token)
        for run in page:
            tag = run.data.tags.get(RUN_ID_TAG)
            if tag:
                done.add(tag)
            else:
                partial.append(run.info.run_id)
        token = page.token
        if not token:
            return done, partial


def _write(client: Any, experiment: str, record: RunRecord, record_file: Path) -> None:
    from mlflow.entities import Metric, Param, RunTag

    start = _millis(record.started)
    run = client.create_run(experiment, start_time=start, tags={"mlflow.runName": tags(record)["mlflow.runName"]})
    rid = run.info.run_id
    for chunk in _chunks([Param(k, v) for k, v in params(record).items()], _BATCH):
        client.log_batch(rid, params=chunk)
    stamp = _millis(record.finished) or start or 0
    for chunk in _chunks([Metric(k, v, stamp, s) for k, v, s in metrics(record)], 1000):
        client.log_batch(rid, metrics=chunk)
    for chunk in _chunks([RunTag(k, v) for k, v in tags(record).items()], _BATCH):
        client.log_batch(rid, tags=chunk)
    for path in artifacts(record, record_file):
        client.log_artifact(rid, str(path), artifact_path="predictions")
    client.set_terminated(rid, "FINISHED" if record.ok else "FAILED", end_time=_millis(record.finished))
    client.set_tag(rid, RUN_ID_TAG, record.run_id)  # last: its presence means the run is complete


def export_records(found: Iterable[tuple[Path, RunRecord]], target: str, prefix: str = "mmrepro") -> ExportResult:
    """Export ``(record file, record)`` pairs to the tracking store ``target``: one experiment per task,
    ``<prefix>/<task>``."""
    client = _client(target)
    state: dict[str, tuple[str, set[str]]] = {}
    written = skipped = replaced = 0
    for path, record in found:
        name = f"{prefix}/{record.spec.task}"
        if name not in state:
            experiment = _experiment(client, name)
            done, partial = _existing(client, experiment)
            for leftover in partial:
                client.delete_run(leftover)
            replaced += len(partial)
            state[name] = (experiment, done)
        experiment, done = state[name]
        if record.run_id in done:
            skipped += 1
            continue
        _write(client, experiment, record, path)
        done.add(record.run_id)
        written += 1
    return ExportResult(written, skipped, replaced, sorted(state))
