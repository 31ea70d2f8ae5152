"""Load throughput: a prepared (Arrow, memory-mapped) MOSEI-shaped dataset vs reading its MMSA pickle.

Writes SYNTHETIC data in MMSA's unaligned pickle layout (MOSEI feature sizes: text 300 GloVe, audio 74
COVAREP, vision 35 Facet; lengths 20/40/30 steps, each sample's valid length uniform in [T/4, T]), prepares
it with ``mmrepro``'s store, then times reading every sample as padded torch batches of 64:

- ``pickle``: the restricted unpickler reads the whole file (what MMSA does with ``pickle.load``), then
  batches are cut from the in-memory arrays (:func:`split_batches`);
- ``prepared``: memory-mapped Arrow, rows taken per batch and padded per batch (:func:`prepared_loader`);
- ``prepared, full``: :func:`load_prepared` (whole dataset padded into numpy), then the same batches.

Run: python benchmarks/bench_load.py [--n 16326]   (about 1-2 minutes on 2 CPU cores; needs ~3 GB RAM)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.data import mmsa_pickle, store
from harness.data.batching import prepared_loader, split_batches
from harness.data.dataset import MultimodalDataset, Split

DIMS = {"text": 300, "audio": 74, "vision": 35}
MAX_LEN = {"text": 20, "audio": 40, "vision": 30}
BATCH = 64


def synthetic(sizes: dict[str, int], seed: int = 0) -> MultimodalDataset:
    rng = np.random.default_rng(seed)
    splits = {}
    for name, n in sizes.items():
        features, lengths = {}, {}
        for m, d in DIMS.items():
            t = MAX_LEN[m]
            lengths[m] = rng.integers(t // 4, t + 1, n)
            x = rng.standard_normal((n, t, d), dtype=np.float32)
            x[np.arange(t)[None, :] >= lengths[m][:, None]] = 0
            features[m] = x
        splits[name] = Split(ids=np.array([f"{name}-{i}" for i in range(n)]),
                             labels=rng.uniform(-3, 3, n).astype(np.float32), features=features, lengths=lengths)
    return MultimodalDataset(name="bench_mosei", splits=splits, synthetic=True)


def _drain(batches) -> int:
    return sum(len(b) for b in batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16326, help="training samples (MOSEI's train split: 16,326)")
    args = parser.parse_args()
    sizes = {"train": args.n, "valid": 1871, "test": 4659}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MMREPRO_DATA"] = str(Path(tmp) / "data")
        pkl = mmsa_pickle.write(synthetic(sizes), Path(tmp) / "unaligned_50.pkl")
        total = sum(sizes.values())
        print(f"{total} SYNTHETIC samples in MMSA layout, pickle {pkl.stat().st_size / 2**20:.0f} MiB")
        t0 = time.perf_counter()
        store.prepare("mosei", pkl)
        print(f"prepare (one-time): {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        data = mmsa_pickle.read(pkl, name="mosei").dataset
        n = sum(_drain(split_batches(data.split(s), BATCH)) for s in sizes)
        pickle_s = time.perf_counter() - t0
        del data

        t0 = time.perf_counter()
        m = sum(_drain(prepared_loader("mosei", s, BATCH)) for s in sizes)
        prepared_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        data = store.load_prepared("mosei")
        k = sum(_drain(split_batches(data.split(s), BATCH)) for s in sizes)
        full_s = time.perf_counter() - t0
        assert n == m == k == total

    rows = [("pickle (restricted unpickler) -> batches", pickle_s), ("prepared, memory-mapped loader", prepared_s),
            ("prepared, load_prepared -> batches", full_s)]
    for label, seconds in rows:
        print(f"{label:44s} {total / seconds:10.0f} samples/s  ({seconds:.2f} s)")
    print(f"ratio prepared(memory-mapped) / pickle: {pickle_s / prepared_s:.2f}x;  "
          f"prepared(full) / pickle: {pickle_s / full_s:.2f}x")


if __name__ == "__main__":
    main()
