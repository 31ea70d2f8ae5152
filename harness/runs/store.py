"""Run records on disk: one JSON per run plus its per-item predictions, written atomically.

Layout: ``<results>/runs/<task>/<model>/<run_id>.json`` and, named by its ``predictions`` field,
``<run_id>.pred.npz`` beside it (``harness/runs/predictions.py``; records written before that field existed may
have an older ``<run_id>.npz``, which nothing reads). The predictions are written first and the JSON last, so
a record never names a file that is not there; every write goes to a temporary file in the same folder and is
renamed into place, so a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np

from harness.data.sources import DATASETS
from harness.data.store import dataset_available, load_dataset, read_manifest
from harness.errors import UserError
from harness.names import child
from harness.runs.predictions import SUFFIX, ItemPredictions, PredictionsError, read_predictions
from harness.runs.record import RecordError, RunRecord, dump_record, parse_record
from harness.runs.spec import RunSpec
from harness.tasks.spec import TaskSpec

log = logging.getLogger(__name__)


def record_path(results: Path, spec: RunSpec) -> Path:
    """Where the run's record goes; the task and model names are checked so it stays under ``results/runs``."""
    return child(child(Path(results) / "runs", "task", spec.task), "model", spec.model) / f"{spec.run_id}.json"


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary file in the same folder, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Generated tables (leaderboards, reproductions, robustness): a concurrent reader never sees half a file."""
    try:
        atomic_write(Path(path), lambda f: f.write(text.encode()))
    except OSError as err:
        raise UserError(f"cannot write {path} ({err.strerror or err}); give a writable --results folder") from None


def check_writable(results: Path) -> None:
    """Refuse an unusable ``--results`` before any run starts, not after the compute is spent."""
    runs = Path(results) / "runs"
    try:
        runs.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=runs)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UserError(f"--results {results}: cannot write run records there ({err.strerror or err}); "
                        "nothing was run. Give a writable folder") from None


def predictions_name(run_id: str) -> str:
    return f"{run_id}{SUFFIX}"


def write_record(path: Path, record: RunRecord, predictions: ItemPredictions | None) -> None:
    """Write the predictions (if any) and then the record, each atomically. The record names the predictions
    file when there is one (given now, or already beside it): a record never names a file that is not there."""
    pred_path = Path(path).with_name(predictions_name(record.run_id))
    given = predictions is not None
    if record.predictions not in (None, pred_path.name) or given != (record.predictions is not None) and (
            given or not pred_path.exists()):
        raise ValueError(f"run {record.run_id}: its record names predictions {record.predictions!r}, but "
                         f"{'predictions were given' if given else f'{pred_path} is not there'}")
    if predictions is not None:
        arrays = predictions.arrays()
        atomic_write(pred_path, lambda f: np.savez_compressed(f, **arrays))
    payload = dump_record(record)
    atomic_write(path, lambda f: f.write(payload))


def read_record(path: Path) -> RunRecord:
    """The validated record at ``path``; :class:`RecordError` (a UserError naming the path) if it is unusable."""
    try:
        text = Path(path).read_bytes()
    except OSError as err:
        raise RecordError(path, f"unreadable ({err})") from err
    record = parse_record(text, path)
    if Path(path).stem != record.run_id:
        raise RecordError(path, f"holds run {record.run_id}, but its file name says {Path(path).stem}")
    return record


def load_predictions(results: Path, record: RunRecord) -> ItemPredictions | None:
    """The record's per-item predictions (plain arrays only: never unpickled); None when it kept none.

    :class:`~harness.runs.predictions.PredictionsError` (a UserError naming the file) when the file it names is
    missing, unreadable, or does not hold the record's report split."""
    if record.predictions is None:
        return None
    path = record_path(results, record.spec).with_name(predictions_name(record.run_id))
    if record.predictions != path.name:  # a record must not point at another file (or outside its folder)
        raise PredictionsError(f"{path.with_name(record.run_id + '.json')}: names predictions "
                               f"{record.predictions!r}, expected {path.name}; rerun that run with --force")
    item = read_predictions(path)
    if item.split != record.report_split:
        raise PredictionsError(f"{path}: holds split {item.split!r}, but run {record.run_id} reports "
                               f"{record.report_split!r}; rerun that run with --force")
    return item


def iter_records(results: Path, task: str | None = None) -> Iterator[tuple[Path, RunRecord]]:
    """Every readable record (of ``task``, if given); a malformed one is skipped with a warning naming it."""
    base = Path(results) / "runs"
    pattern = f"{task}/*/*.json" if task else "*/*/*.json"
    for path in sorted(base.glob(pattern)):
        try:
            yield path, read_record(path)
        except RecordError as err:
            log.warning("skipped %s", err)


def find_record(results: Path, run_id: str) -> tuple[Path, RunRecord]:
    if not re.fullmatch(r"[0-9a-f]{0,64}", run_id):  # a glob pattern or a path would match other files
        raise UserError(f"run id {run_id!r} is not a run id (hexadecimal, as `mmrepro leaderboard` lists them)")
    matches = sorted((Path(results) / "runs").glob(f"*/*/{run_id}*.json"))
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise UserError(f"{what} with id starting {run_id!r} under {results}/runs; list them with "
                        "`mmrepro leaderboard` or `ls results/runs/*/*`")
    return matches[0], read_record(matches[0])


@lru_cache(maxsize=16)
def data_fingerprint(dataset: str) -> str:
    """Embedded data is hashed once per process; prepared data carries its hash in the manifest."""
    if DATASETS.get(dataset).embedded:
        return load_dataset(dataset).fingerprint()
    return read_manifest(dataset)["fingerprint"]


def is_current(record: RunRecord, task: TaskSpec, fingerprint: str | None) -> bool:
    """A run of the task as defined now: same name, version and hash, and (when known) the same data."""
    spec = record.spec
    return (spec.task == task.name and spec.task_version == task.version and spec.task_hash == task.spec_hash()
            and (fingerprint is None or spec.data_fingerprint == fingerprint))


def current_records(results: Path, task: TaskSpec, *, with_failed: bool = False) -> list[RunRecord]:
    """The records a result may be computed from: ok runs of the current task version and hash, on the
    current data where that is known here (its dataset prepared). Stale and malformed records are left out
    (malformed ones with a warning); failed ones too, unless ``with_failed`` (leaderboards list them as notes).
    Ordered by model, then seed, so aggregates do not depend on run-id hashes."""
    fingerprint = data_fingerprint(task.dataset) if dataset_available(task.dataset) else None
    found = [r for _, r in iter_records(results, task.name)
             if is_current(r, task, fingerprint) and (r.ok or with_failed)]
    return sorted(found, key=lambda r: (r.spec.model, r.spec.seed, r.run_id))
