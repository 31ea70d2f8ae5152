"""Device-resident tensors for one split, and mini-batches cut from them by index.

Why here and not a DataLoader: the datasets are small enough to live on the device, so a batch is one
gather per modality (no worker processes, no per-sample collate). Each batch is trimmed to the longest
valid sequence it contains, so padding costs nothing.

Every modality reaches a model as ``(B, T, d)`` features, a ``(B, T)`` validity mask and a ``(B,)``
presence flag; a vector modality is a sequence of one step. Features are standardised with statistics of
the training split's valid steps, and padded steps are exactly zero.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from harness.data.dataset import Split
from harness.errors import UserError


class ModalityInput(NamedTuple):
    x: torch.Tensor  # (B, T, d) float
    mask: torch.Tensor  # (B, T) bool, True on valid steps; every row has at least one
    present: torch.Tensor  # (B,) bool, False when the modality is removed (robustness "mask" condition)


Batch = dict[str, ModalityInput]


@dataclass(frozen=True)
class ModalitySpec:
    """What a model needs to size its encoder for one modality."""

    name: str
    dim: int
    max_len: int
    sequence: bool


def modality_specs(split: Split, modalities: tuple[str, ...]) -> list[ModalitySpec]:
    missing = [m for m in modalities if m not in split.features]
    if missing:
        raise UserError(f"modalities {missing} are not in the data; it has {sorted(split.features)}")
    out = []
    for m in modalities:
        x, _ = _as_steps(split, m)
        out.append(ModalitySpec(m, int(x.shape[-1]), int(x.shape[1]), split.is_sequence(m)))
    return out


def _as_steps(split: Split, modality: str) -> tuple[np.ndarray, np.ndarray]:
    """Features as ``(n, T, d)`` and lengths ``(n,)``; a vector (or a flattened image) is one step."""
    if split.is_sequence(modality):
        return split.features[modality], split.lengths[modality].astype(np.int64)
    return split.pooled(modality)[:, None, :], np.ones(len(split), dtype=np.int64)


@dataclass(frozen=True)
class Standardizer:
    """Per-feature mean/std of the training split's valid steps (constant features get std 1)."""

    stats: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def fit(cls, split: Split, modalities: tuple[str, ...]) -> Standardizer:
        stats = {}
        for m in modalities:
            x, lengths = _as_steps(split, m)
            valid = x[np.arange(x.shape[1])[None, :] < lengths[:, None]].astype(np.float64)
            std = valid.std(axis=0)
            stats[m] = (valid.mean(axis=0).astype(np.float32), np.where(std > 1e-6, std, 1.0).astype(np.float32))
        return cls(stats)


class TensorData:
    """One split on a device: standardised features, lengths, presence flags and targets."""

    def __init__(self, split: Split, standardizer: Standardizer, device: torch.device, *,
                 missing: Collection[str] = (), target_dtype: torch.dtype = torch.float32) -> None:
        self.n = len(split)
        self.device = device
        self.x: dict[str, torch.Tensor] = {}
        self.lengths: dict[str, np.ndarray] = {}
        self.lengths_t: dict[str, torch.Tensor] = {}
        self.present: dict[str, torch.Tensor] = {}
        for m, (mean, std) in standardizer.stats.items():
            x, lengths = _as_steps(split, m)
            valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
            z = np.where(valid[..., None], (x - mean) / std, 0.0).astype(np.float32)
            self.x[m] = torch.from_numpy(z).to(device)
            self.lengths[m] = lengths
            self.lengths_t[m] = torch.from_numpy(lengths).to(device)
            self.present[m] = torch.full((self.n,), m not in missing, dtype=torch.bool, device=device)
        self.y = torch.as_tensor(np.array(split.labels), dtype=target_dtype, device=device)  # a writable copy

    def __len__(self) -> int:
        return self.n

    def batch(self, index: np.ndarray) -> tuple[Batch, torch.Tensor]:
        """Inputs and targets of rows ``index`` (host ints), each modality trimmed to its longest valid length."""
        idx = torch.from_numpy(index).to(self.device, non_blocking=True)
        out = {}
        for m, x in self.x.items():
            steps = int(self.lengths[m][index].max())
            lengths = self.lengths_t[m][idx]
            mask = torch.arange(steps, device=self.device)[None, :] < lengths[:, None]
            out[m] = ModalityInput(x[idx, :steps], mask, self.present[m][idx])
        return out, self.y[idx]
