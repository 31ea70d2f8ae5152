"""The Jacobi eigenvalue method for symmetric matrices, in NumPy.

Hand-written on purpose: it is the algorithm the seed notes study, and this version fixes their
mistakes. Use ``harness.linalg.eigh`` (LAPACK) for real work; this one is for study and testing.

- The rotation comes from the tangent t = tan(theta), the smaller root of t^2 + 2 tau t - 1 = 0 with
  tau = (a_qq - a_pp) / (2 a_pq), not from arctan(2 a_pq / (a_pp - a_qq)): equal diagonal entries are fine.
- Convergence is tested on off(A) = ||A - diag(A)||_F relative to ||A||_F, not on one entry.
- The limit is on sweeps (one sweep = n(n-1)/2 rotations), so it scales with n; hitting it raises.
"""

import math
from typing import Literal, NamedTuple

import numpy as np

from harness.linalg.errors import JacobiNotConvergedError
from harness.linalg.validation import as_symmetric_matrix

DEFAULT_MAX_SWEEPS = 30


class JacobiResult(NamedTuple):
    eigenvalues: np.ndarray  # ascending
    eigenvectors: np.ndarray  # orthonormal columns, in the order of the eigenvalues
    sweeps: int  # sweeps used (for the classical method: rotations / (n(n-1)/2), rounded up)


def jacobi_rotation(a_pp: float, a_qq: float, a_pq: float) -> tuple[float, float]:
    """(cos, sin) of the rotation J with J^T [[a_pp, a_pq], [a_pq, a_qq]] J diagonal.

    J has J_pp = J_qq = c, J_pq = s, J_qp = -s (Golub & Van Loan, Alg. 8.5.1). The smaller root
    t = sign(tau) / (|tau| + sqrt(1 + tau^2)) keeps |theta| <= pi/4, which is what makes the method
    converge; tau = 0 (equal diagonal entries) gives t = 1, i.e. theta = pi/4. We evaluate it as
    t = sign(d) 2 a_pq / (|d| + hypot(d, 2 a_pq)) with d = a_qq - a_pp (multiply through by 2|a_pq|):
    the same number, but tau itself, which overflows for a tiny a_pq, is never formed.
    """
    if a_pq == 0:
        return 1.0, 0.0
    d = a_qq - a_pp
    t = (2 * a_pq if d >= 0 else -2 * a_pq) / (abs(d) + math.hypot(d, 2 * a_pq))
    c = 1 / math.sqrt(1 + t * t)
    return c, t * c


def _rotate(a: np.ndarray, v: np.ndarray, p: int, q: int) -> None:
    """Apply A <- J^T A J and V <- V J in place for the rotation that zeroes a_pq."""
    c, s = jacobi_rotation(a[p, p], a[q, q], a[p, q])
    if s == 0:
        return
    col_p, col_q = a[:, p].copy(), a[:, q]
    a[:, p] = c * col_p - s * col_q
    a[:, q] = s * col_p + c * col_q
    row_p, row_q = a[p, :].copy(), a[q, :]
    a[p, :] = c * row_p - s * row_q
    a[q, :] = s * row_p + c * row_q
    a[p, q] = a[q, p] = 0.0  # exact in theory; setting it keeps round-off out of off(A)
    vec_p, vec_q = v[:, p].copy(), v[:, q]
    v[:, p] = c * vec_p - s * vec_q
    v[:, q] = s * vec_p + c * vec_q


def _off_norm(a: np.ndarray) -> float:
    off = a - np.diag(np.diag(a))
    return float(np.sqrt(np.vdot(off, off)))


def jacobi_eigh(
    a: np.ndarray,
    *,
    method: Literal["cyclic", "classical"] = "cyclic",
    tol: float | None = None,
    max_sweeps: int = DEFAULT_MAX_SWEEPS,
    symmetry_tol: float | None = None,
) -> JacobiResult:
    """Eigen-decomposition of a real symmetric matrix by Jacobi rotations.

    ``method="cyclic"`` rotates every (p, q) in row order each sweep; ``"classical"`` always rotates
    the largest off-diagonal entry (fewer rotations, but each costs an O(n^2) search).
    Stops when off(A) <= tol * ||A||_F (default tol = n * eps); raises ``JacobiNotConvergedError``
    after ``max_sweeps`` sweeps and ``NotSymmetricError`` for non-symmetric input.
    """
    if method not in _SOLVERS:
        raise ValueError(f"method must be one of {sorted(_SOLVERS)}, got {method!r}")
    a = as_symmetric_matrix(a, symmetry_tol)
    if np.iscomplexobj(a):
        raise ValueError("jacobi_eigh handles real symmetric matrices; use eigh() for Hermitian ones")
    n = a.shape[0]
    tol = n * np.finfo(np.float64).eps if tol is None else tol
    scale = float(np.max(np.abs(a))) if n else 0.0
    if scale == 0:
        return JacobiResult(np.zeros(n), np.eye(n), 0)
    a = a.astype(np.float64) / scale  # unit scale: norms can neither overflow nor underflow
    v = np.eye(n)
    threshold = tol * np.linalg.norm(a)
    sweeps = _SOLVERS[method](a, v, threshold, max_sweeps)
    w = np.diag(a) * scale
    order = np.argsort(w, kind="stable")
    return JacobiResult(w[order], v[:, order], sweeps)


def _cyclic(a: np.ndarray, v: np.ndarray, threshold: float, max_sweeps: int) -> int:
    n = a.shape[0]
    for sweep in range(max_sweeps + 1):
        off = _off_norm(a)
        if off <= threshold:
            return sweep
        if sweep == max_sweeps:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                _rotate(a, v, p, q)
    raise JacobiNotConvergedError(
        f"cyclic Jacobi did not converge in {max_sweeps} sweeps: off(A)/||A||_F = "
        f"{off / np.linalg.norm(a):.3g} > tol"
    )


def _classical(a: np.ndarray, v: np.ndarray, threshold: float, max_sweeps: int) -> int:
    n = a.shape[0]
    per_sweep = max(1, n * (n - 1) // 2)
    max_rotations = max_sweeps * per_sweep
    magnitude = np.empty_like(a)
    for rotation in range(max_rotations + 1):
        np.abs(a, out=magnitude)
        np.fill_diagonal(magnitude, 0.0)
        off = math.sqrt(np.vdot(magnitude, magnitude))
        if off <= threshold:
            return -(-rotation // per_sweep)
        if rotation == max_rotations:
            break
        p, q = divmod(int(np.argmax(magnitude)), n)
        _rotate(a, v, p, q)
    raise JacobiNotConvergedError(
        f"classical Jacobi did not converge in {max_sweeps} sweeps ({max_rotations} rotations): "
        f"off(A)/||A||_F = {off / np.linalg.norm(a):.3g} > tol"
    )


_SOLVERS = {"cyclic": _cyclic, "classical": _classical}
