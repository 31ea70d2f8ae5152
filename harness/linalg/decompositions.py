"""Eigen- and singular-value decompositions, as checked wrappers around LAPACK (NumPy / SciPy).

These are not hand-written: LAPACK is faster and more robust than anything we would write. What the
wrappers add is the checks the seed notes got wrong: the symmetric solver refuses non-symmetric input,
the general one refuses a defective or ill-conditioned eigenvector basis, and singular values come
from the SVD (they equal |eigenvalues| only for normal matrices).
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from harness.linalg.errors import NotDiagonalizableError
from harness.linalg.validation import as_square_matrix, as_symmetric_matrix


class Eigh(NamedTuple):
    eigenvalues: np.ndarray  # ascending
    eigenvectors: np.ndarray  # orthonormal columns


class Evd(NamedTuple):
    eigenvalues: np.ndarray  # real or complex, sorted by (real part, imaginary part)
    eigenvectors: np.ndarray  # unit-norm columns; A = V diag(w) V^-1


class Svd(NamedTuple):
    u: np.ndarray
    s: np.ndarray  # non-negative, descending
    vt: np.ndarray


def eigh(a: np.ndarray, *, symmetry_tol: float | None = None) -> Eigh:
    """Eigen-decomposition of a symmetric (Hermitian) matrix: A = V diag(w) V^H with V unitary."""
    w, v = np.linalg.eigh(as_symmetric_matrix(a, symmetry_tol))
    return Eigh(w, v)


def evd(a: np.ndarray, *, max_condition: float | None = None) -> Evd:
    """Eigen-decomposition A = V diag(w) V^-1 of a general square matrix.

    Raises ``NotDiagonalizableError`` when cond(V) exceeds ``max_condition`` (default 1/sqrt(eps)).
    A defective matrix such as [[1, 1], [0, 1]] has no eigenvector basis; LAPACK still returns a V,
    with (nearly) parallel columns, and by Bauer-Fike its eigenvalues carry errors of order
    cond(V) * eps * ||A||, so past 1/sqrt(eps) the decomposition has no trustworthy digits left.
    LAPACK can also return such a V for a *diagonalizable* matrix with a repeated eigenvalue (an
    oblique projector, say), so before refusing we try ``_eigenspace_bases``.
    """
    a = as_square_matrix(a)
    limit = 1 / np.sqrt(np.finfo(np.float64).eps) if max_condition is None else max_condition
    w, v = np.linalg.eig(a)
    if v.size and not np.linalg.cond(v) <= limit:
        w, v = _eigenspace_bases(a, w, v)
    condition = np.linalg.cond(v) if v.size else 1.0
    if not condition <= limit:  # also catches NaN / inf from a singular V
        raise NotDiagonalizableError(
            f"eigenvector basis is defective or ill-conditioned: cond(V) = {condition:.3g} > {limit:.3g}; "
            "use svd() or a Schur decomposition (scipy.linalg.schur) instead"
        )
    order = np.lexsort((w.imag, w.real))
    return Evd(w[order], v[:, order])


def _eigenspace_bases(a: np.ndarray, w: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace the eigenvectors of each repeated eigenvalue by an orthonormal basis of its eigenspace.

    Eigenvalues within sqrt(eps) ||A|| of each other form a cluster of multiplicity k around their mean
    lam. The eigenspace of lam is the null space of A - lam I; when it has dimension k (k singular
    values below the same tolerance), the eigenvalue is semisimple and the right singular vectors give a
    well-conditioned basis. When it does not (a Jordan block), the cluster is left as LAPACK gave it.
    """
    n = a.shape[0]
    tol = np.sqrt(np.finfo(np.float64).eps) * np.linalg.norm(a)
    w, v = w.astype(complex), v.astype(complex)
    unassigned = np.ones(n, dtype=bool)
    for i in range(n):
        cluster = np.flatnonzero(unassigned & (np.abs(w - w[i]) <= tol))
        unassigned[cluster] = False
        if cluster.size < 2:
            continue
        lam = w[cluster].mean()
        _, singular, vh = np.linalg.svd(a - lam * np.eye(n))
        if singular[-cluster.size] <= tol:
            v[:, cluster] = vh[-cluster.size :].conj().T
            w[cluster] = lam
    if np.all(w.imag == 0):
        return w.real, v.real
    return w, v


def svd(a: np.ndarray, *, full_matrices: bool = False) -> Svd:
    """Singular value decomposition A = U diag(s) V^T of any m x n matrix."""
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {a.shape}")
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return Svd(u, s, vt)


def truncated_svd(a: np.ndarray | scipy.sparse.sparray | scipy.sparse.spmatrix, k: int) -> Svd:
    """The k largest singular triplets, descending.

    Sparse input (such as ConceptNet's PPMI matrix) goes to ARPACK, which never forms a dense copy;
    it needs k < min(m, n).
    """
    shape = a.shape
    if not scipy.sparse.issparse(a):
        if not 0 <= k <= min(shape):
            raise ValueError(f"k must be in [0, {min(shape)}] for a matrix of shape {shape}, got {k}")
        u, s, vt = svd(a)
        return Svd(u[:, :k], s[:k], vt[:k])
    if not 0 < k < min(shape):
        raise ValueError(f"sparse truncated SVD needs 0 < k < min(m, n) = {min(shape)}, got {k}")
    u, s, vt = scipy.sparse.linalg.svds(a, k=k, rng=0)
    order = np.argsort(s)[::-1]
    return Svd(u[:, order], s[order], vt[order])


def low_rank_approx(a: np.ndarray, k: int) -> np.ndarray:
    """Best rank-k approximation in Frobenius and spectral norm (Eckart-Young): U_k diag(s_k) V_k^T."""
    u, s, vt = truncated_svd(a, k)
    return (u * s) @ vt


def matrix_rank(a: np.ndarray, tol: float | None = None) -> int:
    """Number of singular values above ``tol`` (default as numpy's: s_max * max(m, n) * eps)."""
    s = np.linalg.svd(np.asarray(a), compute_uv=False)
    if tol is None:
        tol = (s[0] if s.size else 0.0) * max(np.shape(a)) * np.finfo(s.dtype).eps
    return int(np.sum(s > tol))
