"""``tfn``: Tensor Fusion Network (Zadeh et al., EMNLP 2017, arXiv:1707.07250).

Each modality's subnet output ``z_m`` is extended with a constant 1 and the outer product of all
``[1; z_m]`` is flattened, so the fused vector holds every unimodal, bimodal, ... M-modal product term;
a post-fusion MLP maps it to the output. The fused size is ``prod(d_m + 1)``, exponential in the
number of modalities, so each ``d_m`` is capped at ``floor(max_tensor_size ** (1/M)) - 1`` (6-view
mfeat: 3). An absent modality's ``z_m`` is zero, which keeps exactly the terms without it.
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


def outer_fusion(parts: list[torch.Tensor]) -> torch.Tensor:
    """Flattened outer product of ``[1; z]`` over all parts: ``(B, prod(d_m + 1))``."""
    fused = None
    for z in parts:
        z1 = torch.cat([torch.ones_like(z[:, :1]), z], dim=1)
        fused = z1 if fused is None else (fused[:, :, None] * z1[:, None, :]).flatten(1)
    return fused


class TFN(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: TFNConfig) -> None:
        super().__init__()
        dim = tensor_dim(cfg, len(specs))
        self.encoders = nn.ModuleDict({
            s.name: ModalityEncoder(s, cfg.hidden, dim, cfg.dropout, cfg.encoder) for s in specs})
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear((dim + 1) ** len(specs), cfg.post_hidden),
                                  nn.ReLU(), nn.Linear(cfg.post_hidden, cfg.post_hidden), nn.ReLU(),
                                  nn.Linear(cfg.post_hidden, out_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(outer_fusion([enc(batch[name]) for name, enc in self.encoders.items()]))


@register_neural("tfn", config=TFNConfig,
                 description="Tensor Fusion Network: outer product of [1; z_m] over modalities, then an MLP")
def tfn(specs: list[ModalitySpec], out_dim: int, cfg: TFNConfig) -> nn.Module:
    return TFN(specs, out_dim, cfg)
