"""Peak memory of ``mmrepro data prepare`` on a large generic npz dataset, relative to the data's size.

Run: python benchmarks/bench_prepare_memory.py [--rows 200000] [--dim 512]
The data (float32, one vector modality, plus a 1% test split) is written to a temporary folder; two fresh
processes prepare it: one on a 10-row copy (the baseline: imports alone) and one on the full data. The
ratio is (peak RSS - baseline peak RSS) / data size; the goal of issue 18 is below 1.5x.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

TOML = 'format = "npz"\nsplits = ["train", "test"]\nlabel = "label"\n[modalities]\na = { column = "a" }\n'


def write(folder: Path, rows: int, dim: int) -> int:
    folder.mkdir(parents=True)
    (folder / "dataset.toml").write_text(TOML)
    rng = np.random.default_rng(0)
    size = 0
    for split, n in (("train", rows), ("test", max(10, rows // 100))):
        x = rng.standard_normal((n, dim), dtype=np.float32)
        np.savez(folder / f"{split}.npz", label=np.arange(n) % 3, a=x)
        size += x.nbytes
    return size


def peak_mb(source: Path, root: Path) -> float:
    """Peak RSS (MiB) of a fresh process that prepares ``source`` under ``root``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "harness", "-q", "data", "prepare", "bench", "--from", str(source),
                    "--format", "generic"], check=True, env=os.environ | {"MMREPRO_DATA": str(root)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        raise SystemExit("this child did not exceed an earlier one's peak; run the benchmark in a fresh shell")
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mmrepro-bench-prepare-"))
    try:
        write(tmp / "small", 10, args.dim)
        size_mb = write(tmp / "large", args.rows, args.dim) / 2**20
        baseline = peak_mb(tmp / "small", tmp / "root-small")
        peak = peak_mb(tmp / "large", tmp / "root-large")
        print(f"data {size_mb:.0f} MiB ({args.rows} x {args.dim} float32): baseline {baseline:.0f} MiB, "
              f"peak {peak:.0f} MiB, peak - baseline = {peak - baseline:.0f} MiB = "
              f"{(peak - baseline) / size_mb:.2f}x the data")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
