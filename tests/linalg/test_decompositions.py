"""EVD and SVD wrappers: what holds for every matrix, and where the seed notes went wrong.

The notes say singular values are the square roots of A's eigenvalues: true of A^T A, and of |λ(A)|
only for normal matrices. They also assume every square matrix has an EVD; a defective one does not.
"""

import numpy as np
import pytest
import scipy.sparse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.linalg import (
    NotDiagonalizableError,
    NotSymmetricError,
    eigh,
    evd,
    low_rank_approx,
    matrix_rank,
    svd,
    truncated_svd,
)
from tests.linalg.strategies import (
    frobenius_norm,
    general_matrices,
    non_symmetric,
    orthogonal,
    seeds,
    symmetric_matrices,
)

EPS = np.finfo(np.float64).eps
CORE = settings(max_examples=200, deadline=None)


@CORE
@given(a=general_matrices())
def test_svd_reconstructs_any_shape_with_sorted_non_negative_singular_values(a: np.ndarray) -> None:
    u, s, vt = svd(a)
    k = min(a.shape)
    assert u.shape == (a.shape[0], k) and s.shape == (k,) and vt.shape == (k, a.shape[1])
    assert np.all(s >= 0) and np.all(np.diff(s) <= 0)
    assert frobenius_norm((u * s) @ vt - a) <= 20 * max(a.shape) * EPS * frobenius_norm(a)


@CORE
@given(a=general_matrices())
def test_squared_singular_values_are_the_eigenvalues_of_gram_matrix(a: np.ndarray) -> None:
    a = a / (np.abs(a).max() or 1.0)  # A^T A squares the scale; keep it representable
    s = svd(a).s
    gram_eigenvalues = np.linalg.eigvalsh(a.T @ a)[::-1]
    padded = np.concatenate([s**2, np.zeros(a.shape[1] - s.size)])
    np.testing.assert_allclose(padded, gram_eigenvalues, rtol=0, atol=50 * max(a.shape) * EPS)


@CORE
@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)), rank=st.integers(0, 6), seed=seeds)
def test_rank_counts_singular_values_above_tolerance(shape: tuple[int, int], rank: int, seed: int) -> None:
    rank = min(rank, *shape)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((shape[0], rank)) @ rng.standard_normal((rank, shape[1]))
    assert matrix_rank(a) == rank


@CORE
@given(a=general_matrices(), k=st.integers(0, 6), seed=seeds)
def test_eckart_young_truncation_is_the_best_rank_k_approximation(a: np.ndarray, k: int, seed: int) -> None:
    a = a / (np.abs(a).max() or 1.0)
    k = min(k, *a.shape)
    s = svd(a).s
    error = np.linalg.norm(a - low_rank_approx(a, k))
    optimum = np.sqrt(np.sum(s[k:] ** 2))
    assert error == pytest.approx(optimum, abs=50 * max(a.shape) * EPS)
    rng = np.random.default_rng(seed)  # any other rank-k matrix does no better
    other = rng.standard_normal((a.shape[0], k)) @ rng.standard_normal((k, a.shape[1]))
    assert np.linalg.norm(a - other) >= optimum - 50 * max(a.shape) * EPS


def test_sparse_truncated_svd_matches_the_dense_top_k() -> None:
    """ConceptNet-style: the top singular triplets of a sparse matrix, via ARPACK, in descending order."""
    m = scipy.sparse.random(40, 30, density=0.2, random_state=0, format="csr")
    u, s, vt = truncated_svd(m, 5)
    dense = svd(m.toarray())
    np.testing.assert_allclose(s, dense.s[:5], rtol=1e-10)
    np.testing.assert_allclose(np.abs(u.T @ dense.u[:, :5]), np.eye(5), atol=1e-8)  # same vectors up to sign
    np.testing.assert_allclose(np.abs(vt @ dense.vt[:5].T), np.eye(5), atol=1e-8)


@pytest.mark.parametrize("k", [-1, 7])
def test_truncated_svd_refuses_impossible_k(k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        truncated_svd(np.ones((6, 8)), k)


def test_singular_values_are_not_eigenvalues_for_a_non_normal_matrix() -> None:
    """The seed notes' claim 'singular values = sqrt of A's eigenvalues' fails here."""
    a = np.array([[1.0, 2.0], [0.0, 3.0]])  # upper triangular, not normal: A A^T != A^T A
    eigenvalues = np.sort(evd(a).eigenvalues.real)
    singular_values = np.sort(svd(a).s)
    np.testing.assert_allclose(eigenvalues, [1.0, 3.0])
    np.testing.assert_allclose(singular_values, np.sqrt([7 - np.sqrt(40), 7 + np.sqrt(40)]))
    assert not np.allclose(singular_values, np.abs(eigenvalues))
    assert not np.allclose(singular_values, np.sqrt(eigenvalues))
    assert np.prod(singular_values) == pytest.approx(abs(np.prod(eigenvalues)))  # only |det| agrees


@CORE
@given(a=symmetric_matrices())
def test_singular_values_are_absolute_eigenvalues_for_symmetric_matrices(a: np.ndarray) -> None:
    s = svd(a).s
    w = eigh(a).eigenvalues
    np.testing.assert_allclose(
        s, np.sort(np.abs(w))[::-1], rtol=0, atol=20 * a.shape[0] * EPS * frobenius_norm(a)
    )


@CORE
@given(a=symmetric_matrices())
def test_eigh_reconstructs_symmetric_matrices(a: np.ndarray) -> None:
    w, v = eigh(a)
    n, norm = a.shape[0], frobenius_norm(a)
    np.testing.assert_allclose(v.T @ v, np.eye(n), atol=20 * n * EPS)
    assert frobenius_norm((v * w) @ v.T - a) <= 20 * n * EPS * norm


@settings(max_examples=50, deadline=None)
@given(a=non_symmetric())
def test_eigh_refuses_what_lapack_would_silently_misread(a: np.ndarray) -> None:
    """numpy.linalg.eigh reads one triangle only, so it would 'decompose' a different matrix."""
    with pytest.raises(NotSymmetricError):
        eigh(a)


def test_eigh_accepts_hermitian_matrices() -> None:
    a = np.array([[2.0, 1j], [-1j, 2.0]])
    np.testing.assert_allclose(eigh(a).eigenvalues, [1.0, 3.0])


@pytest.mark.parametrize(
    "a",
    [
        np.array([[1.0, 1.0], [0.0, 1.0]]),  # Jordan block: one eigenvector for a double eigenvalue
        np.array([[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]),
        np.array([[0.0, 1.0], [0.0, 0.0]]),  # nilpotent
        np.array([[1.0, 1.0], [0.0, 1.0 + 1e-12]]),  # diagonalizable, but cond(V) ~ 1e12
    ],
    ids=["jordan-2", "jordan-3", "nilpotent", "nearly-defective"],
)
def test_evd_refuses_defective_and_ill_conditioned_eigenbases(a: np.ndarray) -> None:
    with pytest.raises(NotDiagonalizableError, match="cond"):
        evd(a)


@CORE
@example(n=5, seed=168, values=[0, 0, 0, 5, 5, 0])  # found by this test: LAPACK's V had cond 1.6e16
@given(
    n=st.integers(1, 6),
    seed=seeds,
    values=st.lists(st.integers(-5, 5), min_size=6, max_size=6),
)
def test_evd_reconstructs_diagonalizable_matrices(n: int, seed: int, values: list[int]) -> None:
    """A = S diag(w) S^-1 with a well-conditioned S (repeated eigenvalues allowed): accepted and recovered."""
    rng = np.random.default_rng(seed)
    s = orthogonal(n, seed) @ np.diag(rng.uniform(1, 2, n))  # cond(S) <= 2
    w = np.array(values[:n], dtype=float)
    a = s @ np.diag(w) @ np.linalg.inv(s)
    eigenvalues, v = evd(a)
    np.testing.assert_allclose(eigenvalues.real, np.sort(w), atol=1e-10 * max(1, np.abs(w).max()))
    np.testing.assert_allclose(
        v @ np.diag(eigenvalues) @ np.linalg.inv(v), a, atol=1e-9 * max(1, np.abs(a).max())
    )


def test_evd_accepts_an_oblique_projector_whose_lapack_basis_is_degenerate() -> None:
    """P = S diag(1, 1, 0, 0) S^-1 is diagonalizable; eig may still return nearly parallel vectors for it."""
    s = np.array(
        [[0.0, 0.0, 1.0, 2.0], [-2.0, -2.0, 2.0, 2.0], [-1.0, -1.0, 2.0, 0.0], [-1.0, 2.0, -1.0, 0.0]]
    )
    p = s @ np.diag([1.0, 1.0, 0.0, 0.0]) @ np.linalg.inv(s)
    assert not np.linalg.cond(np.linalg.eig(p)[1]) < 1e8  # what LAPACK returns is unusable as it stands
    eigenvalues, v = evd(p)
    np.testing.assert_allclose(eigenvalues.real, [0, 0, 1, 1], atol=1e-12)
    np.testing.assert_allclose(v @ np.diag(eigenvalues) @ np.linalg.inv(v), p, atol=1e-10)


def test_evd_returns_complex_eigenvalues_of_a_rotation() -> None:
    eigenvalues, v = evd(np.array([[0.0, -1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(eigenvalues, [-1j, 1j])
    np.testing.assert_allclose(v @ np.diag(eigenvalues) @ np.linalg.inv(v), [[0, -1], [1, 0]], atol=1e-15)
