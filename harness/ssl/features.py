"""Frozen-encoder features, and an in-process cache of trained encoders keyed by what determines them.

Why a cache: several evaluations of one pre-trained encoder (linear probe, kNN, all labels) run as separate
harness runs; keyed by everything that determines the encoder (task, data size, seed, every pre-training
setting), the second evaluation reuses the weights instead of pre-training again. Training must draw from its
own seeded generators so a cached encoder equals a freshly trained one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def frozen_features(net: nn.Module, x: torch.Tensor, batch: int = 1024) -> np.ndarray:
    """``net(x)`` in eval mode (BatchNorm running statistics, no dropout), in chunks, as float64 numpy."""
    net.eval()
    return torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)]).cpu().numpy().astype(np.float64)


@dataclass
class TrainedEncoder:
    state: dict[str, torch.Tensor]  # detached copies of the weights
    history: list[dict[str, Any]]
    seconds: float


@dataclass
class EncoderCache:
    """Least-recently-used map from a hashable key to a :class:`TrainedEncoder` (at most ``size`` kept)."""

    size: int = 64
    entries: OrderedDict[Hashable, TrainedEncoder] = field(default_factory=OrderedDict)

    def get(self, key: Hashable) -> TrainedEncoder | None:
        if key not in self.entries:
            return None
        self.entries.move_to_end(key)
        return self.entries[key]

    def put(self, key: Hashable, encoder: nn.Module, history: list[dict[str, Any]], seconds: float
            ) -> TrainedEncoder:
        done = TrainedEncoder({k: v.detach().clone() for k, v in encoder.state_dict().items()}, history, seconds)
        self.entries[key] = done
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return done

    def clear(self) -> None:
        self.entries.clear()
