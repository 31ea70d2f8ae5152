"""What a network is trained to minimise and how its raw output becomes the registry's output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from harness.errors import UserError
from harness.tasks.spec import TaskSpec

REGRESSION_LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss}
CLASSIFICATION = ("single-label", "binary")


@dataclass(frozen=True)
class Objective:
    """Networks return ``(B, out_dim)``. ``loss`` sums over the batch (the Trainer divides by the global
    batch size, so DDP stays exact)."""

    out_dim: int
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    to_output: Callable[[torch.Tensor], torch.Tensor]
    target_dtype: torch.dtype


def objective_for(task: TaskSpec, regression_loss: str = "l1") -> Objective:
    """Regression: one output, L1 (MMSA's choice for MOSI/MOSEI) or MSE. Classification: C logits,
    cross-entropy, reported as softmax probabilities like the scikit-learn baselines."""
    if task.target_kind == "regression":
        if regression_loss not in REGRESSION_LOSSES:
            raise UserError(f"loss={regression_loss!r} is not one of {sorted(REGRESSION_LOSSES)}")
        fn = REGRESSION_LOSSES[regression_loss]
        return Objective(1, lambda out, y: fn(out.squeeze(-1), y, reduction="sum"), lambda out: out.squeeze(-1),
                         torch.float32)
    if task.target_kind in CLASSIFICATION:
        return Objective(int(task.num_classes), lambda out, y: F.cross_entropy(out, y, reduction="sum"),
                         lambda out: out.softmax(dim=-1), torch.long)
    raise UserError(f"torch models support regression and {CLASSIFICATION} tasks, not {task.target_kind!r}")
