"""Your own data: a folder of per-split npz or parquet files, or an HF dataset saved to disk, plus ``dataset.toml``.

``mmrepro data prepare NAME --from DIR --format generic`` reads ``DIR/dataset.toml``::

    description = "two sensors, 3 activities"
    format = "npz"                  # npz: DIR/<split>.npz | parquet: DIR/<split>.parquet | hf: DIR/<path>
    path = "hf"                     # hf only: the save_to_disk folder under DIR (default "hf")
    splits = ["train", "valid", "test"]
    label = "label"                 # column holding (n,) labels (ints for classes, floats for regression)
    id = "id"                       # optional column of sample ids (default: <split>-<row>)

    [modalities]
    accel = { column = "accel" }                        # vectors: (n, d)
    audio = { column = "audio", lengths = "audio_len" } # npz only: padded (n, T, d) + (n,) lengths

    [groups]                        # optional group fields (dialogue, speaker, turn, pair): field = column
    dialogue = "conversation"
    turn = "position"

Parquet and HF columns hold one list of floats per row (vectors). Once prepared, the dataset is registered
under NAME in every later process (from its manifest), so a task TOML loaded with ``--include-path`` can
name it as its ``dataset``.
"""

from __future__ import annotations

import tomllib
from functools import partial
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.errors import UserError

MANIFEST = "dataset.toml"
FORMATS = ("npz", "parquet", "hf")
CITATION = "user-supplied (dataset.toml)"


def read_spec(root: Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise DataError(f"{path} not found; --format generic needs a {MANIFEST} naming format, splits, label and "
                        "modalities (see the README, 'Your own data')")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise DataError(f"{path}: invalid TOML ({err})") from err
    missing = [k for k in ("format", "splits", "label", "modalities") if k not in spec]
    if missing:
        raise DataError(f"{path}: missing key(s) {missing}")
    if spec["format"] not in FORMATS:
        raise DataError(f"{path}: format {spec['format']!r} is not one of {FORMATS}")
    for modality, info in spec["modalities"].items():
        if not isinstance(info, dict) or "column" not in info:
            raise DataError(f"{path}: modality {modality!r} needs {{ column = \"...\" }}")
        if "lengths" in info and spec["format"] != "npz":
            raise DataError(f"{path}: modality {modality!r}: sequences (lengths) are supported for npz only")
    return spec


def _columns(root: Path, spec: dict, split: str) -> dict[str, np.ndarray]:
    fmt = spec["format"]
    if fmt == "npz":
        path = root / f"{split}.npz"
        if not path.is_file():
            raise DataError(f"{path} not found (split {split!r} listed in {MANIFEST})")
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    if fmt == "parquet":
        import pandas as pd

        path = root / f"{split}.parquet"
        if not path.is_file():
            raise DataError(f"{path} not found (split {split!r} listed in {MANIFEST})")
        table = pd.read_parquet(path)
        return {c: np.stack(table[c].to_numpy()) if table[c].dtype == object and len(table) and
                hasattr(table[c].iloc[0], "__len__") and not isinstance(table[c].iloc[0], str)
                else table[c].to_numpy() for c in table.columns}
    import datasets

    folder = root / spec.get("path", "hf")
    dd = datasets.load_from_disk(str(folder)).with_format("numpy")
    if split not in dd:
        raise DataError(f"{folder}: no split {split!r}; it has {list(dd)}")
    return {c: np.asarray(dd[split][c]) for c in dd[split].column_names}


def read(root: Path, *, name: str) -> MultimodalDataset:
    root = Path(root)
    spec = read_spec(root)
    splits = {}
    for split in spec["splits"]:
        cols = _columns(root, spec, split)
        where = f"{root}/{split}"
        needed = [spec["label"]] + [i["column"] for i in spec["modalities"].values()]
        needed += [i["lengths"] for i in spec["modalities"].values() if "lengths" in i]
        needed += list(spec.get("groups", {}).values()) + ([spec["id"]] if "id" in spec else [])
        missing = [c for c in needed if c not in cols]
        if missing:
            raise DataError(f"{where}: missing column(s) {missing}; it has {sorted(cols)}")
        labels = cols[spec["label"]]
        ids = cols[spec["id"]].astype(str) if "id" in spec else np.array([f"{split}-{i}" for i in range(len(labels))])
        features = {m: np.asarray(cols[i["column"]], dtype=np.float32) for m, i in spec["modalities"].items()}
        lengths = {m: cols[i["lengths"]].astype(np.int64) for m, i in spec["modalities"].items() if "lengths" in i}
        groups = {key: np.asarray(cols[column]) for key, column in spec.get("groups", {}).items()}
        groups = {k: v.astype(np.str_) if v.dtype.kind in "OS" else v for k, v in groups.items()}
        splits[split] = Split(ids=ids, labels=labels, features=features, lengths=lengths, groups=groups)
    return MultimodalDataset(name=name, splits=splits)


def source(name: str):
    """A DatasetSource for the user's dataset ``name`` (refuses names of built-in datasets)."""
    from harness.data.sources import DATASETS, DatasetSource

    existing = DATASETS.registered(name)
    if existing is not None and existing.citation != CITATION:
        raise UserError(f"{name!r} is a built-in dataset; pick another name for your own data")
    return DatasetSource(name=name, description="your own data (--format generic)", citation=CITATION,
                         read=partial(read, name=name), source_hint="DIR with dataset.toml")
