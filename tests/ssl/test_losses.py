"""Contrastive losses against hand computations on two-item batches."""

from __future__ import annotations

import math

import pytest
import torch

from harness.ssl.losses import info_nce, nt_xent

Z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
Z2 = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # normalised: (1, 0) and (r, r) with r = 1/sqrt(2)
R = 1 / math.sqrt(2)


def _ce(logits: list[float], target: int) -> float:
    return -logits[target] + math.log(sum(math.exp(v) for v in logits))


def test_info_nce_equals_the_hand_computed_cross_view_loss():
    t = 0.5
    # cosine similarities s[i][j] = z1_i . z2_j after normalisation: [[1, r], [0, r]]
    s = [[1.0, R], [0.0, R]]
    rows = [_ce([v / t for v in s[i]], i) for i in range(2)]  # z1 anchors against z2
    cols = [_ce([s[j][i] / t for j in range(2)], i) for i in range(2)]  # z2 anchors against z1
    expected = 0.5 * (sum(rows) / 2 + sum(cols) / 2)
    assert info_nce(Z1, Z2, t).item() == pytest.approx(expected, rel=1e-6)


def test_nt_xent_equals_the_hand_computed_loss_over_both_views():
    t = 0.5
    views = [(1.0, 0.0), (0.0, 1.0), (1.0, 0.0), (R, R)]  # z1 rows, then z2 rows, normalised
    partner = [2, 3, 0, 1]
    losses = []
    for a in range(4):
        others = [b for b in range(4) if b != a]
        logits = [sum(x * y for x, y in zip(views[a], views[b], strict=True)) / t for b in others]
        losses.append(_ce(logits, others.index(partner[a])))
    assert nt_xent(Z1, Z2, t).item() == pytest.approx(sum(losses) / 4, rel=1e-6)


def test_both_losses_are_lower_for_matching_views_than_for_shuffled_ones():
    z = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
    shuffled = z[torch.randperm(16, generator=torch.Generator().manual_seed(1))]
    for loss in (info_nce, nt_xent):
        assert loss(z, z + 0.01, 0.5) < loss(z, shuffled, 0.5)
