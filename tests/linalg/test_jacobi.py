"""The Jacobi eigenvalue method (NumPy, classical and cyclic): a specification by properties.

For every symmetric A, V diag(w) V^T = A, V^T V = I, w agrees with LAPACK within a tolerance scaled
by ||A||, trace A = sum w and det A = prod w; the seed notes' failure cases (equal diagonal entries,
repeated and zero eigenvalues, ill-conditioning) must all converge, and non-symmetric input is refused.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.linalg import JacobiNotConvergedError, NotSymmetricError, jacobi_eigh, jacobi_rotation
from tests.linalg.strategies import entries, frobenius_norm, non_symmetric, symmetric_matrices

# A division by zero or an overflow inside the algorithm is a bug even when NumPy's inf happens to
# give the right angle (as arctan(inf) does for equal diagonal entries), so warnings fail the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

EPS = np.finfo(np.float64).eps
METHODS = ["cyclic", "classical"]
CORE = settings(max_examples=200, deadline=None)


def check_eigendecomposition(a: np.ndarray, w: np.ndarray, v: np.ndarray) -> None:
    n = a.shape[0]
    norm = frobenius_norm(a)
    tol = 20 * n * EPS
    assert np.all(np.diff(w) >= 0), "eigenvalues must be ascending"
    np.testing.assert_allclose(v.T @ v, np.eye(n), rtol=0, atol=tol)
    assert frobenius_norm((v * w) @ v.T - a) <= tol * norm
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=0, atol=tol * norm)
    assert abs(np.sum(w) - np.trace(a)) <= tol * norm
    if norm > 0:  # det on A / ||A||_F, where |eigenvalues| <= 1: an absolute n^2 eps bound holds
        assert abs(np.prod(w / norm) - np.linalg.det(a / norm)) <= n * tol


@pytest.mark.parametrize("method", METHODS)
@CORE
@given(a=symmetric_matrices())
def test_jacobi_diagonalises_symmetric_matrices(method: str, a: np.ndarray) -> None:
    w, v, _ = jacobi_eigh(a, method=method)
    check_eigendecomposition(a, w, v)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "a",
    [
        np.array([[5.0]]),
        np.zeros((4, 4)),
        np.eye(3),
        np.diag([3.0, -1.0, 2.0]),
        np.array([[1.0, 2.0], [2.0, 1.0]]),  # equal diagonal: the naive angle divides by zero
        np.ones((5, 5)),  # rank one, eigenvalue 0 four times
        np.array([[1.0, 1e-300], [1e-300, 1.0]]),
        np.array([[1e300, 1e299], [1e299, -1e300]]),  # squares would overflow without scaling
        np.diag([1.0, 1e-15, 1e-30]) + 1e-16 * np.ones((3, 3)),
    ],
    ids=["1x1", "zero", "identity", "diagonal", "equal-diagonal", "ones", "tiny-pivot", "huge", "graded"],
)
def test_jacobi_named_cases(method: str, a: np.ndarray) -> None:
    w, v, _ = jacobi_eigh(a, method=method)
    check_eigendecomposition(a, w, v)


@CORE
@given(a_pp=entries, a_qq=entries, a_pq=entries)
def test_rotation_annihilates_the_pivot(a_pp: float, a_qq: float, a_pq: float) -> None:
    c, s = jacobi_rotation(a_pp, a_qq, a_pq)
    assert math.isclose(c * c + s * s, 1.0, rel_tol=4 * EPS)
    assert abs(s) <= c  # the inner rotation, |theta| <= pi/4: the choice that makes Jacobi converge
    j = np.array([[c, s], [-s, c]])
    b = j.T @ np.array([[a_pp, a_pq], [a_pq, a_qq]]) @ j
    assert abs(b[0, 1]) <= 8 * EPS * max(abs(a_pp), abs(a_qq), abs(a_pq))


def test_equal_diagonal_entries_give_a_45_degree_rotation() -> None:
    c, s = jacobi_rotation(2.0, 2.0, 3.0)
    assert c == pytest.approx(math.sqrt(0.5)) and s == pytest.approx(math.sqrt(0.5))


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=50, deadline=None)
@given(a=non_symmetric())
def test_non_symmetric_input_is_refused(method: str, a: np.ndarray) -> None:
    with pytest.raises(NotSymmetricError, match="not symmetric"):
        jacobi_eigh(a, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_sweep_limit_raises_instead_of_returning_garbage(method: str) -> None:
    a = np.random.default_rng(0).standard_normal((8, 8))
    with pytest.raises(JacobiNotConvergedError, match="did not converge in 1 sweeps"):
        jacobi_eigh(a + a.T, method=method, max_sweeps=1)


@pytest.mark.parametrize("method", METHODS)
def test_larger_matrices_converge_within_the_default_sweep_limit(method: str) -> None:
    """The limit counts sweeps, which grow with n; a fixed cap of 100 rotations (seed notes) does not."""
    x = np.random.default_rng(24).standard_normal((24, 24))
    a = x + x.T
    w, v, sweeps = jacobi_eigh(a, method=method)
    check_eigendecomposition(a, w, v)
    assert sweeps >= 3


@pytest.mark.parametrize("bad", [np.ones((2, 3)), np.array([[1.0, np.nan], [np.nan, 1.0]]), np.ones(3)])
def test_malformed_input_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        jacobi_eigh(bad)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        jacobi_eigh(np.eye(2), method="parallel")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(0, 1000))
def test_classical_needs_no_more_rotations_than_cyclic_sweeps(n: int, seed: int) -> None:
    """Both orders converge; the max-pivot order never needs more (partial) sweeps than the cyclic one."""
    x = np.random.default_rng(seed).standard_normal((n, n))
    a = x + x.T
    assert jacobi_eigh(a, method="classical").sweeps <= jacobi_eigh(a, method="cyclic").sweeps + 1
