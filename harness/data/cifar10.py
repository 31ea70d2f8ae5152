"""CIFAR-10 python batches (Krizhevsky 2009), for users who have ``cifar-10-batches-py``.

Source of truth: https://www.cs.toronto.edu/~kriz/cifar.html, "python version": ``data_batch_1`` ..
``data_batch_5`` and ``test_batch``, each a pickled dict with ``data`` (10000, 3072) uint8 (1024 red, then
green, then blue values, row-major 32x32) and ``labels`` (10000 ints 0..9). Python 2 pickles: read with
``latin1`` through the restricted unpickler (keys arrive as ``str``; ``bytes`` keys are accepted too).
Split: train = batches 1-4 (40,000), valid = batch 5 (10,000), test = ``test_batch`` (10,000).
One image modality ``image``: (n, 3, 32, 32) raw uint8 values (the 3072 bytes reshaped, not scaled, so nothing
is altered; :meth:`harness.data.dataset.Split.images` gives float pixels in [0, 1]).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.safe_pickle import safe_load

BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 5)], "valid": ["data_batch_5"], "test": ["test_batch"]}


def _batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = safe_load(path)
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a dict with 'data' and 'labels', got {type(raw).__name__}")
    raw = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
    if "data" not in raw or "labels" not in raw:
        raise DataError(f"{path}: missing key 'data' or 'labels' (has {sorted(raw)}); is this a CIFAR-10 batch?")
    data, labels = np.asarray(raw["data"]), np.asarray(raw["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        raise DataError(f"{path}: 'data' is {data.dtype} {data.shape}, expected uint8 (n, 3072)")
    if len(labels) != len(data) or len(data) == 0:
        raise DataError(f"{path}: {len(data)} images but {len(labels)} labels")
    if labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: labels span [{labels.min()}, {labels.max()}], expected 0..9")
    return data, labels


def read(root: Path) -> MultimodalDataset:
    root = Path(root)
    folder = root / "cifar-10-batches-py" if (root / "cifar-10-batches-py").is_dir() else root
    splits = {}
    for split, names in BATCHES.items():
        parts = [_batch(folder / name) for name in names]
        ids = np.array([f"{name}/{i}" for name, (x, _) in zip(names, parts, strict=True) for i in range(len(x))])
        splits[split] = Split(ids=ids, labels=np.concatenate([y for _, y in parts]),
                              features={"image": np.concatenate([x for x, _ in parts]).reshape(-1, 3, 32, 32)})
    return MultimodalDataset(name="cifar10", splits=splits)
