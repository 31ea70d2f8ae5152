"""Linear algebra for the reproductions: checked LAPACK decompositions, the Jacobi method, PCA.

Two papers rest on this (KnowleNet diagonalises a covariance matrix; ConceptNet's embeddings are a
truncated SVD), so every function here is pinned by property tests in tests/linalg.
"""

from harness.linalg.decompositions import (
    Eigh,
    Evd,
    Svd,
    eigh,
    evd,
    low_rank_approx,
    matrix_rank,
    svd,
    truncated_svd,
)
from harness.linalg.errors import JacobiNotConvergedError, NotDiagonalizableError, NotSymmetricError
from harness.linalg.jacobi import JacobiResult, jacobi_eigh, jacobi_rotation
from harness.linalg.jacobi_batched import BatchedJacobiResult, jacobi_eigh_batched
from harness.linalg.pca import PCA, center, covariance, fit_pca

__all__ = [
    "PCA",
    "BatchedJacobiResult",
    "Eigh",
    "Evd",
    "JacobiNotConvergedError",
    "JacobiResult",
    "NotDiagonalizableError",
    "NotSymmetricError",
    "Svd",
    "center",
    "covariance",
    "eigh",
    "evd",
    "fit_pca",
    "jacobi_eigh",
    "jacobi_eigh_batched",
    "jacobi_rotation",
    "low_rank_approx",
    "matrix_rank",
    "svd",
    "truncated_svd",
]
