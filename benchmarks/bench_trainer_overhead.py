"""Trainer overhead: epoch time of a model through ``harness.train.Trainer`` vs a bare PyTorch loop.

Both loops train the same network (same seed, same initial weights), on the same device-resident batches,
with the same optimizer, clipping and precision; both score the selection split once per epoch. The
Trainer adds what it is for: metric-based selection, best-state copies, history, the non-finite check,
the GradScaler/autocast plumbing and a (disabled when not a TTY) progress bar. Epochs alternate between
the two loops, and medians are compared, so drifting machine load affects both alike.

Run: python benchmarks/bench_trainer_overhead.py [--task synth-msa] [--model fusion-token] [--epochs 6]
Goal (issue 4): ratio <= 1.05.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import torch

from harness.data.store import load_dataset
from harness.metrics.registry import get_metric
from harness.models import get_model, resolve_config
from harness.seeding import seed_everything
from harness.tasks import get_task
from harness.train import Standardizer, TensorData


def bare_epoch(model, optimizer, data, valid, labels, metric, batch_size: int, clip: float, rng) -> float:
    """The loop one writes by hand: shuffle, forward, loss, backward, clip, step; then score ``valid``."""
    net, objective = model.network, model.objective
    start = time.perf_counter()
    net.train()
    order = rng.permutation(len(data))
    for i in range(0, len(data), batch_size):
        inputs, y = data.batch(order[i:i + batch_size])
        with model.trainer.autocast():
            out = net(inputs)
        loss = objective.loss(out.float(), y) / len(y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        optimizer.step()
    net.eval()
    with torch.inference_mode(), model.trainer.autocast():
        outs = [objective.to_output(net(valid.batch(np.arange(j, min(len(valid), j + 256)))[0]).float())
                for j in range(0, len(valid), 256)]
    metric.fn(labels, torch.cat(outs).cpu().numpy().astype(np.float64))
    return time.perf_counter() - start


def cpu_name() -> str:
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="synth-msa")
    parser.add_argument("--model", default="fusion-token")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (the first of each is warm-up)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating bare/Trainer runs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="model setting")
    args = parser.parse_args()

    task = get_task(args.task)
    data = load_dataset(task.dataset)
    model_def = get_model(args.model)
    overrides = dict(s.split("=", 1) for s in args.set) | {"epochs": str(args.epochs), "patience": str(args.epochs)}
    config = resolve_config(model_def, overrides)
    train, valid = data.split(task.splits.train), data.split(task.splits.select)
    metric = get_metric(task.primary_metric)

    bare, through = [], []
    for _ in range(args.repeats):
        seed_everything(0)
        ref = model_def.build(task, data, config, 0)  # same seed: same initial weights as the Trainer's model
        std = Standardizer.fit(train, ref.modalities)
        train_t, valid_t = (TensorData(s, std, ref.trainer.device, target_dtype=ref.objective.target_dtype)
                            for s in (train, valid))
        optimizer = torch.optim.AdamW(ref.network.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                      fused=True)
        rng = np.random.default_rng(0)
        bare += [bare_epoch(ref, optimizer, train_t, valid_t, valid.labels, metric, config.batch_size,
                            config.grad_clip, rng) for _ in range(args.epochs)][1:]

        seed_everything(0)
        model = model_def.build(task, data, config, 0)
        model.trainer.progress = False
        model.fit(train, valid)
        through += [h["epoch_time_s"] for h in model.info.history][1:]
    b, t = statistics.median(bare), statistics.median(through)
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {model.trainer.device}, load average {os.getloadavg()[0]:.1f}")
    print(f"{args.model} on {args.task} ({model.info.n_parameters} parameters, batch {config.batch_size}, "
          f"{model.trainer.precision}); median over {len(bare)} epochs each ({args.repeats} alternating runs of "
          f"{args.epochs}, first epoch of each dropped)")
    print(f"bare loop     {b:.3f} s/epoch  (all: {', '.join(f'{x:.3f}' for x in bare)})")
    print(f"Trainer       {t:.3f} s/epoch  (all: {', '.join(f'{x:.3f}' for x in through)})")
    print(f"ratio Trainer/bare = {t / b:.3f}  (goal <= 1.05)")


if __name__ == "__main__":
    main()
