"""Load throughput: a prepared (Arrow, memory-mapped) MOSEI-shaped dataset vs reading its MMSA pickle.

Writes SYNTHETIC data in MMSA's unaligned pickle layout (MOSEI feature sizes: text 300 GloVe, audio 74
COVAREP, vision 35 Facet; lengths 20/40/30 steps, each sample's valid length uniform in [T/4, T]), prepares
it with ``mmrepro``'s store, then times reading the whole dataset into padded numpy splits:

- ``pickle``: the restricted unpickler reads the whole file (what MMSA does with ``pickle.load``);
- ``prepared``: :func:`load_prepared` from the memory-mapped Arrow files (what every run does).

Run: python benchmarks/bench_load.py [--n 16326]   (about a minute on 2 CPU cores; needs ~3 GB RAM)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.data import mmsa_pickle, store
from harness.data.dataset import MultimodalDataset, Split

DIMS = {"text": 300, "audio": 74, "vision": 35}
MAX_LEN = {"text": 20, "audio": 40, "vision": 30}


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
        n = sum(len(data.split(s)) for s in sizes)
        pickle_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        data = store.load_prepared("mosei")
        m = sum(len(data.split(s)) for s in sizes)
        prepared_s = time.perf_counter() - t0  # first read in this process: store's per-process cache is empty
        assert n == m == total

    rows = (("pickle (restricted unpickler)", pickle_s), ("prepared (Arrow, load_prepared)", prepared_s))
    for label, seconds in rows:
        print(f"{label:34s} {total / seconds:10.0f} samples/s  ({seconds:.2f} s)")
    print(f"ratio prepared / pickle: {pickle_s / prepared_s:.2f}x")


if __name__ == "__main__":
    main()
