"""Where a training epoch goes, ours beside MMSA 2.2.1's, at bench_vs_mmsa.py's sizes (same data, batch, 1 thread).

Each side trains a fresh model for two epochs through its own trainer (bench_vs_mmsa's ``time_ours`` /
``time_mmsa``); the second (warm) epoch's training pass is profiled: by operator with torch.profiler (self CPU
time, so the two sides' kernels line up), or by Python function with cProfile (``--cprofile``: where the
time outside the kernels goes, e.g. per-step overhead of a trainer).

    PYTHONPATH=/tmp/mmsa_pkgs python benchmarks/profile_vs_mmsa.py [--models tfn,lmf] [--top 15] [--cprofile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch
from bench_common import environment, write_result
from bench_vs_mmsa import MMSA_BATCH, mmsa_available, time_mmsa, time_ours
from torch.profiler import ProfilerActivity, profile

from harness.data import mmsa_pickle
from harness.data.synthetic_msa import generate


def op_table(prof: profile, top: int) -> dict:
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return {"total_self_cpu_s": total / 1e6, "top": [
        {"op": e.key, "self_cpu_s": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / total,
         "calls": e.count} for e in events[:top]]}


def profiled(side: str, name: str, path: Path, workdir: Path, use_cprofile: bool, top: int) -> dict:
    found: dict = {}

    @contextlib.contextmanager
    def probe(epoch: int) -> Iterator[None]:
        if epoch != 1:  # the first epoch is a warm-up
            yield
            return
        if use_cprofile:
            prof = cProfile.Profile()
            prof.enable()
            try:
                yield
            finally:
                prof.disable()
                text = io.StringIO()
                pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
                found["cprofile"] = text.getvalue()
        else:
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                yield
            found.update(op_table(prof, top))

    batch = MMSA_BATCH[name]
    run = (time_ours(name, path, 2, batch, "cpu", 0, probe) if side == "ours" else
           time_mmsa(name, path, 2, batch, workdir, "cpu", 0, probe))
    found.update({"side": side, "model": name, "batch_size": batch, "epoch_wall_s": run["wall"],
                  "epoch_cpu_s": run["cpu"]})
    print(f"== {name} {side}: epochs {run['wall']} s wall, {run['cpu']} CPU-s (the second profiled)")
    if "cprofile" in found:
        print(found["cprofile"])
    else:
        print(f"{found['total_self_cpu_s']:.3f} s self CPU in operators")
        for row in found["top"]:
            print(f"  {row['op']:<44}{row['self_cpu_s']:>8.3f} s {100 * row['share']:>5.1f}%  {row['calls']:>6} calls")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tfn,lmf")
    parser.add_argument("--sides", default="ours,mmsa")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--cprofile", action="store_true", help="Python functions (cProfile) instead of operators")
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/profile_vs_mmsa.json")
    args = parser.parse_args()
    sides = args.sides.split(",")
    if "mmsa" in sides and not mmsa_available():
        parser.error("MMSA is not importable; install it beside the project (see bench_vs_mmsa.py --help)")
    torch.set_num_threads(1)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = mmsa_pickle.write(generate(), Path(tmp) / "unaligned_50.pkl")
        for name in args.models.split(","):
            for side in sides:
                results.append(profiled(side, name, path, Path(tmp), args.cprofile, args.top))
    write_result("profile_vs_mmsa", {"profiles": results, "environment": environment("cpu")}, args.json)


if __name__ == "__main__":
    main()
