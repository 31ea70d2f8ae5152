"""KnowleNet's sample-level cross-modal similarity: a PCA projection P shared by both modalities, and D.

As the seed notes transcribe the paper (10.16-10.17): concatenate each sample's (centred) text-side vector T_tc and
image-side vector I, take the covariance of the concatenation over the n samples, ``A = X X^T / (n - 1)`` with
``X = (T_tc ⊕ I)^T`` (so A is (d_t + d_i) x (d_t + d_i)), keep its top-p eigenvectors as P, map each modality into
the concatenated space with its own learned matrix and project: ``Y_t = T_tc W1 P``, ``Y_i = I W2 P`` (row vectors,
1 x p), and ``D = (Y_t - Y_i)(Y_t - Y_i)^T``.

Choices (each ambiguity of ../shared/papers/knowlenet.md §2.4, resolved):

* (a) the covariance is over **samples of the training split** (rows = samples, columns = the concatenated
  features), which is what the notes' A shows; a single sample's rank-1 "covariance" is not meant.
* (b) with the stated row-vector shapes D is a **scalar**, the squared distance ``||Y_t - Y_i||^2`` in the shared
  subspace (``discrepancy="distance"``, the default). The alternative ``"squares"`` keeps the p per-component
  squared differences (the diagonal of the column-vector outer product). The full p x p outer product is not
  offered: it changes sign with an eigenvector's sign, so the model would depend on LAPACK's sign choice.
* (c) **gradient policy**: P is a function of the frozen input features only (the encoders are frozen here), so it
  is fitted once, before training, and held as a constant buffer; no gradient ever flows through ``eigh``, whose
  backward divides by eigenvalue gaps and is NaN/inf for (near-)repeated eigenvalues. Fitting P on the training
  split (not per batch) also keeps a test prediction independent of its batch.
* (d) p = 300 as the notes report the paper's setting (capped at d_t + d_i).

Invariances (tested in tests/reproductions/test_knowlenet_pca.py): D does not change when any eigenvector
changes sign, and when both modalities' features are rotated by one orthogonal R (the learned maps transported
with them), P rotates with the data and D is unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.linalg import fit_pca

DISCREPANCIES = ("distance", "squares")


def fit_projection(text: torch.Tensor, image: torch.Tensor, p: int) -> torch.Tensor:
    """(d_t + d_i, p) top-p principal directions of the concatenated features (rows = samples), as a constant."""
    with torch.no_grad():
        pca = fit_pca(torch.cat([text, image], dim=1).double(), min(p, text.shape[1] + image.shape[1]))
    return pca.components.to(text.dtype).detach()


def discrepancy(y_text: torch.Tensor, y_image: torch.Tensor, kind: str) -> torch.Tensor:
    """D from the projected (B, p) coordinates: (B, 1) squared distance, or (B, p) per-component squares."""
    diff = y_text - y_image
    return (diff * diff).sum(dim=1, keepdim=True) if kind == "distance" else diff * diff


class SharedProjection(nn.Module):
    """``Y_t = T W1 P``, ``Y_i = I W2 P`` with learned W1, W2 and the fixed PCA directions P; returns D."""

    def __init__(self, d_text: int, d_image: int, p: int, kind: str) -> None:
        super().__init__()
        if kind not in DISCREPANCIES:
            raise ValueError(f"discrepancy {kind!r} must be one of {DISCREPANCIES}")
        d = d_text + d_image
        self.kind, self.p = kind, min(p, d)
        self.w1 = nn.Linear(d_text, d, bias=False)
        self.w2 = nn.Linear(d_image, d, bias=False)
        self.register_buffer("projection", torch.zeros(d, self.p))

    @property
    def out_dim(self) -> int:
        return 1 if self.kind == "distance" else self.p

    def fit(self, text: torch.Tensor, image: torch.Tensor) -> None:
        """Fit P on the training split's (standardised) features before training."""
        self.projection.copy_(fit_projection(text, image, self.p))

    def forward(self, text: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        # (T W1) P computed as T (W1 P): the same product, without the (B, d_t + d_i) intermediate
        return discrepancy(text @ (self.w1.weight.T @ self.projection),
                           image @ (self.w2.weight.T @ self.projection), self.kind)
