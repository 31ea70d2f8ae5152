"""``early-fusion``: EF-LSTM (as in MMSA's ``EF_LSTM``): per-step concatenation of all modalities, one LSTM.

Early fusion needs the modalities on one time grid. Unaligned sequences (different lengths and rates)
are put on a common grid of ``steps`` steps by nearest-neighbour resampling of each sample's *valid*
steps (step k reads source step floor((k + 1/2) L / steps) of a length-L sequence), which is what word
alignment does approximately for MOSI/MOSEI; a vector modality is repeated on every step. An absent
modality contributes zeros, i.e. its training-set mean after standardisation. The grid is never longer than
the longest modality, so on vector-only data the LSTM takes a single step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import NeuralConfig, register_neural
from harness.train import Batch, ModalityInput, ModalitySpec


@dataclass(frozen=True)
class EarlyFusionConfig(NeuralConfig):
    hidden: int = 32
    steps: int = 16


def resample(inp: ModalityInput, steps: int) -> torch.Tensor:
    """Nearest-neighbour resampling of each row's valid prefix to ``steps`` steps: ``(B, steps, d)``."""
    lengths = inp.mask.sum(1, keepdim=True)  # (B, 1)
    grid = torch.arange(steps, device=inp.x.device, dtype=torch.float32)[None, :] + 0.5
    index = torch.minimum((grid * lengths / steps).long(), lengths - 1)  # (B, steps)
    x = torch.gather(inp.x, 1, index[:, :, None].expand(-1, -1, inp.x.shape[2]))
    return x * inp.present[:, None, None].to(x.dtype)


class EFLSTM(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: EarlyFusionConfig) -> None:
        super().__init__()
        self.names = [s.name for s in specs]
        self.steps = min(cfg.steps, max(s.max_len for s in specs))  # all-vector data: one step, not copies
        self.rnn = nn.LSTM(sum(s.dim for s in specs), cfg.hidden, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(),
                                  nn.Linear(cfg.hidden, out_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        x = torch.cat([resample(batch[n], self.steps) for n in self.names], dim=2)
        _, (h, _) = self.rnn(x)
        return self.head(h[-1])


@register_neural("early-fusion", config=EarlyFusionConfig,
                 description="EF-LSTM: per-step concatenation of all modalities on a common grid, one LSTM")
def early_fusion(specs: list[ModalitySpec], out_dim: int, cfg: EarlyFusionConfig) -> nn.Module:
    return EFLSTM(specs, out_dim, cfg)
