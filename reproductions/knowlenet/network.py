"""The KnowleNet network (Yue et al., Information Fusion 2023), reconstructed from the seed notes' transcription.

The notes give the classifier as
``y = σ(σ(FC(T_f1 ⊕ T_f2)) ⊕ σ(FC(F_ta)) ⊕ σ(FC(D)))`` with ``T_f1 = Dropout(T_b)`` (text),
``T_f2 = Dropout(σ(FC(I ⊕ C)))`` (image ⊕ caption), ``F_ta`` the flattened word-level similarity matrix and ``D``
the sample-level discrepancy; σ = ReLU, "several fully connected layers" then classify. Here:

* the three ReLU branches are concatenated into the fused representation z and one linear layer gives the two
  logits (the notes' outer σ before a softmax is read as the branches' own ReLUs);
* C (caption) = the image-attribute words' embedding; I (image) = user image features when the task has an
  ``image`` modality, else absent (then T_f2 = Dropout(σ(FC(C))));
* the PCA stream's two sides are chosen by :func:`sides`;
* ``knowledge_pooling="flatten"`` feeds the (max_words x 5) matrix flattened (the notes' "展平"), zero-padded to
  max_words; ``"pool"`` (alternative) feeds, per attribute word, the max and the mean over the tweet's words;
* D enters as log(1 + D) (D is a squared distance of order p at initialisation; the log keeps the FC input O(1));
* the contrastive term is computed on z (see :mod:`reproductions.knowlenet.contrast`).
"""

from __future__ import annotations

import torch
from torch import nn

from harness.train.batches import Batch
from reproductions.knowlenet.pca_stream import SharedProjection

POOLINGS = ("flatten", "pool")


def sides(inputs: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The PCA stream's text side and image side.

    With an image modality: T_tc = text ⊕ attributes (the notes' T_b ⊕ C) against the image. Without one (the
    default here: MMSD ships no image features), the text against the attribute embedding, which is the image's
    only trace in the data.
    """
    text, attr = inputs["text"].x[:, 0], inputs["attributes"].x[:, 0]
    if "image" in inputs:
        return torch.cat([text, attr], dim=1), inputs["image"].x[:, 0]
    return text, attr


class KnowleNet(nn.Module):
    def __init__(self, dims: dict[str, int], max_words: int, out_dim: int, cfg) -> None:
        super().__init__()
        self.cfg, self.max_words = cfg, max_words
        h, has_image = cfg.hidden, "image" in dims
        self.drop = nn.Dropout(cfg.dropout)
        width = dims["text"]
        if cfg.image_stream:
            self.fc_ic = nn.Linear(dims["attributes"] + (dims["image"] if has_image else 0), h)
            width += h
        self.fc_tf = nn.Linear(width, h)
        branches = 1
        if cfg.knowledge:
            k_in = max_words * dims["knowledge"] if cfg.knowledge_pooling == "flatten" else 2 * dims["knowledge"]
            self.fc_k = nn.Linear(k_in, h)
            branches += 1
        if cfg.pca:
            d_t = dims["text"] + (dims["attributes"] if has_image else 0)
            d_i = dims["image"] if has_image else dims["attributes"]
            self.projection = SharedProjection(d_t, d_i, cfg.p, cfg.discrepancy)
            self.fc_d = nn.Linear(self.projection.out_dim, h)
            branches += 1
        self.out = nn.Linear(branches * h, out_dim)

    def _knowledge(self, inputs: Batch) -> torch.Tensor:
        k = inputs["knowledge"]
        x = k.x * k.mask[..., None]
        if self.cfg.knowledge_pooling == "flatten":
            pad = self.max_words - x.shape[1]
            return nn.functional.pad(x, (0, 0, 0, pad)).flatten(1)
        valid = k.mask[..., None]
        largest = x.masked_fill(~valid, float("-inf")).amax(dim=1)
        mean = x.sum(dim=1) / valid.sum(dim=1).clamp(min=1)
        return torch.cat([largest, mean], dim=1)

    def fused(self, inputs: Batch) -> torch.Tensor:
        """z: the concatenated ReLU branches (what the contrastive term shapes)."""
        relu = torch.relu
        f1 = self.drop(inputs["text"].x[:, 0])
        if self.cfg.image_stream:
            visual = [inputs["image"].x[:, 0]] if "image" in inputs else []
            f2 = self.drop(relu(self.fc_ic(torch.cat([*visual, inputs["attributes"].x[:, 0]], dim=1))))
            f1 = torch.cat([f1, f2], dim=1)
        parts = [relu(self.fc_tf(f1))]
        if self.cfg.knowledge:
            parts.append(relu(self.fc_k(self._knowledge(inputs))))
        if self.cfg.pca:
            parts.append(relu(self.fc_d(torch.log1p(self.projection(*sides(inputs))))))
        return torch.cat(parts, dim=1)

    def forward(self, inputs: Batch) -> torch.Tensor:
        return self.out(self.fused(inputs))
