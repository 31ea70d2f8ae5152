"""``lmf``: Low-rank Multimodal Fusion (Liu et al., ACL 2018, arXiv:1806.00064).

The TFN weight tensor applied to the outer product of ``[1; z_m]`` is replaced by a rank-``rank``
decomposition into per-modality factors, so fusion costs ``sum_m`` instead of ``prod_m``: each modality
maps ``[1; z_m]`` through its ``rank`` factors, the results are multiplied elementwise across modalities
and summed over the rank with learned weights. An absent modality's ``z_m`` is zero (its factor then
contributes only its constant row, as in TFN).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import ModalityEncoder, NeuralConfig, register_neural
from harness.train import Batch, ModalitySpec


@dataclass(frozen=True)
class LMFConfig(NeuralConfig):
    hidden: int = 32
    rank: int = 4
    fusion_dim: int = 32
    encoder: str = "mean"


class LMF(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: LMFConfig) -> None:
        super().__init__()
        self.encoders = nn.ModuleDict({
            s.name: ModalityEncoder(s, cfg.hidden, cfg.hidden, cfg.dropout, cfg.encoder) for s in specs})
        self.factors = nn.ParameterList(
            nn.Parameter(nn.init.xavier_normal_(torch.empty(cfg.rank, cfg.hidden + 1, cfg.fusion_dim))) for _ in specs)
        self.rank_weights = nn.Parameter(nn.init.xavier_normal_(torch.empty(1, cfg.rank)))
        self.bias = nn.Parameter(torch.zeros(cfg.fusion_dim))
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.fusion_dim, out_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        product = None
        for factor, (name, enc) in zip(self.factors, self.encoders.items(), strict=True):
            z = enc(batch[name])
            # [1; z] @ factor = factor's first row + z @ its other rows, for every rank at once: (rank, B, fusion_dim)
            term = torch.baddbmm(factor[:, :1], z.expand(factor.shape[0], *z.shape), factor[:, 1:])
            product = term if product is None else product * term
        fused = torch.einsum("r,rbo->bo", self.rank_weights[0], product) + self.bias
        return self.head(fused)


@register_neural("lmf", config=LMFConfig,
                 description="Low-rank Multimodal Fusion: rank-r factorised tensor fusion of modality subnets")
def lmf(specs: list[ModalitySpec], out_dim: int, cfg: LMFConfig) -> nn.Module:
    return LMF(specs, out_dim, cfg)
