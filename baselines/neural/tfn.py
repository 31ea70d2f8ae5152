"""``tfn``: Tensor Fusion Network (Zadeh et al., EMNLP 2017, arXiv:1707.07250).

Each modality's subnet output ``z_m`` is extended with a constant 1 and the outer product of all
``[1; z_m]`` is flattened, so the fused vector holds every unimodal, bimodal, ... M-modal product term;
a post-fusion MLP maps it to the output. The fused size is ``prod(d_m + 1)``, exponential in the
number of modalities, so each ``d_m`` is capped at ``floor(max_tensor_size ** (1/M)) - 1`` (6-view
mfeat: 3). An absent modality's ``z_m`` is zero, which keeps exactly the terms without it.

Speed (CPU training): the fused tensor is ``B x prod(d_m + 1)`` (287k wide at MMSA's MOSEI sizes), so a step is
bound by passes over it, by fresh allocations of it (each one page-faults in), and by torch's CPU dropout
draw. :func:`outer_dropout_linear` computes ``Linear(Dropout(outer))`` with its own backward: two scratch
buffers reused from step to step, the dropout applied in place with the same draws as ``nn.Dropout`` (one
``bernoulli_`` over a float tensor of the fused size, so seeded runs draw the same masks), its ``1 / (1 - p)``
scale folded into the matmul, and the fused gradient contracted with ``bmm`` rather than through autograd's
broadcast product (whose backward materialises two more fused-size tensors). Only float rounding differs
from the plain ``self.head(fused)`` path, which evaluation and autocast/GPU training still take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import ModalityEncoder, NeuralConfig, register_neural
from harness.errors import UserError
from harness.train import Batch, ModalitySpec


@dataclass(frozen=True)
class TFNConfig(NeuralConfig):
    hidden: int = 32
    tensor_dim: int = 8
    max_tensor_size: int = 4096
    post_hidden: int = 32
    encoder: str = "mean"


def tensor_dim(cfg: TFNConfig, n_modalities: int) -> int:
    """Per-modality width entering the outer product, capped so the product stays <= max_tensor_size."""
    cap = int(math.floor(cfg.max_tensor_size ** (1 / n_modalities) + 1e-9)) - 1
    dim = min(cfg.tensor_dim, cap)
    if dim < 1:
        raise UserError(f"tfn: max_tensor_size={cfg.max_tensor_size} is too small for {n_modalities} modalities")
    return dim


def with_one(z: torch.Tensor) -> torch.Tensor:
    """``[1; z]`` per row: ``(B, d) -> (B, d + 1)``."""
    return torch.cat([torch.ones_like(z[:, :1]), z], dim=1)


def outer(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """Flattened per-row outer product ``(B, P), (B, K) -> (B, P * K)``. ``bmm`` with an inner size of 1 gives
    the same floats as a broadcast product, and its backward needs no ``B x P x K`` temporaries."""
    return torch.bmm(left[:, :, None], right[:, None, :]).flatten(1)


def outer_fusion(parts: list[torch.Tensor]) -> torch.Tensor:
    """Flattened outer product of ``[1; z]`` over all parts: ``(B, prod(d_m + 1))``."""
    fused = with_one(parts[0])
    for z in parts[1:]:
        fused = outer(fused, with_one(z))
    return fused


class Scratch:
    """Flat buffers that :func:`outer_dropout_linear` hands back after its backward pass, so the next step writes
    into pages that are already mapped instead of page-faulting in fresh ones (the first ``n`` elements of a
    buffer serve any smaller batch, e.g. an epoch's last)."""

    def __init__(self) -> None:
        self.free: list[torch.Tensor] = []

    def take(self, n: int, like: torch.Tensor) -> torch.Tensor:
        """A flat buffer of at least ``n`` elements of ``like``'s dtype and device."""
        for i, flat in enumerate(self.free):
            if flat.numel() >= n and flat.dtype == like.dtype and flat.device == like.device:
                return self.free.pop(i)
        return torch.empty(n, dtype=like.dtype, device=like.device)

    def give(self, *flats: torch.Tensor) -> None:
        self.free.extend(flats)

    def clear(self) -> None:
        self.free.clear()


class _OuterDropoutLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, left, right, weight, bias, p: float, scratch: Scratch):  # noqa: ANN001, ANN205
        b, n_left, n_right = left.shape[0], left.shape[1], right.shape[1]
        n = b * n_left * n_right
        flats = [scratch.take(n, left)]
        fused = flats[0][:n].view(b, n_left * n_right)
        torch.bmm(left[:, :, None], right[:, None, :], out=fused.view(b, n_left, n_right))
        keep = None
        if p > 0:  # nn.Dropout's draw: bernoulli_(1 - p) over a float tensor of the fused size
            flats.append(scratch.take(n, left))
            keep = flats[1][:n].view(fused.shape).bernoulli_(1 - p)
            fused.mul_(keep)
        ctx.save_for_backward(left, right, weight)
        ctx.fused, ctx.keep, ctx.flats, ctx.scale, ctx.scratch = fused, keep, flats, 1.0 / (1.0 - p), scratch
        return torch.addmm(bias, fused, weight.t(), alpha=ctx.scale)

    @staticmethod
    def backward(ctx, grad_out):  # noqa: ANN001, ANN205
        if ctx.flats is None:
            raise RuntimeError("outer_dropout_linear: a second backward pass (retain_graph) is not supported")
        left, right, weight = ctx.saved_tensors
        fused, keep, flats = ctx.fused, ctx.keep, ctx.flats
        ctx.fused = ctx.keep = ctx.flats = None
        grad = grad_out * ctx.scale
        grad_weight = grad.t().mm(fused)
        grad_fused = torch.mm(grad, weight, out=fused)  # the dropped fused values are not needed any more
        if keep is not None:
            grad_fused.mul_(keep)
        grad3 = grad_fused.view(left.shape[0], left.shape[1], right.shape[1])
        grad_left = torch.bmm(grad3, right[:, :, None]).squeeze(2) if ctx.needs_input_grad[0] else None
        grad_right = torch.bmm(left[:, None, :], grad3).squeeze(1) if ctx.needs_input_grad[1] else None
        ctx.scratch.give(*flats)
        return grad_left, grad_right, grad_weight, grad_out.sum(0), None, None


def outer_dropout_linear(left: torch.Tensor, right: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                         p: float, scratch: Scratch) -> torch.Tensor:
    """``linear(dropout(outer(left, right), p), weight, bias)`` in training mode, up to float rounding and with
    the same dropout draws (see the module docstring). ``(B, P), (B, K) -> (B, out)``."""
    return _OuterDropoutLinear.apply(left, right, weight, bias, p, scratch)


class TFN(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: TFNConfig) -> None:
        super().__init__()
        dim = tensor_dim(cfg, len(specs))
        self.encoders = nn.ModuleDict({
            s.name: ModalityEncoder(s, cfg.hidden, dim, cfg.dropout, cfg.encoder) for s in specs})
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear((dim + 1) ** len(specs), cfg.post_hidden),
                                  nn.ReLU(), nn.Linear(cfg.post_hidden, cfg.post_hidden), nn.ReLU(),
                                  nn.Linear(cfg.post_hidden, out_dim))
        self.scratch = Scratch()

    def train(self, mode: bool = True) -> TFN:
        if not mode:  # hold the scratch buffers only while training
            self.scratch.clear()
        return super().train(mode)

    def forward(self, batch: Batch) -> torch.Tensor:
        parts = [enc(batch[name]) for name, enc in self.encoders.items()]
        if not self._fast_path(parts[0]):
            return self.head(outer_fusion(parts))
        dropout, linear = self.head[0], self.head[1]
        return self.head[2:](outer_dropout_linear(outer_fusion(parts[:-1]), with_one(parts[-1]), linear.weight,
                                                  linear.bias, dropout.p, self.scratch))

    def _fast_path(self, z: torch.Tensor) -> bool:
        """Training on a CPU in full precision with at least two modalities: there ``nn.Dropout`` is one
        ``bernoulli_`` draw (a GPU's fused dropout kernel draws differently) and nothing is autocast."""
        return (self.training and torch.is_grad_enabled() and len(self.encoders) > 1 and self.head[0].p < 1
                and z.device.type == "cpu" and z.dtype == torch.float32 and not torch.is_autocast_enabled("cpu"))


@register_neural("tfn", config=TFNConfig,
                 description="Tensor Fusion Network: outer product of [1; z_m] over modalities, then an MLP")
def tfn(specs: list[ModalitySpec], out_dim: int, cfg: TFNConfig) -> nn.Module:
    return TFN(specs, out_dim, cfg)
