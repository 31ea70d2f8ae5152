"""Where our training step spends its time: torch.profiler over training epochs of ``mult``/``tfn``/``lmf`` at the
sizes bench_vs_mmsa.py compares with MMSA (synth-msa, same batch, 1 thread), top operators by self CPU time.

    python benchmarks/profile_step.py [--models mult,tfn,lmf] [--train 448]  -> benchmarks/results/profile_step.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from bench_common import environment, write_result
from bench_vs_mmsa import MMSA_BATCH, OURS
from torch.profiler import ProfilerActivity, profile

from harness.data.synthetic_msa import generate
from harness.models import get_model, resolve_config
from harness.seeding import seed_everything
from harness.tasks import get_task


def profile_model(name: str, train: int, top: int) -> dict:
    data = generate({"train": train, "valid": 64, "test": 64})
    config = resolve_config(get_model(name), OURS[name] | {"batch_size": str(MMSA_BATCH[name]), "epochs": "1",
                                                           "patience": "1", "precision": "fp32"})
    seed_everything(0)
    model = get_model(name).build(get_task("synth-msa"), data, config, 0)
    model.trainer.progress = False
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        model.fit(data.split("train"), data.split("valid"))
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    rows = [{"op": e.key, "self_cpu_s": e.self_cpu_time_total / 1e6, "share": e.self_cpu_time_total / total,
             "calls": e.count} for e in events[:top]]
    print(f"{name}: {total / 1e6:.2f} s self CPU over one epoch of {train} samples (batch {MMSA_BATCH[name]})")
    for row in rows:
        print(f"  {row['op']:<44}{row['self_cpu_s']:>8.3f} s {100 * row['share']:>5.1f}%  {row['calls']:>6} calls")
    return {"total_self_cpu_s": total / 1e6, "train": train, "batch_size": MMSA_BATCH[name], "top": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="mult,tfn,lmf")
    parser.add_argument("--train", type=int, default=448, help="training samples (one epoch is profiled)")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {name: profile_model(name, args.train, args.top) for name in args.models.split(",")}
    write_result("profile_step", {"models": results, "environment": environment("cpu")}, args.json)


if __name__ == "__main__":
    main()
