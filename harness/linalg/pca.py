"""Principal component analysis in torch: centring, covariance and projection onto the top-p eigenvectors.

This is the sample-level step of KnowleNet (centre the concatenated features, diagonalise their
covariance, keep the top-p eigenvectors as the projection P). It runs in torch so that it can sit
inside a model, on any device; gradients flow through ``torch.linalg.eigh``, whose backward is
unstable when eigenvalues (nearly) coincide, so detach the components if they need no gradient.
"""

from dataclasses import dataclass

import torch


def center(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x - mean, mean) over the rows (samples) of an (N, d) matrix."""
    mean = x.mean(dim=0)
    return x - mean, mean


def covariance(x: torch.Tensor, *, correction: int = 1) -> torch.Tensor:
    """(d, d) sample covariance of the rows of an (N, d) matrix; ``correction=1`` divides by N - 1."""
    n = x.shape[0]
    if n - correction <= 0:
        raise ValueError(f"covariance of {n} sample(s) with correction={correction} is undefined")
    centred, _ = center(x)
    return centred.mT @ centred / (n - correction)


@dataclass(frozen=True)
class PCA:
    mean: torch.Tensor  # (d,)
    components: torch.Tensor  # (d, p): orthonormal columns, by decreasing variance
    explained_variance: torch.Tensor  # (p,), decreasing

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """(N, d) -> (N, p) coordinates in the principal subspace."""
        return (x - self.mean) @ self.components

    def reconstruct(self, y: torch.Tensor) -> torch.Tensor:
        """(N, p) -> (N, d): the point of the principal subspace with coordinates y."""
        return y @ self.components.mT + self.mean


def fit_pca(x: torch.Tensor, p: int, *, correction: int = 1) -> PCA:
    """Fit the top-p principal components of the rows of an (N, d) matrix.

    Each component's sign is fixed so that its largest-magnitude entry is positive: eigenvectors are
    only defined up to sign, and without this the projection could flip between LAPACK builds,
    devices or batches. Components of a repeated eigenvalue are still only defined up to rotation.
    """
    if x.ndim != 2:
        raise ValueError(f"expected an (N, d) matrix, got shape {tuple(x.shape)}")
    d = x.shape[1]
    if not 0 < p <= d:
        raise ValueError(f"p must be in [1, {d}], got {p}")
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance(x, correction=correction))
    top_values = eigenvalues.flip(0)[:p]
    top_vectors = eigenvectors.flip(1)[:, :p]
    pivot = top_vectors.abs().argmax(dim=0)
    signs = torch.sign(top_vectors[pivot, torch.arange(p, device=x.device)])
    return PCA(x.mean(dim=0), top_vectors * signs, top_values)
