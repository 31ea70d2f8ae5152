"""Input checks shared by the NumPy decompositions and the Jacobi method."""

import numpy as np

from harness.linalg.errors import NotSymmetricError


def as_square_matrix(a: np.ndarray) -> np.ndarray:
    """Return ``a`` as a finite square 2-D array, or raise ``ValueError`` saying what is wrong."""
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"expected a square 2-D matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("matrix contains NaN or infinity")
    return a


def default_symmetry_tol(dtype: np.dtype) -> float:
    """sqrt(eps): loose enough for round-off in products like X^T X, tight enough to refuse asymmetry."""
    return float(np.sqrt(np.finfo(dtype).eps))


def as_symmetric_matrix(a: np.ndarray, symmetry_tol: float | None = None) -> np.ndarray:
    """Check that ``a`` is symmetric (Hermitian) relative to its Frobenius norm; return its symmetric part.

    LAPACK's symmetric drivers read only one triangle, so a non-symmetric input would otherwise be
    decomposed silently as a *different* matrix.
    """
    a = as_square_matrix(a)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    tol = default_symmetry_tol(a.dtype) if symmetry_tol is None else symmetry_tol
    scale = np.max(np.abs(a)) if a.size else 0.0
    if scale == 0:
        return a
    unit = a / scale  # so the norms below cannot overflow or underflow
    asymmetry = np.linalg.norm(unit - unit.conj().T)
    norm = np.linalg.norm(unit)
    if asymmetry > tol * norm:
        raise NotSymmetricError(
            f"matrix is not symmetric: ||A - A^H||_F / ||A||_F = {asymmetry / norm:.3g} > {tol:.3g}"
        )
    return (a + a.conj().T) / 2
