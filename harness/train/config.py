"""Training settings shared by every torch model; model configs inherit them so ``--set lr=...`` works."""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UserError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
SCHEDULES = ("none", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Small defaults on purpose: the default leaderboard trains every neural baseline on 2 CPU cores.

    ``precision="auto"`` means bf16 autocast on a CUDA device that supports it and fp32 elsewhere; the
    precision actually used is recorded in the run. ``grad_clip=0`` disables clipping; ``patience`` counts
    epochs without improvement of the selection split's primary metric.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 6
    grad_clip: float = 1.0
    schedule: str = "none"
    precision: str = "auto"

    def __post_init__(self) -> None:
        problems = []
        if self.precision not in PRECISIONS:
            problems.append(f"precision={self.precision!r} is not one of {PRECISIONS}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule={self.schedule!r} is not one of {SCHEDULES}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            problems.append("epochs, batch_size and patience must be at least 1")
        if self.lr <= 0 or self.grad_clip < 0 or self.weight_decay < 0:
            problems.append("lr must be positive; grad_clip and weight_decay non-negative")
        if problems:
            raise UserError(f"{type(self).__name__}: " + "; ".join(problems))
