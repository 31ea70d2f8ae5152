"""The contextual fusion-token transformer: the strongest reading of the seed author's "simplest transformer with
a fusion token" (``../shared/seed/research-notes-2024-10.md``, 10.13) for conversations.

Per utterance, each modality's vector is projected to ``d_model`` plus a learned modality-type embedding; a
learnable fusion token is prepended and a small pre-LN transformer runs over ``[fusion; modality tokens]`` (the
project's ``fusion-token`` baseline, one utterance at a time). The fusion token's output for every utterance,
plus a sinusoidal turn position and a speaker embedding, then goes through a second small transformer over the
dialogue (padded utterances masked), and a linear head classifies each utterance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from baselines.neural.common import sinusoidal_positions, transformer
from reproductions.corect.batch import DialogueBatch
from reproductions.corect.network import DialogueConfig


@dataclass(frozen=True)
class ContextFusionConfig(DialogueConfig):
    d_model: int = 32
    n_heads: int = 4
    utterance_layers: int = 1
    dialogue_layers: int = 2
    ff_mult: int = 2
    dropout: float = 0.1
    use_speaker: bool = True


class ContextualFusionToken(nn.Module):
    def __init__(self, dims: dict[str, int], n_classes: int, n_speakers: int, cfg: ContextFusionConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.names = list(dims)
        self.proj = nn.ModuleDict({m: nn.Linear(dim, d) for m, dim in dims.items()})
        self.kind = nn.Parameter(0.02 * torch.randn(len(dims), d))
        self.fusion = nn.Parameter(0.02 * torch.randn(1, 1, d))
        self.utterance = transformer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout, cfg.utterance_layers)
        self.speaker = nn.Embedding(n_speakers, d) if cfg.use_speaker else None
        self.dialogue = transformer(d, cfg.n_heads, cfg.ff_mult, cfg.dropout, cfg.dialogue_layers)
        self.drop = nn.Dropout(cfg.dropout)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, n_classes)

    def forward(self, chunks: Sequence[DialogueBatch]) -> torch.Tensor:
        return torch.cat([self._forward(batch) for batch in chunks])

    def _forward(self, batch: DialogueBatch) -> torch.Tensor:
        mask = batch.mask
        b, length = mask.shape
        tokens = torch.stack([self.proj[m](batch.x[m][mask]) + self.kind[i] for i, m in enumerate(self.names)], 1)
        fused = self.utterance(torch.cat([self.fusion.expand(len(tokens), -1, -1), tokens], 1))[:, 0]
        seq = torch.zeros(b, length, fused.shape[-1], dtype=fused.dtype, device=fused.device)
        seq[mask] = fused
        seq = seq + sinusoidal_positions(length, seq.shape[-1]).to(seq.device)
        if self.speaker is not None:
            seq = seq + self.speaker(batch.speakers)
        out = self.dialogue(self.drop(seq), src_key_padding_mask=~mask)
        return self.head(self.norm(out[mask]))
