"""The OmniVec2 network at small scale: tokenizers -> f (transformer + modality FC reduction) -> [cross-attention]
-> shared g -> per-(modality, task) heads.

* ``Tokenizer`` (one per modality): a linear embedding of the raw tokens (one per position for tabular views),
  learned position embeddings, a CLS token and a mask token (for the masked stages).
* ``f``: one transformer shared by every modality, then a modality-specific FC layer reducing ``width`` to
  ``reduced`` (the caption's "transformer followed by FC layers that reduce the feature dimension").
* ``cross``: cross-attention fusing two streams, used only in two-stream passes (stages 2 and 3, and the
  two-stream inference arm): each stream attends to the other with the same layers (symmetric, shared weights),
  pre-norm with a residual, between f and g (the notes' reading of the figure).
* ``g``: a second transformer shared by every modality and task, at the reduced width.
* ``heads``: one linear classifier per (task, modality) on g's CLS output; ``decoders``: linear maps back to raw
  token values for masked reconstruction (``f`` side for stage 1, ``g`` side for stage 2); discarded after
  pre-training in the sense that no prediction uses them.

Single-stream inference, ``predict_stream``, is ``head(g(f(tokenize(x))))``: it never calls ``cross``.
"""

from __future__ import annotations

import torch
from torch import nn

from reproductions.omnivec2.config import NetShape
from reproductions.omnivec2.tokens import StreamShape


def encoder(width: int, layers: int, shape: NetShape) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(width, shape.heads, shape.ff_mult * width, shape.dropout, batch_first=True,
                                       norm_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class Tokenizer(nn.Module):
    """Raw tokens (B, L, D) -> embedded tokens (B, 1 + L, width) with CLS first; ``mask`` (B, L) bool replaces
    the masked tokens' embeddings by a learned mask token before the position embedding is added."""

    def __init__(self, stream: StreamShape, width: int) -> None:
        super().__init__()
        self.per_position = stream.per_position
        if stream.per_position:
            self.weight = nn.Parameter(torch.randn(stream.length, stream.dim, width) / stream.dim ** 0.5)
            self.bias = nn.Parameter(torch.zeros(stream.length, width))
        else:
            self.embed = nn.Linear(stream.dim, width)
        self.position = nn.Parameter(torch.randn(1, stream.length + 1, width) * 0.02)
        self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        e = torch.einsum("bld,ldk->blk", x, self.weight) + self.bias if self.per_position else self.embed(x)
        if mask is not None:
            e = torch.where(mask[..., None], self.mask_token.expand_as(e), e)
        return torch.cat([self.cls.expand(len(x), -1, -1), e], dim=1) + self.position


class CrossAttention(nn.Module):
    """``cross_layers`` pre-norm cross-attention blocks: queries from one stream, keys/values from the other."""

    def __init__(self, width: int, shape: NetShape) -> None:
        super().__init__()
        self.norm_q = nn.ModuleList(nn.LayerNorm(width) for _ in range(shape.cross_layers))
        self.norm_kv = nn.ModuleList(nn.LayerNorm(width) for _ in range(shape.cross_layers))
        self.attn = nn.ModuleList(nn.MultiheadAttention(width, shape.heads, dropout=shape.dropout, batch_first=True)
                                  for _ in range(shape.cross_layers))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for nq, nkv, attn in zip(self.norm_q, self.norm_kv, self.attn, strict=True):
            qa, qb, ka, kb = nq(a), nq(b), nkv(a), nkv(b)
            a, b = a + attn(qa, kb, kb, need_weights=False)[0], b + attn(qb, ka, ka, need_weights=False)[0]
        return a, b


class OmniVec2Net(nn.Module):
    """See the module docstring. ``streams``: modality -> token layout; ``heads``: (task, modality) -> classes."""

    def __init__(self, streams: dict[str, StreamShape], heads: dict[tuple[str, str], int], shape: NetShape) -> None:
        super().__init__()
        self.shape = shape
        self.tokenizers = nn.ModuleDict({m: Tokenizer(s, shape.width) for m, s in streams.items()})
        self.f = encoder(shape.width, shape.f_layers, shape)
        self.reduce = nn.ModuleDict({m: nn.Sequential(nn.LayerNorm(shape.width), nn.Linear(shape.width, shape.reduced))
                                     for m in streams})
        self.cross = CrossAttention(shape.reduced, shape)
        self.g = encoder(shape.reduced, shape.g_layers, shape)
        self.g_norm = nn.LayerNorm(shape.reduced)
        self.heads = nn.ModuleDict({head_name(t, m): nn.Linear(shape.reduced, c) for (t, m), c in heads.items()})
        self.decode_f = nn.ModuleDict({m: nn.Linear(shape.reduced, s.dim) for m, s in streams.items()})
        self.decode_g = nn.ModuleDict({m: nn.Linear(shape.reduced, s.dim) for m, s in streams.items()})

    def encode_f(self, modality: str, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """f(tokenize(x)): (B, 1 + L, reduced)."""
        return self.reduce[modality](self.f(self.tokenizers[modality](x, mask)))

    def encode_g(self, z: torch.Tensor) -> torch.Tensor:
        return self.g_norm(self.g(z))

    def fuse(self, za: torch.Tensor, zb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Two-stream: cross-attention between the f outputs of both streams, then g on each."""
        za, zb = self.cross(za, zb)
        return self.encode_g(za), self.encode_g(zb)

    def head(self, task: str, modality: str, h: torch.Tensor) -> torch.Tensor:
        return self.heads[head_name(task, modality)](h[:, 0])

    def predict_stream(self, task: str, modality: str, x: torch.Tensor) -> torch.Tensor:
        """Single-stream inference: head(g(f(x))), no cross-attention."""
        return self.head(task, modality, self.encode_g(self.encode_f(modality, x)))

    def predict_pair(self, task: str, modalities: tuple[str, str], xa: torch.Tensor, xb: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """Two-stream inference on a paired input: both streams fused by the cross-attention."""
        ha, hb = self.fuse(self.encode_f(modalities[0], xa), self.encode_f(modalities[1], xb))
        return self.head(task, modalities[0], ha), self.head(task, modalities[1], hb)


def head_name(task: str, modality: str) -> str:
    return f"{task}/{modality}".replace(".", "_")
