"""``fusion-token``: the simplest transformer with a learnable fusion token (the project's headline baseline).

Each modality's steps are projected to ``d_model`` and given a learned position embedding and a learned
modality-type embedding; ``n_fusion_tokens`` learnable tokens are prepended to the concatenation of all
modalities' tokens, a pre-LN transformer encoder runs over the whole sequence with a key-padding mask,
and the (mean of the) fusion tokens' final states feed a linear head. The seed author's notes
(research-notes-2024-10.md, 10.13) report that such a model beat CORECT on CMU-MOSEI sentiment.

Variants: ``modality_layers`` per-modality (unshared) layers before fusion; ``bottleneck=true`` makes the
fusion layers bottleneck-style (Nagrani et al., NeurIPS 2021, "Attention Bottlenecks for Multimodal
Fusion"): each modality has its own layer over [fusion tokens; its tokens], so modalities exchange
information only through the fusion tokens, which are averaged over the present modalities after every
layer. An absent modality's tokens are hidden from attention (and, in bottleneck mode, from the average).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import (
    NeuralConfig,
    absent_as_padding,
    encoder_layer,
    keep_one_key,
    pool_steps,
    register_neural,
    transformer,
)
from harness.train import Batch, ModalitySpec


@dataclass(frozen=True)
class FusionTokenConfig(NeuralConfig):
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    ff_mult: int = 2
    n_fusion_tokens: int = 1
    modality_layers: int = 0
    bottleneck: bool = False
    stride: int = 4


class FusionTokenTransformer(nn.Module):
    def __init__(self, specs: list[ModalitySpec], out_dim: int, cfg: FusionTokenConfig) -> None:
        super().__init__()
        d, k = cfg.d_model, cfg.n_fusion_tokens
        self.names = [s.name for s in specs]
        self.bottleneck, self.stride = cfg.bottleneck, cfg.stride
        self.proj = nn.ModuleDict({s.name: nn.Linear(s.dim, d) for s in specs})
        self.pos = nn.ParameterDict({
            s.name: nn.Parameter(0.02 * torch.randn(-(-s.max_len // cfg.stride), d)) for s in specs})
        self.kind = nn.Parameter(0.02 * torch.randn(len(specs), d))
        self.fusion = nn.Parameter(0.02 * torch.randn(k, d))
        self.drop = nn.Dropout(cfg.dropout)
        self.unimodal = nn.ModuleDict({
            s.name: transformer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout, cfg.modality_layers) for s in specs
        }) if cfg.modality_layers else None
        if cfg.bottleneck:
            self.layers = nn.ModuleList(
                nn.ModuleDict({s.name: encoder_layer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout) for s in specs})
                for _ in range(cfg.n_layers))
        else:
            self.encoder = transformer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout, cfg.n_layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(d, out_dim))

    def forward(self, batch: Batch) -> torch.Tensor:
        tokens, pads = [], []
        for i, name in enumerate(self.names):
            inp = pool_steps(batch[name], self.stride)
            h = self.drop(self.proj[name](inp.x) + self.pos[name][: inp.x.shape[1]] + self.kind[i])
            pad = absent_as_padding(inp)
            if self.unimodal is not None:
                h = self.unimodal[name](h, src_key_padding_mask=keep_one_key(pad))
            tokens.append(h)
            pads.append(pad)
        b = tokens[0].shape[0]
        fusion = self.fusion.expand(b, -1, -1)
        none = torch.zeros(b, fusion.shape[1], dtype=torch.bool, device=fusion.device)
        if self.bottleneck:
            fusion = self._bottleneck(fusion, none, tokens, pads, batch)
        else:
            out = self.encoder(torch.cat([fusion, *tokens], 1), src_key_padding_mask=torch.cat([none, *pads], 1))
            fusion = out[:, : fusion.shape[1]]
        return self.head(self.norm(fusion).mean(1))

    def _bottleneck(self, fusion: torch.Tensor, none: torch.Tensor, tokens: list[torch.Tensor],
                    pads: list[torch.Tensor], batch: Batch) -> torch.Tensor:
        k = fusion.shape[1]
        weight = torch.stack([batch[n].present for n in self.names], 1).to(fusion.dtype)  # (B, M)
        weight = (weight / weight.sum(1, keepdim=True).clamp_min(1.0))[:, :, None, None]
        for layer in self.layers:
            estimates = []
            for i, name in enumerate(self.names):
                out = layer[name](torch.cat([fusion, tokens[i]], 1), src_key_padding_mask=torch.cat([none, pads[i]], 1))
                estimates.append(out[:, :k])
                tokens[i] = out[:, k:]
            fusion = (torch.stack(estimates, 1) * weight).sum(1)
        return fusion


@register_neural("fusion-token", config=FusionTokenConfig,
                 description="Transformer over all modalities' tokens with a learnable fusion token (pre-LN)")
def fusion_token(specs: list[ModalitySpec], out_dim: int, cfg: FusionTokenConfig) -> nn.Module:
    return FusionTokenTransformer(specs, out_dim, cfg)
