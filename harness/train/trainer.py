"""The one training loop every torch model goes through, so model comparisons never compare loops.

``Trainer.run(module, phases)`` trains through the hooks of ``harness.train.hooks`` (step, sampler, callbacks,
optimiser factory, phases); ``Trainer.fit`` is the supervised default built from them. Selection is honest:
early stopping and the restored "best" weights use only the selection split's primary metric. Under DDP every
rank sees the same shuffled order and takes an interleaved shard of each global batch; the supervised loss is
divided by the *global* batch size, so the averaged gradient equals the single-process one and ranks stay
bit-identical. Each rank scores the (small) selection split itself, so early-stopping decisions agree without
communication.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from harness.errors import UserError
from harness.metrics.registry import MetricDef
from harness.models import FitInfo, NonFiniteError
from harness.train.batches import Batch, TensorData
from harness.train.checkpoint import save_checkpoint
from harness.train.config import TrainConfig
from harness.train.device import AUTOCAST_DTYPES, distributed_context, resolve_precision, select_device
from harness.train.hooks import Callback, EpochState, Phase, ShuffledBatches, StepContext, StepOutput
from harness.train.objective import Objective
from harness.train.optim import adamw

log = logging.getLogger(__name__)

PREDICT_BATCH = 256


def _improves(score: float, best: float | None, higher_is_better: bool) -> bool:
    """NaN never improves on a number; anything improves on nothing."""
    if best is None or (math.isnan(best) and not math.isnan(score)):
        return True
    return score > best if higher_is_better else score < best


class SupervisedStep:
    """One forward pass and the objective's summed loss, divided by the global batch size (exact under DDP)."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective

    def __call__(self, net: nn.Module, batch: tuple[Batch, torch.Tensor], ctx: StepContext) -> StepOutput:
        inputs, y = batch
        with ctx.autocast():
            out = net(inputs)
        loss_sum = self.objective.loss(out.float(), y)
        return StepOutput(loss_sum * (ctx.world_size / ctx.global_size), {"train_loss": loss_sum.detach()},
                          count=len(y))


class Selection(Callback):
    """Score the selection split after each epoch, stop after ``patience`` epochs without improvement, and
    restore the best epoch's weights when the phase ends (a checkpoint of them is written as they appear)."""

    def __init__(self, score: Callable[[EpochState], float], metric: MetricDef, patience: int,
                 checkpoint: Callable[[dict[str, torch.Tensor], int, float], None] | None = None) -> None:
        self.score, self.metric, self.patience, self.checkpoint = score, metric, patience, checkpoint
        self.best_score: float | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_epoch: int | None = None
        self.since_best = 0

    def on_epoch_end(self, state: EpochState) -> None:
        score = self.score(state)
        state.row[f"valid_{self.metric.name}"] = score
        if _improves(score, self.best_score, self.metric.higher_is_better):
            self.best_score, self.since_best, self.best_epoch = score, 0, state.epoch
            self.best_state = {k: v.detach().clone() for k, v in state.module.state_dict().items()}
            if self.checkpoint is not None:
                self.checkpoint(self.best_state, state.epoch, score)
        else:
            self.since_best += 1
            state.stop = self.since_best >= self.patience

    def on_phase_end(self, state: EpochState) -> None:
        if self.best_state is not None:
            state.module.load_state_dict(self.best_state)


class Trainer:
    """Runs phases with autocast, fp16 loss scaling, clipping, DDP and the non-finite guard; ``fit`` adds AdamW,
    an optional cosine schedule and early stopping on the selection split."""

    def __init__(self, config: TrainConfig, objective: Objective | None, metric: MetricDef | None, seed: int, *,
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
        if self.objective is None or self.metric is None:
            raise UserError("Trainer.fit needs an objective and a selection metric; use Trainer.run for custom steps")
        cfg, metric = self.config, self.metric

        def score(state: EpochState) -> float:
            outputs = self.predict(state.module, valid)
            if not np.isfinite(outputs).all():
                raise NonFiniteError(f"epoch {state.epoch}: outputs on the selection split contain NaN/inf")
            return float(metric.fn(valid_labels, outputs))

        selection = Selection(score, metric, cfg.patience, self._checkpoint)
        phase = Phase("train", train, SupervisedStep(self.objective), cfg.epochs, ShuffledBatches(cfg.batch_size),
                      adamw(cfg.lr, cfg.weight_decay, cfg.schedule), callbacks=(selection,))
        info = FitInfo(n_parameters=sum(p.numel() for p in module.parameters() if p.requires_grad),
                       device=str(self.device), precision=self.precision)
        self.run(module, [phase], info)
        info.best_epoch = selection.best_epoch
        return info

    def run(self, module: nn.Module, phases: Sequence[Phase], info: FitInfo | None = None) -> FitInfo:
        """Train ``module`` in place through ``phases`` in order; one history row per epoch (with a ``phase``
        entry when there are several). Frozen parameters get their ``requires_grad`` back after their phase."""
        info = info or FitInfo(n_parameters=sum(p.numel() for p in module.parameters() if p.requires_grad),
                               device=str(self.device), precision=self.precision)
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        rng = np.random.default_rng(self.seed)
        for phase in phases:
            frozen = [p for name, p in module.named_parameters()
                      if p.requires_grad and name.startswith(tuple(phase.frozen))] if phase.frozen else []
            for p in frozen:
                p.requires_grad_(False)
            try:
                self._run_phase(module, phase, rng, info, label=len(phases) > 1)
            finally:
                for p in frozen:
                    p.requires_grad_(True)
        if info.history:
            info.extras["train_time_per_epoch_s"] = float(np.mean([h["train_time_s"] for h in info.history]))
        info.extras["epochs_run"] = len(info.history)
        info.extras["world_size"] = self.ctx.world_size
        if self.device.type == "cuda":
            info.extras["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(self.device) / 2**20
        return info

    def _run_phase(self, module: nn.Module, phase: Phase, rng: np.random.Generator, info: FitInfo,
                   label: bool) -> None:
        net = self._wrap(module)
        params = [p for p in module.parameters() if p.requires_grad]
        optimizer, scheduler = phase.optimiser(params, phase.epochs * phase.sampler.steps(len(phase.data)))
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")
        # Shown on a terminal unless quiet (the CLI's -q raises the log level); None = tqdm's TTY check.
        quiet = not (self.progress and log.isEnabledFor(logging.INFO))
        bar = tqdm(range(1, phase.epochs + 1), desc=phase.name if label else "epochs", unit="ep", leave=False,
                   disable=True if quiet else None)
        state = EpochState(phase.name, 0, module, optimizer, {})
        steps = 0
        for epoch in bar:
            t0 = time.perf_counter()
            logs, steps = self._train_epoch(net, module, phase, params, optimizer, scheduler, scaler, rng, epoch,
                                            steps)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            train_time = time.perf_counter() - t0
            state = EpochState(phase.name, epoch, module, optimizer,
                               ({"phase": phase.name} if label else {}) | {"epoch": epoch} | logs)
            for callback in phase.callbacks:
                callback.on_epoch_end(state)
            state.row |= {"lr": optimizer.param_groups[0]["lr"], "train_time_s": train_time,
                          "epoch_time_s": time.perf_counter() - t0}
            info.history.append(state.row)
            bar.set_postfix({k: f"{v:.4f}" for k, v in state.row.items()
                             if k not in ("epoch", "lr") and isinstance(v, float) and not k.endswith("time_s")})
            if state.stop:
                break
        for callback in phase.callbacks:
            callback.on_phase_end(state)

    def _wrap(self, module: nn.Module) -> nn.Module:
        module.to(self.device)
        if self.ctx.world_size == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def _train_epoch(self, net: nn.Module, module: nn.Module, phase: Phase, params: list[nn.Parameter],
                     optimizer: torch.optim.Optimizer, scheduler, scaler: torch.amp.GradScaler,
                     rng: np.random.Generator, epoch: int, steps: int) -> tuple[dict[str, float], int]:
        """One pass; returns each logged term's mean over all ranks, and the phase's step count so far."""
        world, rank = self.ctx.world_size, self.ctx.rank
        net.train()
        for name, sub in module.named_modules():
            if name and f"{name}.".startswith(tuple(phase.frozen)):
                sub.eval()
        sums: dict[str, torch.Tensor] = {}
        count = 0
        for index in phase.sampler.batches(len(phase.data), rng):
            if len(index) < world:  # a rank would get an empty shard; every rank skips it alike
                continue
            ctx = StepContext(epoch, steps, len(index), world, self.autocast)
            out = phase.step(net, phase.data.batch(index[rank::world]), ctx)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(out.loss).backward()
            if self.config.grad_clip > 0:
                scaler.unscale_(optimizer)  # clip the true gradients, not the fp16-scaled ones
                torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            if scheduler is not None:
                scheduler.step()
            steps += 1
            for k, v in out.logs.items():
                sums[k] = sums[k] + v if k in sums else torch.zeros((), device=self.device) + v
            count += out.count
        names = sorted(sums)
        if world > 1:
            total = torch.stack([sums[k] for k in names] + [torch.tensor(float(count), device=self.device)])
            dist.all_reduce(total)
            sums, count = dict(zip(names, total[:-1], strict=True)), int(total[-1].item())
        means = {k: sums[k].item() / count for k in sums}
        for k, value in means.items():
            if not math.isfinite(value):
                raise NonFiniteError(f"training loss became {value} ({k}; lr={optimizer.param_groups[0]['lr']}, "
                                     f"precision={self.precision})")
        return means, steps

    @torch.inference_mode()
    def predict(self, module: nn.Module, data: TensorData) -> np.ndarray:
        """Registry-format outputs for every row of ``data`` (regression ``(n,)``, else ``(n, C)``)."""
        assert self.objective is not None, "predict needs the objective that maps outputs to the registry format"
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
            assert self.metric is not None
            save_checkpoint(Path(self.checkpoint_dir) / "best.safetensors", state,
                            {"epoch": str(epoch), f"valid_{self.metric.name}": repr(score), "seed": str(self.seed)})
