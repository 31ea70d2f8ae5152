"""Hypothesis strategies for matrices that shrink to readable counterexamples.

Entries shrink toward 0 and sizes toward 1; spectra are built from small integers (exponents and
signs) and orthogonal factors from an integer seed, so a failing case shrinks to, say, "n = 2,
eigenvalues (1, 1e-12), seed 0" rather than to an opaque array of floats.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

MAX_N = 8

sizes = st.integers(1, MAX_N)
seeds = st.integers(0, 2**16)
entries = st.floats(-100, 100, allow_nan=False, allow_infinity=False, allow_subnormal=False)
scales = st.integers(-12, 12).map(lambda e: 10.0**e)


def orthogonal(n: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _from_spectrum(values: list[float], seed: int) -> np.ndarray:
    q = orthogonal(len(values), seed)
    a = (q * np.asarray(values)) @ q.T
    return (a + a.T) / 2


@st.composite
def random_symmetric(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    """Symmetric part of a matrix of arbitrary entries, times a power-of-ten scale."""
    n = n or draw(sizes)
    x = draw(arrays(np.float64, (n, n), elements=entries))
    return (x + x.T) / 2 * draw(scales)


@st.composite
def ill_conditioned_symmetric(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    """Q diag(w) Q^T with |w| spread over up to 12 orders of magnitude (condition number up to 1e12)."""
    n = n or draw(sizes)
    exponents = draw(st.lists(st.integers(-12, 0), min_size=n, max_size=n))
    signs = draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=n, max_size=n))
    return _from_spectrum([s * 10.0**e for s, e in zip(signs, exponents, strict=True)], draw(seeds))


@st.composite
def repeated_eigenvalue_symmetric(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    """Q diag(w) Q^T with w drawn from three values, so eigenvalues repeat (zero included)."""
    n = n or draw(sizes)
    values = draw(st.lists(st.sampled_from([-2.0, 0.0, 3.0]), min_size=n, max_size=n))
    return _from_spectrum(values, draw(seeds))


@st.composite
def equal_diagonal_symmetric(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    """Constant diagonal: every first rotation has a_pp = a_qq, where the naive arctan divides by 0."""
    n = n or draw(sizes)
    x = draw(arrays(np.float64, (n, n), elements=entries))
    a = (x + x.T) / 2
    np.fill_diagonal(a, draw(entries))
    return a


@st.composite
def diagonal(draw: st.DrawFn, n: int | None = None) -> np.ndarray:
    n = n or draw(sizes)
    return np.diag(draw(arrays(np.float64, (n,), elements=entries)))


def symmetric_matrices(n: int | None = None) -> st.SearchStrategy[np.ndarray]:
    """Any of the kinds above, of size n (default: drawn from 1..MAX_N)."""
    kinds = [random_symmetric, ill_conditioned_symmetric, repeated_eigenvalue_symmetric]
    return st.one_of(*(kind(n) for kind in [*kinds, equal_diagonal_symmetric, diagonal]))


@st.composite
def non_symmetric(draw: st.DrawFn) -> np.ndarray:
    """A square matrix whose antisymmetric part is not round-off: ||A - A^T|| > 1e-6 ||A||."""
    n = draw(st.integers(2, MAX_N))
    x = draw(arrays(np.float64, (n, n), elements=entries))
    i = draw(st.integers(0, n - 2))
    j = draw(st.integers(i + 1, n - 1))
    x[i, j] = x[j, i] + 1 + np.abs(x).max()
    return x


@st.composite
def general_matrices(draw: st.DrawFn, max_side: int = 6) -> np.ndarray:
    """Any m x n matrix (m, n in 1..max_side), entries shrinking toward 0."""
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    return draw(arrays(np.float64, shape, elements=entries)) * draw(scales)


def frobenius_norm(a: np.ndarray) -> float:
    """||A||_F without the underflow of np.linalg.norm on entries near 1e-160 (their squares vanish)."""
    scale = np.abs(a).max() if a.size else 0.0
    return float(scale * np.linalg.norm(a / scale)) if scale > 0 else 0.0
