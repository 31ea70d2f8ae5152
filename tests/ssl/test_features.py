"""Frozen-encoder features (eval mode, chunked) and the least-recently-used encoder cache."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from harness.ssl.features import EncoderCache, frozen_features


def test_frozen_features_use_eval_mode_and_match_one_pass_in_any_chunk_size():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    net.train()
    x = torch.randn(10, 3)
    out = frozen_features(net, x, batch=3)
    assert not net.training and out.dtype == np.float64 and out.shape == (10, 4)
    with torch.no_grad():
        np.testing.assert_allclose(out, net(x).numpy(), rtol=1e-6)  # running statistics, no dropout


def test_encoder_cache_returns_copies_and_evicts_the_least_recently_used():
    cache = EncoderCache(size=2)
    net = nn.Linear(1, 1)
    kept = cache.put("a", net, [{"epoch": 1}], 0.5)
    with torch.no_grad():
        net.weight.add_(1.0)
    assert not torch.equal(kept.state["weight"], net.weight)  # a copy, not the live tensor
    cache.put("b", net, [], 0.0)
    assert cache.get("a") is kept  # "a" is now the most recent
    cache.put("c", net, [], 0.0)
    assert cache.get("b") is None and cache.get("a") is kept and cache.get("c") is not None
    cache.clear()
    assert cache.get("a") is None
