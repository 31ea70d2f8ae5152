"""Prepared datasets: read a source once, store it as HF ``datasets`` Arrow, load it memory-mapped.

Layout under the data root (``$MMREPRO_DATA``, default ``~/.cache/mmrepro/data``)::

    <root>/<name>/manifest.json     sources + sha256, counts, features, fingerprint
    <root>/<name>/arrow/            DatasetDict.save_to_disk

Preparation writes into a temporary sibling folder and renames it into place, so an interrupted or
failed prepare never leaves a half-written dataset that a later run could mistake for a good one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import harness
from harness.data.dataset import MultimodalDataset, Split
from harness.data.sources import DATASETS, load_embedded
from harness.errors import DataUnavailableError, UserError

MANIFEST = "manifest.json"


def data_root() -> Path:
    return Path(os.environ.get("MMREPRO_DATA") or Path.home() / ".cache" / "mmrepro" / "data")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def _split_to_columns(split: Split) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {"id": split.ids.astype(str), "label": split.labels}
    for modality, x in split.features.items():
        columns[f"x.{modality}"] = x
        if modality in split.lengths:
            columns[f"len.{modality}"] = split.lengths[modality]
    return columns


def _columns_to_split(columns: dict[str, np.ndarray]) -> Split:
    features = {k[2:]: np.asarray(v) for k, v in columns.items() if k.startswith("x.")}
    lengths = {k[4:]: np.asarray(v) for k, v in columns.items() if k.startswith("len.")}
    return Split(ids=np.asarray(columns["id"]), labels=np.asarray(columns["label"]),
                 features=features, lengths=lengths)


def prepare(name: str, source_path: Path, root: Path | None = None) -> dict:
    """Read ``source_path`` with the dataset's reader and store it; returns the manifest."""
    import datasets  # deferred: importing HF datasets costs about a second

    source = DATASETS.get(name)
    if source.read is None:
        raise UserError(f"dataset {name!r} ships with mmrepro and needs no prepare step")
    source_path = Path(source_path)
    if not source_path.exists():
        raise UserError(f"--from {source_path} does not exist; expected {source.source_hint or 'a path'}")
    dataset = source.read(source_path)
    root = Path(root or data_root())
    root.mkdir(parents=True, exist_ok=True)
    files = _source_files(source_path)
    manifest = {
        "name": name,
        "fingerprint": dataset.fingerprint(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "mmrepro_version": harness.__version__,
        "source": str(source_path.resolve()),
        "source_files": {str(p.relative_to(source_path) if p != source_path else p.name): sha256_file(p)
                         for p in files},
        "splits": {s: len(split) for s, split in dataset.splits.items()},
        "features": {m: {"shape": list(dataset.feature_shape(m)),
                         "dtype": str(next(iter(dataset.splits.values())).features[m].dtype),
                         "sequence": next(iter(dataset.splits.values())).is_sequence(m)}
                     for m in dataset.modalities},
        "synthetic": dataset.synthetic,
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        dd = datasets.DatasetDict({
            s: datasets.Dataset.from_dict(_split_to_columns(split)) for s, split in dataset.splits.items()
        })
        dd.save_to_disk(str(tmp / "arrow"))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        final = root / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def is_prepared(name: str, root: Path | None = None) -> bool:
    return (Path(root or data_root()) / name / MANIFEST).is_file()


def read_manifest(name: str, root: Path | None = None) -> dict:
    path = Path(root or data_root()) / name / MANIFEST
    if not path.is_file():
        raise DataUnavailableError(name, f"Run: {DATASETS.get(name).prepare_command()}")
    return json.loads(path.read_text())


def load_prepared(name: str, root: Path | None = None) -> MultimodalDataset:
    import datasets

    manifest = read_manifest(name, root)
    dd = datasets.load_from_disk(str(Path(root or data_root()) / name / "arrow")).with_format("numpy")
    splits = {s: _columns_to_split({c: dd[s][c] for c in dd[s].column_names}) for s in dd}
    return MultimodalDataset(name=name, splits=splits, synthetic=manifest.get("synthetic", False))


def load_dataset(name: str, root: Path | None = None) -> MultimodalDataset:
    """The one entry point tasks use: embedded datasets load directly, others from the prepared store."""
    source = DATASETS.get(name)
    if source.embedded:
        return load_embedded(name)
    return load_prepared(name, root)


def dataset_available(name: str, root: Path | None = None) -> bool:
    return DATASETS.get(name).embedded or is_prepared(name, root)
