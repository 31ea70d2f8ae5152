"""EquiAV's networks, scaled down (after ``models/pt_EquiAV.py`` of JongSuk1/EquiAV; read, not copied).

Kept: two separate ViT stacks without a CLS token, fixed 2-D sin-cos position embeddings plus a learned modality
embedding, **separate final LayerNorms for original and augmented views** (the views share the blocks), a
3-layer QuickGELU augmentation encoder per modality, the transformation predictor (cross-attention from
LayerNorm'd augmentation queries to the *raw* tokens, added to the mean-pooled tokens, a pre-LN MLP residual,
then the mean over the S queries) and four distinct 3-layer projection heads with a LayerNorm on the output.
Scaled: width 768 -> ``width``, 12 blocks -> ``depth``, 12 heads -> ``heads``, 2048/512 head widths ->
``head_hidden``/``head_out``, 256-d augmentation embedding -> ``aug_dim``, 8 x 64 attention -> ``heads`` x
``width // heads``. Initialisation: xavier-uniform Linear layers (patch projections too), as released.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    width: int = 32
    depth: int = 2
    heads: int = 4
    aug_dim: int = 32
    head_hidden: int = 64
    head_out: int = 32
    audio_patch: tuple[int, int] = (8, 16)  # (freq, time) patch of the transposed spectrogram, as released
    image_patch: int = 4


def sincos_2d(dim: int, rows: int, cols: int) -> torch.Tensor:
    """(rows*cols, dim) fixed 2-D sin-cos embedding (MAE layout: half the channels per axis)."""
    def one(d: int, pos: np.ndarray) -> np.ndarray:
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    grid_w, grid_h = np.meshgrid(np.arange(cols, dtype=np.float64), np.arange(rows, dtype=np.float64))
    emb = np.concatenate([one(dim // 2, grid_h), one(dim // 2, grid_w)], axis=1)
    return torch.tensor(emb, dtype=torch.float32)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class Encoder(nn.Module):
    """Patch embedding + position + modality embedding + pre-LN transformer blocks; two final LNs."""

    def __init__(self, cfg: NetConfig, in_size: tuple[int, int], patch: tuple[int, int]) -> None:
        super().__init__()
        self.patch = nn.Conv2d(1, cfg.width, kernel_size=patch, stride=patch)
        rows, cols = in_size[0] // patch[0], in_size[1] // patch[1]
        self.register_buffer("pos", sincos_2d(cfg.width, rows, cols)[None])
        self.modality = nn.Parameter(torch.randn(1, 1, cfg.width) * 0.02)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(cfg.width, cfg.heads, 4 * cfg.width, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True) for _ in range(cfg.depth))
        self.norm, self.norm_aug = nn.LayerNorm(cfg.width), nn.LayerNorm(cfg.width)

    def forward(self, x: torch.Tensor, augmented: bool = False) -> torch.Tensor:
        """Tokens (B, N, width) of images x (B, 1, H, W); ``augmented`` selects the augmented-view LN."""
        h = self.patch(x).flatten(2).transpose(1, 2) + self.pos + self.modality
        for block in self.blocks:
            h = block(h)
        return self.norm_aug(h) if augmented else self.norm(h)


def aug_encoder(aug_size: int, dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(aug_size, dim), QuickGELU(), nn.Linear(dim, dim), QuickGELU(), nn.Linear(dim, dim))


class Predictor(nn.Module):
    """u(h, t): one prediction per augmentation query, then the mean over the S queries (S = 1: one prediction,
    S = 16: the centroid), in backbone space before any head."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.norm_aug = nn.LayerNorm(cfg.aug_dim)
        self.heads, self.dim_head = cfg.heads, cfg.width // cfg.heads
        inner = self.heads * self.dim_head
        self.to_q = nn.Linear(cfg.aug_dim, inner)
        self.to_k, self.to_v = nn.Linear(cfg.width, inner), nn.Linear(cfg.width, inner)
        self.to_out = nn.Linear(inner, cfg.width, bias=False)
        self.norm = nn.LayerNorm(cfg.width)
        self.mlp = nn.Sequential(nn.Linear(cfg.width, 4 * cfg.width), nn.GELU(), nn.Linear(4 * cfg.width, cfg.width))

    def forward(self, tokens: torch.Tensor, aug: torch.Tensor) -> torch.Tensor:
        """tokens (B, N, D) of the original view (no LN on the key/value side), aug (B, S, aug_dim) -> (B, D)."""
        b, n, _ = tokens.shape
        s = aug.shape[1]
        q = self.to_q(self.norm_aug(aug)).view(b, s, self.heads, self.dim_head).transpose(1, 2)
        k = self.to_k(tokens).view(b, n, self.heads, self.dim_head).transpose(1, 2)
        v = self.to_v(tokens).view(b, n, self.heads, self.dim_head).transpose(1, 2)
        attended = nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, s, -1)
        emb = tokens.mean(1, keepdim=True) + self.to_out(attended)
        emb = emb + self.mlp(self.norm(emb))
        return emb.mean(1)


def projection_head(dim: int, hidden: int, out: int) -> nn.Sequential:
    """Linear-LN-ReLU, Linear-LN-ReLU, Linear-LN (the released ``MLPProjectionHead``)."""
    return nn.Sequential(nn.Linear(dim, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.LayerNorm(hidden), nn.ReLU(), nn.Linear(hidden, out), nn.LayerNorm(out))


class EquiAVNet(nn.Module):
    """Both streams, their augmentation encoders and predictors, and the four heads (intra/inter x a/v)."""

    def __init__(self, cfg: NetConfig, audio_size: tuple[int, int], image_size: tuple[int, int],
                 aug_sizes: tuple[int, int] = (24, 18), n_classes: int = 0) -> None:
        super().__init__()
        self.audio = Encoder(cfg, audio_size, cfg.audio_patch)
        self.visual = Encoder(cfg, image_size, (cfg.image_patch, cfg.image_patch))
        self.aug_a, self.aug_v = aug_encoder(aug_sizes[0], cfg.aug_dim), aug_encoder(aug_sizes[1], cfg.aug_dim)
        self.pred_a, self.pred_v = Predictor(cfg), Predictor(cfg)
        heads = [projection_head(cfg.width, cfg.head_hidden, cfg.head_out) for _ in range(4)]
        self.intra_a, self.intra_v, self.inter_a, self.inter_v = heads
        # the supervised upper bound's classifiers (absent in the SSL arms)
        self.cls_a = nn.Linear(cfg.width, n_classes) if n_classes else None
        self.cls_v = nn.Linear(cfg.width, n_classes) if n_classes else None
        self.apply(_init)

    def encode(self, modality: str, x: torch.Tensor, augmented: bool = False) -> torch.Tensor:
        """Tokens of spectrograms (B, 1, T, F) (transposed to frequency x time before patching, as released)
        or of images (B, 1, S, S)."""
        if modality == "a":
            return self.audio(x.transpose(2, 3), augmented)
        return self.visual(x, augmented)

    def predict(self, modality: str, tokens: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """u(h, t) for parameter vectors t (B, S, aug_size): the mean of S predictions."""
        enc, pred = (self.aug_a, self.pred_a) if modality == "a" else (self.aug_v, self.pred_v)
        return pred(tokens, enc(t))


def _init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight.view(m.weight.shape[0], -1))
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
