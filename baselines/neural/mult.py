"""``mult``: Multimodal Transformer (Tsai et al., ACL 2019, arXiv:1906.00295), for unaligned sequences.

For every target modality m and every other source modality s, a crossmodal transformer lets m's steps
attend to s's steps (pre-LN: ``x + Attn(LN(x), LN(s), LN(s))``, then a feed-forward block). The
crossmodal outputs for m are concatenated along features, a self-attention transformer runs over them,
and the last valid step is m's summary; all summaries are concatenated and pass the residual projection
block of the paper before the output layer. Inputs are projected to ``d_model`` (the paper's kernel-1
Conv1d), scaled by sqrt(d_model) and given sinusoidal positions; ``stride`` > 1 first averages windows
of that many steps (as in ``fusion-token``) to cut the quadratic attention cost. With a single modality, the modality is
its own source. An absent source adds nothing to its targets and an absent target's summary is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import (
    NeuralConfig,
    last_valid,
    pool_steps,
    register_neural,
    sinusoidal_positions,
    transformer,
)
from harness.train import Batch, ModalityInput, ModalitySpec


@dataclass(frozen=True)
class MulTConfig(NeuralConfig):
    d_model: int = 32
    n_heads: int = 4
    cross_layers: int = 1
    self_layers: int = 1
    ff_mult: int = 2
    stride: int = 4


class CrossmodalLayer(nn.Module):
    def __init__(self, d: int, n_heads: int, ff_mult: int, dropout: float) -> None:
        super().__init__()
        self.norm_q, self.norm_kv, self.norm_ff = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, n_heads, batch_first=True)  # no attention dropout, as in encoder_layer
        self.ff = nn.Sequential(nn.Linear(d, ff_mult * d), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff_mult * d, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, source: torch.Tensor, source_inp: ModalityInput) -> torch.Tensor:
        kv = self.norm_kv(source)
        attended, _ = self.attn(self.norm_q(x), kv, kv, key_padding_mask=~source_inp.mask, need_weights=False)
        x = x + self.drop(attended) * source_inp.present[:, None, None].to(x.dtype)
        return x + self.drop(self.ff(self.norm_ff(x)))


class MulT(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: MulTConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.names = [s.name for s in specs]
        self.sources = {m: [s for s in self.names if s != m] or [m] for m in self.names}
        self.scale, self.stride = math.sqrt(d), cfg.stride
        self.proj = nn.ModuleDict({s.name: nn.Linear(s.dim, d) for s in specs})
        self.register_buffer("positions", sinusoidal_positions(max(s.max_len for s in specs), d), persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.cross = nn.ModuleDict({m: nn.ModuleDict({s: nn.ModuleList(
            CrossmodalLayer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout) for _ in range(cfg.cross_layers))
            for s in sources}) for m, sources in self.sources.items()})
        width = {m: d * len(sources) for m, sources in self.sources.items()}
        self.self_attn = nn.ModuleDict({
            m: transformer(width[m], cfg.n_heads, cfg.ff_mult, cfg.dropout, cfg.self_layers) for m in self.names})
        self.norm = nn.ModuleDict({m: nn.LayerNorm(width[m]) for m in self.names})
        total = sum(width.values())
        self.proj1, self.proj2 = nn.Linear(total, total), nn.Linear(total, total)
        self.out = nn.Linear(total, out_dim)

    def forward(self, batch: Batch) -> torch.Tensor:
        batch = {m: pool_steps(batch[m], self.stride) for m in self.names}
        embedded = {}
        for m in self.names:
            x = batch[m].x
            embedded[m] = self.drop(self.scale * self.proj[m](x) + self.positions[: x.shape[1]])
        summaries = []
        for m in self.names:
            target = batch[m]
            streams = []
            for s in self.sources[m]:
                h = embedded[m]
                for layer in self.cross[m][s]:
                    h = layer(h, embedded[s], batch[s])
                streams.append(h)
            h = self.self_attn[m](torch.cat(streams, dim=2), src_key_padding_mask=~target.mask)
            summaries.append(last_valid(self.norm[m](h), target.mask) * target.present[:, None].to(h.dtype))
        fused = torch.cat(summaries, dim=1)
        hidden = self.proj2(self.drop(torch.relu(self.proj1(fused)))) + fused
        return self.out(hidden)


@register_neural("mult", config=MulTConfig,
                 description="MulT: crossmodal transformers between every pair of modalities (unaligned)")
def mult(specs: list[ModalitySpec], out_dim: int, cfg: MulTConfig) -> nn.Module:
    return MulT(specs, out_dim, cfg)
