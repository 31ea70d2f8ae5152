"""Batched parallel-order Jacobi eigen-decomposition in torch (many small symmetric matrices, CPU or CUDA).

Hand-written for the same reason as ``harness.linalg.jacobi``: it is the studied algorithm.

- **Parallel order.** The n/2 rotations of one step act on disjoint index pairs, so they commute and are
  applied together, to every matrix of the batch, with a few elementwise tensor ops. The pairs follow
  the round-robin ("circle") tournament: index 0 stays put and the others move one place round a cycle
  after each step, so n - 1 steps meet every pair once (a sweep) and bring the order back to the start.
  The matrices are stored in the current tournament order, so the pairs are always (i, i + n/2) and
  every access is a slice; the move to the next order is folded into where each slice is written.
- **Scaled ("fast") rotations.** The step is memory-bound, so each rotated slice is written by a single
  ``addcmul``. We keep A = S Â S and V = V̂ S with S = diag(sigma); a rotation J = [[c, s], [-s, c]] then
  becomes sigma <- c sigma and x_p <- x_p - (t sigma_q / sigma_p) x_q, x_q <- x_q + (t sigma_p / sigma_q) x_p
  on the rows and columns of Â and the rows of V̂^T (Gentleman's square-root-free Givens). Since
  c >= 1/sqrt(2), sigma shrinks at most 2^(-1/2) per step; folding S back in every ``_RESCALE_STEPS``
  steps and at each sweep's end keeps Â far from overflow.
"""

from typing import NamedTuple

import torch

from harness.linalg.errors import JacobiNotConvergedError, NotSymmetricError
from harness.linalg.jacobi import DEFAULT_MAX_SWEEPS

_RESCALE_STEPS = 32  # Â grows by at most 2^steps: far below float32's 2^127


class BatchedJacobiResult(NamedTuple):
    eigenvalues: torch.Tensor  # (..., n), ascending
    eigenvectors: torch.Tensor  # (..., n, n), orthonormal columns
    sweeps: int  # sweeps until every matrix in the batch converged


def circle_order(m: int) -> list[int]:
    """Where each position of the next tournament order comes from: ``new[r] = old[circle_order(m)[r]]``.

    Positions i < m/2 form the top row of the pairing table and m/2 + i the bottom row (pairs are
    columns). Position 0 is fixed; the rest move one place round top[1..] -> bottom[reversed] -> top[1].
    """
    h = m // 2
    cycle = list(range(1, h)) + list(range(m - 1, h - 1, -1))
    source = list(range(m))
    for k, position in enumerate(cycle):
        source[position] = cycle[k - 1]
    return source


def _runs(source: list[int], h: int) -> list[tuple[int, int, int]]:
    """Split ``new[r] = old[source[r]]`` into (old start, new start, length) runs within one half."""
    runs: list[tuple[int, int, int]] = []
    for new, old in enumerate(source):
        if runs and runs[-1][0] + runs[-1][2] == old and (old < h) == (runs[-1][0] < h):
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((old, new, 1))
    return runs


class _Rotator:
    """x_k + mult_k * x_partner(k) along ``dim`` for every position k, written into ``out`` in the next order.

    Every slice is taken once, here: a step then costs one ``addcmul`` per run of consecutive
    positions, and at n = 8 the slicing would otherwise cost more than the arithmetic.
    """

    def __init__(self, x: torch.Tensor, out: torch.Tensor, mult: torch.Tensor, dim: int) -> None:
        h = x.shape[dim] // 2
        mult = mult.unsqueeze(3 - dim)  # broadcast along the other matrix axis
        self.ops = [
            (
                x.narrow(dim, old, length),
                x.narrow(dim, (old + h) % (2 * h), length),
                mult.narrow(dim, old, length),
                out.narrow(dim, new, length),
            )
            for old, new, length in _runs(circle_order(2 * h), h)
        ]

    def __call__(self) -> None:
        for x_self, x_partner, mult, target in self.ops:
            torch.addcmul(x_self, x_partner, mult, out=target)


def _rotations(a: torch.Tensor, sigma: torch.Tensor, mult: torch.Tensor) -> torch.Tensor:
    """Write the scaled-rotation multipliers of the pairs (i, i + h) into ``mult``; return the cosines.

    The tangent is ``jacobi_rotation``'s, sign(d) 2 a_pq / (|d| + hypot(d, 2 a_pq)) with d = a_qq - a_pp,
    without branches: ``tiny`` turns the 0/0 of a zero pivot with equal diagonal entries into t = 0.
    """
    h = sigma.shape[-1] // 2
    d = a.diagonal(dim1=-2, dim2=-1)
    s_p, s_q = sigma[:, :h], sigma[:, h:]
    diff = d[:, h:] * s_q * s_q - d[:, :h] * s_p * s_p
    two_apq = 2 * s_p * s_q * a[:, :h, h:].diagonal(dim1=-2, dim2=-1)
    t = torch.where(diff >= 0, two_apq, -two_apq)
    t /= diff.abs() + torch.hypot(diff, two_apq) + torch.finfo(a.dtype).tiny
    ratio = s_q / s_p
    torch.mul(t, ratio, out=mult[:, :h]).neg_()
    torch.div(t, ratio, out=mult[:, h:])
    return torch.rsqrt(1 + t * t)


def _fold_scale(a: torch.Tensor, vt: torch.Tensor, sigma: torch.Tensor) -> None:
    """A <- S A S, V^T <- S V^T and S <- I, in place: back to plain (unscaled) storage."""
    a.mul_(sigma.unsqueeze(-1) * sigma.unsqueeze(-2))
    vt.mul_(sigma.unsqueeze(-1))
    sigma.fill_(1)


def _off_norm(a: torch.Tensor) -> torch.Tensor:
    return torch.linalg.matrix_norm(a - torch.diag_embed(a.diagonal(dim1=-2, dim2=-1)))


def _check_input(a: torch.Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"expected a batch of square matrices (..., n, n), got shape {tuple(a.shape)}")
    if not a.dtype.is_floating_point:
        raise ValueError(f"expected a real floating-point tensor, got {a.dtype}")
    if not torch.isfinite(a).all():
        raise ValueError("matrix contains NaN or infinity")


def jacobi_eigh_batched(
    a: torch.Tensor,
    *,
    tol: float | None = None,
    max_sweeps: int = DEFAULT_MAX_SWEEPS,
    symmetry_tol: float | None = None,
) -> BatchedJacobiResult:
    """Eigen-decomposition of a batch (..., n, n) of real symmetric matrices by parallel Jacobi.

    Stops when off(A) <= tol * ||A||_F for every matrix (default tol = n * eps of the dtype); raises
    ``JacobiNotConvergedError`` after ``max_sweeps`` sweeps and ``NotSymmetricError`` naming the
    offending batch entries. Runs on whatever device ``a`` is on.
    """
    _check_input(a)
    batch_shape, n = a.shape[:-2], a.shape[-1]
    eps = torch.finfo(a.dtype).eps
    tol = n * eps if tol is None else tol
    symmetry_tol = eps**0.5 if symmetry_tol is None else symmetry_tol

    a = a.reshape(-1, n, n)
    scale = a.abs().amax(dim=(-2, -1), keepdim=True)
    a = a / torch.where(scale == 0, torch.ones_like(scale), scale)  # unit scale: no overflow/underflow
    norm = torch.linalg.matrix_norm(a)
    asymmetric = torch.linalg.matrix_norm(a - a.mT) > symmetry_tol * norm
    if asymmetric.any():
        bad = asymmetric.nonzero().flatten().tolist()
        raise NotSymmetricError(f"batch entries {bad[:10]} are not symmetric within {symmetry_tol:.3g}")

    m = n + n % 2  # odd n: a decoupled dummy index takes the tournament's bye
    a = torch.nn.functional.pad((a + a.mT) / 2, (0, m - n, 0, m - n))
    vt = torch.eye(m, dtype=a.dtype, device=a.device).expand_as(a).contiguous()  # V^T: rows are cheaper
    a_bufs, vt_bufs, rows = (a, torch.empty_like(a)), (vt, torch.empty_like(vt)), torch.empty_like(a)
    sigma, mult = a.new_ones(a.shape[0], m), a.new_empty(a.shape[0], m)
    plans = [  # step k reads buffer k % 2 and writes the other one
        (
            _Rotator(a_bufs[k], rows, mult, dim=1),
            _Rotator(rows, a_bufs[1 - k], mult, dim=2),
            _Rotator(vt_bufs[k], vt_bufs[1 - k], mult, dim=1),
        )
        for k in (0, 1)
    ]
    source, position = circle_order(m), [0] * m
    for new, old in enumerate(source):
        position[old] = new
    # the pivots (i, i + h) and (i + h, i) of a step land at (position[i], position[i + h]) and back
    pivot_cols = position[m // 2 :] + position[: m // 2]
    pivots = torch.tensor(
        [row * m + col for row, col in zip(position, pivot_cols, strict=True)], device=a.device
    )
    a_flat = [buffer.view(-1, m * m) for buffer in a_bufs]
    source = torch.tensor(source, device=a.device)

    threshold, steps = tol * norm, 0
    for sweep in range(max_sweeps + 1):
        _fold_scale(a_bufs[steps % 2], vt_bufs[steps % 2], sigma)
        off = _off_norm(a_bufs[steps % 2])
        if bool((off <= threshold).all()):
            break
        if sweep == max_sweeps:
            worst = (off / norm).max().item()
            raise JacobiNotConvergedError(
                f"batched Jacobi did not converge in {max_sweeps} sweeps: worst off(A)/||A||_F = {worst:.3g}"
            )
        for step in range(m - 1):
            if step and step % _RESCALE_STEPS == 0:
                _fold_scale(a_bufs[steps % 2], vt_bufs[steps % 2], sigma)
            rotate_rows, rotate_cols, rotate_vectors = plans[steps % 2]
            c = _rotations(a_bufs[steps % 2], sigma, mult)
            rotate_rows()
            rotate_cols()
            rotate_vectors()
            a_flat[1 - steps % 2].index_fill_(1, pivots, 0)  # the new pivots: zero in exact arithmetic
            sigma = (sigma.view(-1, 2, m // 2) * c.unsqueeze(1)).view(-1, m).index_select(1, source)
            steps += 1

    a, v = a_bufs[steps % 2], vt_bufs[steps % 2].mT
    w = a.diagonal(dim1=-2, dim2=-1)[:, :n] * scale.squeeze(-1)
    w, order = torch.sort(w, dim=-1, stable=True)
    v = torch.gather(v[:, :n, :n], 2, order.unsqueeze(-2).expand(-1, n, -1))
    return BatchedJacobiResult(w.reshape(*batch_shape, n), v.reshape(*batch_shape, n, n), sweep)
