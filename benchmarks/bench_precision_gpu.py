"""fp32 vs bf16 training throughput of ``fusion-token`` and ``mult`` at CMU-MOSEI size (issue 4, benchmark b).

Data: random features in MMSA's *unaligned* MOSEI layout (16,326 training samples; text 50 x 768, audio
500 x 74, vision 375 x 35; lengths uniform in [T/4, T]), resident on the device as the Trainer keeps it.
Models: full per-step tokens (``stride=1``) at about 1M parameters. Each (model, precision) trains two
epochs through the Trainer; the second (warm) epoch's training time gives the throughput. Goal: bf16/fp32
throughput >= 2 on a recent GPU.

Run on a GPU:  python benchmarks/bench_precision_gpu.py [--batch-size 32]   -> benchmarks/results/precision_gpu.json
CPU smoke run: python benchmarks/bench_precision_gpu.py --smoke  (= --device cpu --tiny; CI runs it to keep the
script from rotting; its figures say nothing about GPUs)     -> benchmarks/results/precision_gpu_smoke.json
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from bench_common import environment, write_result

from harness.data.dataset import MultimodalDataset, Split
from harness.models import get_model, resolve_config
from harness.seeding import seed_everything
from harness.tasks import get_task

MOSEI = {"train": 16326, "valid": 512, "dims": {"text": 768, "audio": 74, "vision": 35},
         "steps": {"text": 50, "audio": 500, "vision": 375}}
TINY = {"train": 128, "valid": 64, "dims": MOSEI["dims"], "steps": {"text": 5, "audio": 50, "vision": 37}}
CONFIGS = {  # about 1M parameters each at MOSEI size
    "fusion-token": {"d_model": "128", "n_heads": "8", "n_layers": "4", "ff_mult": "4", "stride": "1"},
    "mult": {"d_model": "40", "n_heads": "5", "cross_layers": "4", "self_layers": "3", "stride": "1"},
}
TINY_CONFIGS = {"fusion-token": {"d_model": "16", "n_heads": "2", "n_layers": "1", "stride": "1"},
                "mult": {"d_model": "16", "n_heads": "2", "stride": "1"}}


def mosei_like(size: dict, seed: int = 0) -> MultimodalDataset:
    """Random float32 features with MOSEI's unaligned shapes; labels in [-3, 3]."""
    rng = np.random.default_rng(seed)
    splits = {}
    for name in ("train", "valid", "test"):
        n = size["train"] if name == "train" else size["valid"]
        features, lengths = {}, {}
        for m, dim in size["dims"].items():
            t = size["steps"][m]
            length = rng.integers(max(1, t // 4), t + 1, n)
            x = rng.standard_normal((n, t, dim), dtype=np.float32)
            x[np.arange(t)[None, :] >= length[:, None]] = 0.0
            features[m], lengths[m] = x, length
        labels = rng.uniform(-3, 3, n).astype(np.float32)
        splits[name] = Split(np.array([f"{name}-{i}" for i in range(n)]), labels, features, lengths)
    return MultimodalDataset("mosei_like", splits)


def run(model: str, precision: str, data: MultimodalDataset, args: argparse.Namespace) -> dict:
    os.environ["MMREPRO_DEVICE"] = args.device
    task = get_task("synth-msa")  # regression on text/audio/vision with the MSA metrics
    configs = TINY_CONFIGS if args.tiny else CONFIGS
    settings = configs[model] | {"precision": precision, "batch_size": str(args.batch_size), "epochs": "2",
                                 "patience": "2"}
    config = resolve_config(get_model(model), settings)
    seed_everything(0)
    built = get_model(model).build(task, data, config, 0)
    built.trainer.progress = False
    built.fit(data.split("train"), data.split("valid"))
    seconds = built.info.history[-1]["train_time_s"]
    return {"model": model, "precision": built.info.precision, "device": built.info.device,
            "parameters": built.info.n_parameters, "batch_size": args.batch_size, "epoch_s": seconds,
            "samples_per_s": len(data.split("train")) / seconds,
            "cuda_max_allocated_mb": built.info.extras.get("cuda_max_allocated_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny data and models (CPU smoke run)")
    parser.add_argument("--models", default="fusion-token,mult")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--smoke", action="store_true", help="CPU smoke run: --device cpu --tiny")
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/precision_gpu[_smoke].json")
    args = parser.parse_args()
    if args.smoke:
        args.device, args.tiny = "cpu", True
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("no CUDA device here; use --device cpu --tiny for a smoke run")
    t0 = time.perf_counter()
    data = mosei_like(TINY if args.tiny else MOSEI)
    print(f"data: {len(data.split('train'))} training samples generated in {time.perf_counter() - t0:.1f} s")
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(f"device: {device}; torch {torch.__version__}; TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")
    rows = [run(m, p, data, args) for m in args.models.split(",") for p in args.precisions.split(",")]
    for row in rows:
        mem = f", peak {row['cuda_max_allocated_mb']:.0f} MiB" if row["cuda_max_allocated_mb"] else ""
        print(f"{row['model']:<13} {row['precision']:<5} {row['parameters']:>9,} params  "
              f"{row['epoch_s']:8.2f} s/epoch  {row['samples_per_s']:9.1f} samples/s{mem}")
    ratios = {}
    for m in args.models.split(","):
        by = {r["precision"]: r["samples_per_s"] for r in rows if r["model"] == m}
        if "fp32" in by and "bf16" in by:
            ratios[m] = by["bf16"] / by["fp32"]
            print(f"{m}: bf16/fp32 throughput = {ratios[m]:.2f}  (goal >= 2 on GPU)")
    name = "precision_gpu_smoke" if args.smoke else ("precision_gpu" if device != "cpu" else "precision_cpu")
    write_result(name, {
        "benchmark": "precision", "smoke": args.smoke, "size": "tiny" if args.tiny else "CMU-MOSEI",
        "rows": rows, "bf16_over_fp32_throughput": ratios,
        "environment": environment(args.device) | {"mode": "cpu smoke" if args.smoke else args.device},
    }, args.json)


if __name__ == "__main__":
    main()
