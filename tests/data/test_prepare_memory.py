"""Large prepares stay near the data's size (issue 18): no step may copy the whole dataset again.

The benchmark (benchmarks/bench_prepare_memory.py) measures the peak; these tests pin the two copies it found.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from harness.data import store
from harness.data.dataset import MultimodalDataset, Split


def test_prepare_names_each_split_with_our_fingerprint_so_datasets_never_hashes_the_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets.arrow_dataset

    def refuse(*args, **kwargs):  # datasets' own fingerprint pickles the whole table: a full copy of the data
        raise AssertionError("datasets generated a fingerprint by hashing the table")

    monkeypatch.setattr(datasets.arrow_dataset, "generate_fingerprint", refuse)
    src = tmp_path / "src"
    src.mkdir()
    (src / "dataset.toml").write_text('format = "npz"\nsplits = ["train", "test"]\nlabel = "label"\n'
                                      '[modalities]\na = { column = "a" }\n')
    for split in ("train", "test"):
        np.savez(src / f"{split}.npz", label=np.arange(6) % 2, a=np.ones((6, 4), np.float32))
    manifest = store.prepare("mem_check", src, tmp_path / "root", fmt="generic")
    assert store.load_prepared("mem_check", tmp_path / "root").fingerprint() == manifest["fingerprint"]


def test_the_fingerprint_hashes_array_bytes_without_changing_them() -> None:
    """Hashing through a memoryview (no copy) gives the bytes tobytes() gave: run ids do not move."""
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    split = Split(ids=np.array(["a", "b", "c"]), labels=np.array([0, 1, 0]), features={"v": x})
    data = MultimodalDataset(name="d", splits={"train": split})
    h = hashlib.sha256(b"d")
    for key, a in (("ids", split.ids), ("labels", split.labels), ("x.v", x)):
        a = np.ascontiguousarray(a)
        h.update(f"train/{key}/{a.dtype.str}/{a.shape}".encode())
        h.update(a.tobytes())
    assert data.fingerprint() == h.hexdigest()[:16]
