"""Contrastive losses on two batches of embeddings ``z1``, ``z2`` (B, d) whose rows i are views of one item."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Cross-view InfoNCE: logits z1·z2ᵀ/τ on L2-normalised rows, targets on the diagonal, averaged over both
    directions. Each anchor sees B-1 negatives from the *other* view only (E-SSL's repository calls this SimCLR)."""
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = z1 @ z2.T / temperature
    target = torch.arange(z1.shape[0], device=z1.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent (Chen et al. 2020, eq. 1): each of the 2B views is contrasted with its partner against all
    2B-2 other views of both batches, mean over the 2B anchors."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    b = z1.shape[0]
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(z.device)
    return F.cross_entropy(logits, target)
