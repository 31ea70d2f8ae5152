"""Run records on disk: one JSON per run plus its per-item predictions, written atomically.

Layout: ``<results>/runs/<task>/<model>/<run_id>.json`` and ``<run_id>.npz`` beside it. The npz is
written first and the JSON last, so the JSON's presence means the run finished; every write goes to a
temporary file in the same folder and is renamed into place.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import UserError
from harness.runs.spec import RunSpec

SCHEMA_VERSION = 1


def record_path(results: Path, spec: RunSpec) -> Path:
    return Path(results) / "runs" / spec.task / spec.model / f"{spec.run_id}.json"


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(path: Path, record: dict[str, Any], predictions: dict[str, np.ndarray] | None) -> None:
    if predictions is not None:
        _atomic_write(path.with_suffix(".npz"), lambda f: np.savez_compressed(f, **predictions))
    payload = json.dumps(record, indent=2, sort_keys=True, allow_nan=True).encode()
    _atomic_write(path, lambda f: f.write(payload))


def read_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"run record {path} is unreadable ({err}); delete it and rerun with --force") from err
    if record.get("schema_version") != SCHEMA_VERSION:
        raise UserError(f"run record {path} has schema {record.get('schema_version')}, expected {SCHEMA_VERSION}")
    return record


def load_predictions(record_file: Path) -> dict[str, np.ndarray]:
    """Per-item outputs saved beside a record (plain arrays only: never unpickled)."""
    with np.load(Path(record_file).with_suffix(".npz"), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def iter_records(results: Path, task: str | None = None) -> Iterator[tuple[Path, dict[str, Any]]]:
    base = Path(results) / "runs"
    pattern = f"{task}/*/*.json" if task else "*/*/*.json"
    for path in sorted(base.glob(pattern)):
        yield path, read_record(path)


def find_record(results: Path, run_id: str) -> tuple[Path, dict[str, Any]]:
    matches = sorted((Path(results) / "runs").glob(f"*/*/{run_id}*.json"))
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise UserError(f"{what} with id starting {run_id!r} under {results}/runs; list them with "
                        "`mmrepro leaderboard` or `ls results/runs/*/*`")
    return matches[0], read_record(matches[0])
