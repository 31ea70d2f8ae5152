"""The Trainer's five hooks: what a paper plugs into the one training loop instead of writing its own.

A training run is a list of :class:`Phase` objects given to ``Trainer.run(module, phases)``; each phase says

* **data**: anything with ``len(data)`` and ``data.batch(index) -> batch`` (``TensorData`` for multimodal
  splits, :class:`TensorRows` for plain tensors such as images);
* **step** (:class:`TrainStep`): ``step(net, batch, ctx) -> StepOutput``: any number of forward passes and loss
  terms; ``StepOutput.loss`` is backpropagated and every named term in ``StepOutput.logs`` lands in the epoch's
  history row;
* **sampler** (:class:`Sampler`): the global index arrays of one epoch (:class:`ShuffledBatches`, or
  :class:`GroupBatches` for whole dialogues or pairs per batch; under DDP each rank takes ``index[rank::world]``);
* **optimiser** (``OptimiserFactory``, see ``harness.train.optim``): ``(params, total_steps) -> (optimiser,
  scheduler or None)``; the scheduler is stepped after every optimiser step (per-iteration schedules);
* **epochs**, **frozen** parameter-name prefixes (held fixed, their modules in eval mode) and **callbacks**
  (:class:`Callback`: after each epoch, e.g. selection with early stopping, probes, loss-weight schedules;
  they add values to the history row and may stop the phase).

Staged training is several phases over one module (e.g. pre-train, then fine-tune with the encoder frozen).
The Trainer keeps what every run shares: device, autocast precision, fp16 loss scaling with clipping on
*unscaled* gradients, DDP sharding of each global batch, the non-finite guard, timing and the history.
``Trainer.fit`` is the supervised default built from these hooks (``SupervisedStep``, ``ShuffledBatches``,
AdamW, ``Selection``).

Why this small: each hook is one call with one job. A paper that needs more (e.g. an EMA teacher) does it in its
step or a callback, which see the module and the optimiser. A two-loss step and a two-stage run look like::

    def step(net, batch, ctx):
        inputs, y = batch
        with ctx.autocast():
            a, b = net.encode(inputs["audio"]), net.encode(inputs["video"])  # two forward passes
        contrast, cls = info_nce(a, b, 0.1), F.cross_entropy(net.head(a), y)
        return StepOutput(contrast + 0.5 * cls, {"contrast": contrast.detach(), "cls": cls.detach()})

    trainer.run(net, [
        Phase("pretrain", data, step, 100, ShuffledBatches(256), sgd_warmup_cosine(0.5, 0.9, 5e-4, 300)),
        Phase("finetune", data, step, 10, GroupBatches(split.dialogues(), 8), adamw(1e-4, 0.0), frozen=("encoder.",),
              callbacks=[Selection(score, get_metric("accuracy"), patience=3)]),
    ])

(E-SSL's ``reproductions/essl/recipe.py`` is a complete example.)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from harness.errors import UserError


@dataclass
class StepOutput:
    """What one training step hands back.

    ``loss`` is backpropagated as is (on this rank's shard). ``logs`` are named detached scalar tensors, summed
    over the epoch's steps (and ranks) and divided by the summed ``count``: with the default ``count=1`` a term
    is logged as its mean over steps; a step that logs *sums over its samples* passes ``count=len(batch)``.
    """

    loss: torch.Tensor
    logs: dict[str, torch.Tensor] = field(default_factory=dict)
    count: int = 1


@dataclass(frozen=True)
class StepContext:
    """Where a step is: ``global_size`` items in the global batch (this rank holds a ``1/world_size`` shard)."""

    epoch: int  # 1-based, within the phase
    step: int  # optimiser steps taken so far in the phase
    global_size: int
    world_size: int
    autocast: Callable[[], contextlib.AbstractContextManager]


class TrainStep(Protocol):
    def __call__(self, net: nn.Module, batch: Any, ctx: StepContext) -> StepOutput: ...


class Sampler(Protocol):
    """Global index arrays for one epoch; ``rng`` is the run's seeded generator. ``steps(n)`` is their number
    (the horizon of per-iteration schedules)."""

    def batches(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]: ...

    def steps(self, n: int) -> int: ...


@dataclass
class EpochState:
    """What a callback sees after an epoch; it may add entries to ``row`` and set ``stop``."""

    phase: str
    epoch: int  # 1-based, within the phase
    module: nn.Module
    optimiser: Optimizer
    row: dict[str, Any]  # this epoch's history row (already holds the step logs)
    stop: bool = False


class Callback:
    """Subclass and override what you need; both methods run on every rank."""

    def on_epoch_end(self, state: EpochState) -> None:
        """After each epoch's training pass."""

    def on_phase_end(self, state: EpochState) -> None:
        """After the phase's last epoch (also when a callback stopped it early)."""


OptimiserFactory = Callable[[list[nn.Parameter], int], tuple[Optimizer, LRScheduler | None]]


@dataclass(frozen=True)
class Phase:
    """One stage of training: its data, step, sampler, optimiser, length, frozen parts and callbacks."""

    name: str
    data: Any  # len(data) and data.batch(index)
    step: TrainStep
    epochs: int
    sampler: Sampler
    optimiser: OptimiserFactory
    frozen: tuple[str, ...] = ()  # parameter-name prefixes, e.g. ("encoder.",)
    callbacks: Sequence[Callback] = ()

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise UserError(f"phase {self.name!r}: epochs must be at least 0, got {self.epochs}")


# ---- data and samplers -------------------------------------------------------------------------------------

class TensorRows:
    """Rows of one tensor (or of a dict of equally long tensors) as batches: ``batch(index)`` gathers rows."""

    def __init__(self, data: torch.Tensor | dict[str, torch.Tensor]) -> None:
        self.data = data
        first = data if isinstance(data, torch.Tensor) else next(iter(data.values()))
        self.n = int(first.shape[0])

    def __len__(self) -> int:
        return self.n

    def batch(self, index: np.ndarray) -> torch.Tensor | dict[str, torch.Tensor]:
        if isinstance(self.data, torch.Tensor):
            return self.data[torch.as_tensor(index, device=self.data.device)]
        return {k: v[torch.as_tensor(index, device=v.device)] for k, v in self.data.items()}


@dataclass(frozen=True)
class ShuffledBatches:
    """A fresh permutation per epoch cut into ``batch_size`` slices (the last one smaller unless ``drop_last``).

    The order comes from the run's numpy generator, or from ``generator`` when given: a step that draws its
    augmentations from the same torch generator then depends on one seed only.
    """

    batch_size: int
    drop_last: bool = False
    generator: torch.Generator | None = None

    def steps(self, n: int) -> int:
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def batches(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        order = rng.permutation(n) if self.generator is None else torch.randperm(n, generator=self.generator).numpy()
        for i in range(self.steps(n)):
            yield order[i * self.batch_size:(i + 1) * self.batch_size]


class GroupBatches:
    """Whole groups per batch, ``groups_per_batch`` of them: dialogues (``GroupBatches(split.dialogues(), k)``,
    rows in turn order) or pairs (``GroupBatches.of(split.group("pair"), k)``). Group order is shuffled each
    epoch; rows keep their order within a group, so a model can rebuild each dialogue from consecutive rows."""

    def __init__(self, members: Sequence[np.ndarray], groups_per_batch: int) -> None:
        if groups_per_batch < 1:
            raise UserError(f"groups_per_batch must be at least 1, got {groups_per_batch}")
        self.members = [np.asarray(m, dtype=np.int64) for m in members]
        self.groups_per_batch = groups_per_batch
        self.n = sum(len(m) for m in self.members)

    @classmethod
    def of(cls, values: np.ndarray, groups_per_batch: int) -> GroupBatches:
        """Groups of equal ``values`` (one per row, e.g. a pair id), rows in their stored order."""
        _, inverse = np.unique(np.asarray(values), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        return cls(np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1), groups_per_batch)

    def steps(self, n: int) -> int:
        return math.ceil(len(self.members) / self.groups_per_batch)

    def batches(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        if n != self.n:
            raise UserError(f"GroupBatches covers {self.n} rows but the data has {n}")
        order = rng.permutation(len(self.members))
        for start in range(0, len(order), self.groups_per_batch):
            yield np.concatenate([self.members[g] for g in order[start:start + self.groups_per_batch]])
