"""The one training loop every torch model goes through, so model comparisons never compare loops.

Selection is honest: early stopping and the restored "best" weights use only the selection split's
primary metric. Under DDP every rank sees the same shuffled order and takes an interleaved shard of each
global batch; the loss is divided by the *global* batch size, so the averaged gradient equals the
single-process one and ranks stay bit-identical. Each rank scores the (small) selection split itself,
so early-stopping decisions agree without communication.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from harness.metrics.registry import MetricDef
from harness.models import FitInfo, NonFiniteError
from harness.train.batches import TensorData
from harness.train.checkpoint import save_checkpoint
from harness.train.config import TrainConfig
from harness.train.device import AUTOCAST_DTYPES, distributed_context, resolve_precision, select_device
from harness.train.objective import Objective

log = logging.getLogger(__name__)

PREDICT_BATCH = 256


def _improves(score: float, best: float | None, higher_is_better: bool) -> bool:
    """NaN never improves on a number; anything improves on nothing."""
    if best is None or (math.isnan(best) and not math.isnan(score)):
        return True
    return score > best if higher_is_better else score < best


class Trainer:
    """Fits a module with AdamW, optional cosine schedule, clipping, autocast and early stopping."""

    def __init__(self, config: TrainConfig, objective: Objective, metric: MetricDef, seed: int, *,
                 device: torch.device | str | None = None, progress: bool = True,
                 checkpoint_dir: Path | None = None) -> None:
        self.config, self.objective, self.metric, self.seed = config, objective, metric, seed
        self.ctx = distributed_context()
        self.device = select_device(str(device) if device else None, self.ctx)
        self.precision = resolve_precision(config.precision, self.device)
        self.progress = progress and self.ctx.is_main
        self.checkpoint_dir = checkpoint_dir

    def autocast(self) -> contextlib.AbstractContextManager:
        dtype = AUTOCAST_DTYPES[self.precision]
        return torch.autocast(self.device.type, dtype=dtype) if dtype else contextlib.nullcontext()

    def fit(self, module: nn.Module, train: TensorData, valid: TensorData, valid_labels: np.ndarray) -> FitInfo:
        """Train ``module`` in place; on return it holds the weights of the best selection epoch."""
        cfg = self.config
        net = self._wrap(module)
        params = [p for p in module.parameters() if p.requires_grad]
        # The fused kernel: one op for all parameters instead of ~10 per tensor (2x faster steps for MulT).
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
        steps = math.ceil(len(train) / cfg.batch_size)
        scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs * steps)
                     if cfg.schedule == "cosine" else None)
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        rng = np.random.default_rng(self.seed)
        info = FitInfo(n_parameters=sum(p.numel() for p in params), device=str(self.device),
                       precision=self.precision)
        best_score, best_state, since_best = None, None, 0
        key = f"valid_{self.metric.name}"
        # Shown on a terminal unless quiet (the CLI's -q raises the log level); None = tqdm's TTY check.
        quiet = not (self.progress and log.isEnabledFor(logging.INFO))
        bar = tqdm(range(1, cfg.epochs + 1), desc="epochs", unit="ep", leave=False, disable=True if quiet else None)
        for epoch in bar:
            t0 = time.perf_counter()
            train_loss = self._train_epoch(net, params, optimizer, scheduler, scaler, train, rng)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            train_time = time.perf_counter() - t0
            outputs = self.predict(module, valid)
            if not np.isfinite(outputs).all():
                raise NonFiniteError(f"epoch {epoch}: outputs on the selection split contain NaN/inf")
            score = float(self.metric.fn(valid_labels, outputs))
            info.history.append({"epoch": epoch, "train_loss": train_loss, key: score,
                                 "lr": optimizer.param_groups[0]["lr"], "train_time_s": train_time,
                                 "epoch_time_s": time.perf_counter() - t0})
            bar.set_postfix(loss=f"{train_loss:.4f}", **{self.metric.name: f"{score:.4f}"})
            if _improves(score, best_score, self.metric.higher_is_better):
                best_score, since_best, info.best_epoch = score, 0, epoch
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                self._checkpoint(best_state, epoch, score)
            else:
                since_best += 1
                if since_best >= cfg.patience:
                    break
        module.load_state_dict(best_state)
        info.extras["train_time_per_epoch_s"] = float(np.mean([h["train_time_s"] for h in info.history]))
        info.extras["epochs_run"] = len(info.history)
        info.extras["world_size"] = self.ctx.world_size
        if self.device.type == "cuda":
            info.extras["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(self.device) / 2**20
        return info

    def _wrap(self, module: nn.Module) -> nn.Module:
        module.to(self.device)
        if self.ctx.world_size == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def _train_epoch(self, net: nn.Module, params: list[nn.Parameter], optimizer: torch.optim.Optimizer,
                     scheduler, scaler: torch.amp.GradScaler, data: TensorData, rng: np.random.Generator) -> float:
        """One pass; returns the mean training loss per sample over all ranks."""
        cfg, world, rank = self.config, self.ctx.world_size, self.ctx.rank
        net.train()
        order = rng.permutation(len(data))
        total = torch.zeros((), device=self.device)
        for start in range(0, len(data), cfg.batch_size):
            index = order[start:start + cfg.batch_size]
            if len(index) < world:  # a rank would get an empty shard; every rank skips it alike
                continue
            inputs, y = data.batch(index[rank::world])
            with self.autocast():
                out = net(inputs)
            loss_sum = self.objective.loss(out.float(), y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss_sum * (world / len(index))).backward()
            if cfg.grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            if scheduler is not None:
                scheduler.step()
            total += loss_sum.detach()
        if world > 1:
            dist.all_reduce(total)
        mean_loss = total.item() / len(data)
        if not math.isfinite(mean_loss):
            raise NonFiniteError(f"training loss became {mean_loss} (lr={cfg.lr}, precision={self.precision})")
        return mean_loss

    @torch.inference_mode()
    def predict(self, module: nn.Module, data: TensorData) -> np.ndarray:
        """Registry-format outputs for every row of ``data`` (regression ``(n,)``, else ``(n, C)``)."""
        module.eval()
        outputs = []
        for start in range(0, len(data), PREDICT_BATCH):
            inputs, _ = data.batch(np.arange(start, min(len(data), start + PREDICT_BATCH)))
            with self.autocast():
                out = module(inputs)
            outputs.append(self.objective.to_output(out.float()))
        return torch.cat(outputs).cpu().numpy().astype(np.float64)

    def _checkpoint(self, state: dict[str, torch.Tensor], epoch: int, score: float) -> None:
        if self.checkpoint_dir is not None and self.ctx.is_main:
            save_checkpoint(Path(self.checkpoint_dir) / "best.safetensors", state,
                            {"epoch": str(epoch), f"valid_{self.metric.name}": repr(score), "seed": str(self.seed)})
