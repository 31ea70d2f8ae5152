"""The contrastive term between sarcastic and non-sarcastic samples.

KnowleNet's abstract says contrastive learning "improves the spatial distribution" of sarcastic (positive) and
non-sarcastic (negative) samples; the form is not given. Choice: the supervised contrastive loss (Khosla et al.,
NeurIPS 2020, L_out) on the L2-normalised fused representation, same label = positive pair, every other sample of
the batch in the denominator, temperature τ. The alternative reading (a margin loss between class groups) is named
in the README. Anchors without a positive in the batch are skipped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def supervised_contrastive(z: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean over anchors of -mean_{p: same label} log softmax_{a != i}(z_i . z_a / τ)[p]."""
    z = F.normalize(z.float(), dim=1)
    n = z.shape[0]
    logits = z @ z.T / temperature
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    count = positive.sum(dim=1)
    has = count > 0
    if not has.any():
        return z.sum() * 0.0
    per_anchor = log_prob.masked_fill(~positive, 0.0).sum(dim=1)[has] / count[has]
    return -per_anchor.mean()
