"""Your own data: a folder of per-split npz or parquet files, or an HF dataset saved to disk, plus ``dataset.toml``.

``mmrepro data prepare NAME --from DIR --format generic`` reads ``DIR/dataset.toml``::

    description = "two sensors, 3 activities"
    format = "npz"                  # npz: DIR/<split>.npz | parquet: DIR/<split>.parquet | hf: DIR/<path>
    path = "hf"                     # hf only: the save_to_disk folder under DIR (default "hf")
    splits = ["train", "valid", "test"]
    label = "label"                 # column holding (n,) labels (ints for classes, floats for regression)
    id = "id"                       # optional column of sample ids (default: <split>-<row>)
    num_classes = 3                 # optional: labels must then be class ids 0..2 (checked at prepare)

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
import zipfile
from functools import partial
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult, check_policy, fix_nonfinite
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
        if not zipfile.is_zipfile(path):  # np.load would try to read anything else as a pickle
            raise DataError(f"{path}: not a readable .npz (no zip archive; truncated or another format); "
                            "write it again with numpy.savez")
        try:
            with np.load(path, allow_pickle=False) as z:  # never unpickle: object arrays are refused
                return {k: z[k] for k in z.files}
        except ValueError as err:
            if "allow_pickle" in str(err):
                raise DataError(f"{path}: holds an object (pickled) array; save plain numeric arrays") from None
            raise DataError(f"{path}: not a readable .npz ({err}); write it again with numpy.savez") from None
        except (OSError, EOFError, zipfile.BadZipFile) as err:
            raise DataError(f"{path}: not a readable .npz ({err}); write it again with numpy.savez") from None
    if fmt == "parquet":
        import pandas as pd

        path = root / f"{split}.parquet"
        if not path.is_file():
            raise DataError(f"{path} not found (split {split!r} listed in {MANIFEST})")
        try:
            table = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several types for a damaged file; all mean "unreadable"
            raise DataError(f"{path}: not a readable parquet file ({type(err).__name__}: {err})") from None
        return {c: np.stack(table[c].to_numpy()) if table[c].dtype == object and len(table) and
                hasattr(table[c].iloc[0], "__len__") and not isinstance(table[c].iloc[0], str)
                else table[c].to_numpy() for c in table.columns}
    import datasets

    folder = root / spec.get("path", "hf")
    if not folder.is_dir():
        raise DataError(f"{folder} not found; format 'hf' reads the save_to_disk folder named by 'path' "
                        f"(default 'hf') in {MANIFEST}")
    try:
        dd = datasets.load_from_disk(str(folder)).with_format("numpy")
    except Exception as err:  # datasets raises FileNotFoundError/ValueError/JSON errors for a damaged folder
        raise DataError(f"{folder}: not a readable HF dataset folder ({type(err).__name__}: {err})") from None
    if split not in dd:
        raise DataError(f"{folder}: no split {split!r}; it has {list(dd)}")
    return {c: np.asarray(dd[split][c]) for c in dd[split].column_names}


def _floats(values: np.ndarray, where: str, column: str) -> np.ndarray:
    if values.dtype.kind not in "biuf":
        raise DataError(f"{where}: column {column!r} holds {values.dtype} values; features must be numbers")
    return np.asarray(values, dtype=np.float32)


def _lengths(values: np.ndarray, where: str, column: str) -> np.ndarray:
    """Sequence lengths are whole step counts: 3.7 would otherwise be truncated to 3 without a word."""
    if values.dtype.kind not in "iuf" or (values.dtype.kind == "f" and not np.array_equal(values, np.round(values))):
        raise DataError(f"{where}: lengths column {column!r} must hold whole numbers, got {values.dtype} "
                        f"values such as {values.ravel()[:1].tolist()}")
    return values.astype(np.int64)


def _labels(values: np.ndarray, where: str, column: str, num_classes: int | None) -> np.ndarray:
    """With ``num_classes`` in dataset.toml the labels must be class ids 0..num_classes-1."""
    if num_classes is None:
        return values
    ok = values.dtype.kind in "iu" or (values.dtype.kind == "f" and np.isfinite(values).all()
                                       and np.array_equal(values, np.round(values)))
    if not ok:
        raise DataError(f"{where}: label column {column!r} holds {values.dtype} values; num_classes = "
                        f"{num_classes} needs integer class ids")
    bad = values[(values < 0) | (values >= num_classes)]
    if bad.size:
        raise DataError(f"{where}: label column {column!r} has {bad.size} value(s) outside 0..{num_classes - 1} "
                        f"(e.g. {bad[0]}); num_classes in {MANIFEST} is {num_classes}")
    return values.astype(np.int64)


def read(root: Path, *, name: str, nonfinite: str = "error") -> ReadResult:
    root = Path(root)
    spec = read_spec(root)
    check_policy(nonfinite)
    num_classes = spec.get("num_classes")
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
        raise DataError(f"{root / MANIFEST}: num_classes must be a positive integer, got {num_classes!r}")
    replaced: dict[str, int] = {}
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
        labels = _labels(cols[spec["label"]], where, spec["label"], num_classes)
        ids = cols[spec["id"]].astype(str) if "id" in spec else np.array([f"{split}-{i}" for i in range(len(labels))])
        features = {m: fix_nonfinite(_floats(cols[i["column"]], where, i["column"]), nonfinite,
                                     f"{where}:{i['column']}", replaced)
                    for m, i in spec["modalities"].items()}
        lengths = {m: _lengths(cols[i["lengths"]], where, i["lengths"])
                   for m, i in spec["modalities"].items() if "lengths" in i}
        groups = {key: np.asarray(cols[column]) for key, column in spec.get("groups", {}).items()}
        groups = {k: v.astype(np.str_) if v.dtype.kind in "OS" else v for k, v in groups.items()}
        splits[split] = Split(ids=ids, labels=labels, features=features, lengths=lengths, groups=groups)
    notes = {"nonfinite": nonfinite, "nonfinite_replaced": replaced} if replaced else {}
    return ReadResult(MultimodalDataset(name=name, splits=splits), notes=notes)


def source(name: str):
    """A DatasetSource for the user's dataset ``name`` (refuses names of built-in datasets)."""
    from harness.data.sources import DATASETS, DatasetSource

    existing = DATASETS.registered(name)
    if existing is not None and existing.citation != CITATION:
        raise UserError(f"{name!r} is a built-in dataset; pick another name for your own data")
    return DatasetSource(name=name, description="your own data (--format generic)", citation=CITATION,
                         read=partial(read, name=name), source_hint="DIR with dataset.toml")
