"""``late-fusion``: LF-DNN (as in MMSA's ``LF_DNN``): one subnet per modality, concatenation, a fusion MLP.

Each modality is encoded on its own (:class:`ModalityEncoder`: masked mean + MLP, or an LSTM), and only
the per-modality representations meet, in a two-layer MLP. An absent modality's representation is zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import ModalityEncoder, NeuralConfig, register_neural
from harness.train import Batch, ModalitySpec


@dataclass(frozen=True)
class LateFusionConfig(NeuralConfig):
    hidden: int = 32
    post_hidden: int = 32
    encoder: str = "mean"


class LFDNN(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: LateFusionConfig) -> None:
        super().__init__()
        self.encoders = nn.ModuleDict({
            s.name: ModalityEncoder(s, cfg.hidden, cfg.hidden, cfg.dropout, cfg.encoder) for s in specs})
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(len(specs) * cfg.hidden, cfg.post_hidden),
                                  nn.ReLU(), nn.Linear(cfg.post_hidden, out_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head(torch.cat([enc(batch[name]) for name, enc in self.encoders.items()], dim=1))


@register_neural("late-fusion", config=LateFusionConfig,
                 description="LF-DNN: per-modality subnets, concatenated representations, fusion MLP")
def late_fusion(specs: list[ModalitySpec], out_dim: int, cfg: LateFusionConfig) -> nn.Module:
    return LFDNN(specs, out_dim, cfg)
