"""The batched parallel-order Jacobi method in torch: the same properties as the NumPy version, per batch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.linalg import JacobiNotConvergedError, NotSymmetricError, jacobi_eigh_batched
from harness.linalg.jacobi_batched import circle_order
from tests.linalg.strategies import frobenius_norm, non_symmetric, sizes, symmetric_matrices

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@st.composite
def batches(draw: st.DrawFn) -> np.ndarray:
    """1-4 symmetric matrices of one size, each from any of the single-matrix strategies."""
    n = draw(sizes)
    return np.stack(draw(st.lists(symmetric_matrices(n), min_size=1, max_size=4)))


@settings(max_examples=200, deadline=None)
@given(a=batches())
def test_batched_jacobi_diagonalises_every_matrix(a: np.ndarray) -> None:
    w, v, _ = jacobi_eigh_batched(torch.from_numpy(a))
    w, v = w.numpy(), v.numpy()
    n = a.shape[-1]
    tol = 20 * n * np.finfo(np.float64).eps
    for a_k, w_k, v_k in zip(a, w, v, strict=True):
        norm = frobenius_norm(a_k)
        assert np.all(np.diff(w_k) >= 0)
        np.testing.assert_allclose(v_k.T @ v_k, np.eye(n), rtol=0, atol=tol)
        assert frobenius_norm((v_k * w_k) @ v_k.T - a_k) <= tol * norm
        np.testing.assert_allclose(w_k, np.linalg.eigvalsh(a_k), rtol=0, atol=tol * norm)
        assert abs(w_k.sum() - np.trace(a_k)) <= tol * norm


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 33, 70])  # odd n use the bye; n = 70 folds the scale mid-sweep
def test_batched_matches_torch_eigh_in_float32_and_float64(device: str, n: int) -> None:
    generator = torch.Generator().manual_seed(n)
    for dtype, tol in [(torch.float64, 1e-12), (torch.float32, 1e-4)]:
        x = torch.randn(4, n, n, generator=generator, dtype=dtype)
        a = (x + x.mT).to(device)
        w, v, _ = jacobi_eigh_batched(a)
        norm = torch.linalg.matrix_norm(a)
        identity = torch.eye(n, dtype=dtype, device=device).expand_as(v)
        torch.testing.assert_close(
            w / norm[:, None], torch.linalg.eigvalsh(a) / norm[:, None], rtol=0, atol=tol
        )
        reconstructed = v @ torch.diag_embed(w) @ v.mT
        torch.testing.assert_close(
            reconstructed / norm[:, None, None], a / norm[:, None, None], rtol=0, atol=tol
        )
        torch.testing.assert_close(v.mT @ v, identity, rtol=0, atol=tol)


def test_leading_batch_dimensions_are_kept() -> None:
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    w, v, _ = jacobi_eigh_batched(x + x.mT)
    assert w.shape == (2, 3, 5) and v.shape == (2, 3, 5, 5)
    torch.testing.assert_close(w, torch.linalg.eigvalsh(x + x.mT))


@pytest.mark.parametrize("m", [2, 4, 6, 8, 16])
def test_circle_order_meets_every_pair_once_per_sweep_and_returns_home(m: int) -> None:
    order, met = list(range(m)), set()
    for _ in range(m - 1):
        met |= {frozenset((order[i], order[i + m // 2])) for i in range(m // 2)}
        order = [order[k] for k in circle_order(m)]
    assert len(met) == m * (m - 1) // 2
    assert order == list(range(m))


@settings(max_examples=30, deadline=None)
@given(a=non_symmetric())
def test_non_symmetric_batch_entry_is_named(a: np.ndarray) -> None:
    batch = torch.from_numpy(np.stack([a + a.T, a]))
    with pytest.raises(NotSymmetricError, match=r"batch entries \[1\]"):
        jacobi_eigh_batched(batch)


def test_sweep_limit_raises() -> None:
    x = torch.randn(3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    with pytest.raises(JacobiNotConvergedError, match="did not converge in 1 sweeps"):
        jacobi_eigh_batched(x + x.mT, max_sweeps=1)


MALFORMED = [torch.ones(2, 3), torch.ones(3), torch.eye(2, dtype=torch.int64), torch.full((2, 2), torch.nan)]


@pytest.mark.parametrize("bad", MALFORMED)
def test_malformed_input_is_refused(bad: torch.Tensor) -> None:
    with pytest.raises(ValueError):
        jacobi_eigh_batched(bad)
