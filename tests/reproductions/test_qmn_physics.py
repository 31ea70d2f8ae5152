"""QMN's quantum pieces obey the physics they borrow, for any input (hypothesis): states are density matrices,
measurements give probability vectors, the interference term behaves as its formula says, unitaries preserve
trace and purity, and the weak measurement interpolates from no influence to collapse onto the speaker's state.

Tolerances are per dtype: what float32 or float64 rounding can produce on d <= 10, not what the model might do.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reproductions.qmn import quantum as q
from reproductions.qmn.qmnn import evolve, unitary

TOL = {torch.complex64: 2e-5, torch.complex128: 1e-11}
REAL = {torch.complex64: torch.float32, torch.complex128: torch.float64}
FAST = settings(max_examples=30, deadline=None)

dtypes = st.sampled_from([torch.complex64, torch.complex128])
seeds = st.integers(0, 2**31 - 1)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny matrices: on shared cores extra torch threads only spin (a forward pass took 100x longer with 2)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _complex(rng: np.random.Generator, shape: tuple[int, ...], dtype: torch.dtype, scale: float = 1.0) -> torch.Tensor:
    return torch.complex(torch.tensor(rng.normal(size=shape) * scale, dtype=REAL[dtype]),
                         torch.tensor(rng.normal(size=shape) * scale, dtype=REAL[dtype]))


def _state(rng: np.random.Generator, d: int, k: int, dtype: torch.dtype, batch: int = 3,
           scale: float = 1.0, spread: float = 1.0) -> torch.Tensor:
    logits = torch.tensor(rng.normal(size=(batch, k)) * spread, dtype=REAL[dtype])
    return q.mixture_state(_complex(rng, (batch, k, d), dtype, scale), logits)


def assert_density_matrix(rho: torch.Tensor, tol: float) -> None:
    assert (rho - rho.mH).abs().max() <= tol, "not Hermitian"
    eigenvalues = torch.linalg.eigvalsh(rho)
    assert eigenvalues.min() >= -tol, f"not PSD: smallest eigenvalue {eigenvalues.min().item()}"
    trace = torch.diagonal(rho, dim1=-2, dim2=-1).sum(-1)
    assert (trace.real - 1).abs().max() <= tol and trace.imag.abs().max() <= tol, "trace is not 1"


@FAST
@given(seed=seeds, d=st.integers(1, 10), k=st.integers(1, 6), dtype=dtypes,
       scale=st.sampled_from([1e-3, 1.0, 1e3]), spread=st.sampled_from([0.0, 1.0, 30.0]))
def test_mixture_states_are_density_matrices(seed, d, k, dtype, scale, spread) -> None:
    rho = _state(np.random.default_rng(seed), d, k, dtype, scale=scale, spread=spread)
    assert_density_matrix(rho, TOL[dtype])
    assert (q.purity(rho) <= 1 + TOL[dtype]).all() and (q.purity(rho) >= 1 / d - TOL[dtype]).all()


@FAST
@given(seed=seeds, d=st.integers(1, 8), k=st.integers(1, 4), dtype=dtypes)
def test_zero_amplitudes_get_no_weight_and_none_left_is_maximally_mixed(seed, d, k, dtype) -> None:
    rng = np.random.default_rng(seed)
    amplitudes = _complex(rng, (4, k, d), dtype)
    zero = torch.tensor(rng.random((4, k)) < 0.5)
    zero[0] = True  # one row with nothing left
    amplitudes = amplitudes.masked_fill(zero[..., None], 0)
    rho = q.mixture_state(amplitudes, torch.tensor(rng.normal(size=(4, k)), dtype=REAL[dtype]))
    assert_density_matrix(rho, TOL[dtype])
    assert torch.allclose(rho[0], torch.eye(d, dtype=dtype) / d)


def test_one_component_is_a_pure_state() -> None:
    rho = _state(np.random.default_rng(0), 6, 1, torch.complex128)
    assert torch.allclose(q.purity(rho), torch.ones(3, dtype=torch.float64))


@FAST
@given(seed=seeds, d=st.integers(2, 10), k=st.integers(1, 5), dtype=dtypes, strength=st.floats(0.0, 1.0))
def test_weak_measurement_maps_density_matrices_to_density_matrices(seed, d, k, dtype, strength) -> None:
    rng = np.random.default_rng(seed)
    rho, sigma = _state(rng, d, k, dtype), _state(rng, d, k, dtype)
    post = q.weak_measurement(rho, sigma, torch.full((3,), strength, dtype=REAL[dtype]))
    assert_density_matrix(post, 10 * TOL[dtype])


@FAST
@given(seed=seeds, d=st.integers(2, 8), s=st.floats(0.0, q.MAX_STRENGTH))
def test_weak_measurement_by_a_pure_state_follows_the_closed_form(seed, d, s) -> None:
    """With sigma = |v><v| and a = <v|rho|v>: M^2 = P + (1-s)^2 (I-P), so <v|post|v> = a / (a + (1-s)^2 (1-a)).
    Strength 0 is no influence; the agreement with the speaker grows with the strength (strong influence)."""
    rng = np.random.default_rng(seed)
    rho = _state(rng, d, 3, torch.complex128)
    sigma = _state(rng, d, 1, torch.complex128)  # one component: a pure state
    v = torch.linalg.eigh(sigma)[1][..., -1]  # its eigenvector of eigenvalue 1

    def agreement(x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bi,bij,bj->b", v.conj(), x, v).real

    a = agreement(rho)
    post = q.weak_measurement(rho, sigma, torch.full((3,), s, dtype=torch.float64))
    assert torch.allclose(agreement(post), a / (a + (1 - s) ** 2 * (1 - a)), atol=1e-9)
    none = q.weak_measurement(rho, sigma, torch.zeros(3, dtype=torch.float64))
    assert torch.allclose(none, rho, atol=1e-12)


@FAST
@given(seed=seeds, d=st.integers(1, 10), classes=st.integers(2, 8), dtype=dtypes)
def test_povm_probabilities_are_a_distribution(seed, d, classes, dtype) -> None:
    rng = np.random.default_rng(seed)
    rows = -(-d // classes)
    v = q.isometry(_complex(rng, (classes * rows, d), dtype))
    eye = torch.eye(d, dtype=dtype)
    assert (v.mH @ v - eye).abs().max() <= TOL[dtype]  # the effects sum to the identity
    p = q.povm_probabilities(_state(rng, d, 3, dtype), v.view(classes, rows, d))
    assert (p >= 0).all()
    assert (p.sum(-1) - 1).abs().max() <= TOL[dtype]


@FAST
@given(seed=seeds, d=st.integers(1, 10), dtype=dtypes)
def test_unitary_evolution_preserves_trace_and_purity(seed, d, dtype) -> None:
    rng = np.random.default_rng(seed)
    u = q.isometry(_complex(rng, (d, d), dtype))  # square: a unitary
    rho = _state(rng, d, 3, dtype)
    evolved = u @ rho @ u.mH
    assert_density_matrix(evolved, 10 * TOL[dtype])
    assert (q.purity(evolved) - q.purity(rho)).abs().max() <= 10 * TOL[dtype]


@FAST
@given(seed=seeds, d=st.integers(1, 10), scale=st.sampled_from([0.0, 1.0, 10.0]))
def test_exp_ih_is_unitary_and_its_evolution_preserves_trace_and_purity(seed, d, scale) -> None:
    """QMNN's parameterisation: any real generator gives a unitary (zero gives the identity)."""
    rng = np.random.default_rng(seed)
    u = unitary(torch.tensor(rng.normal(size=(2, d, d)) * scale, dtype=torch.float64))
    eye = torch.eye(d, dtype=u.dtype)
    assert (u.mH @ u - eye).abs().max() <= 1e-9
    if scale == 0.0:
        assert torch.allclose(u, eye)
    rho = _state(rng, d, 3, torch.complex128)
    evolved = evolve(u, rho)
    assert_density_matrix(evolved, 1e-9)
    assert (q.purity(evolved) - q.purity(rho)).abs().max() <= 1e-9


def _distributions(rng: np.random.Generator, shape: tuple[int, ...], zeros: float = 0.0) -> torch.Tensor:
    p = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    p[rng.random(p.shape) < zeros] = 0.0
    p[p.sum(-1) == 0, 0] = 1.0
    return torch.tensor(p / p.sum(-1, keepdims=True), dtype=torch.float64)


@FAST
@given(seed=seeds, modalities=st.integers(1, 4), classes=st.integers(2, 8), zeros=st.sampled_from([0.0, 0.5]),
       phase_scale=st.sampled_from([0.0, 1.0, 100.0]))
def test_fusion_is_a_distribution_for_any_phases(seed, modalities, classes, zeros, phase_scale) -> None:
    rng = np.random.default_rng(seed)
    p = _distributions(rng, (5, modalities, classes), zeros)
    w = _distributions(rng, (5, modalities))
    phases = torch.tensor(rng.normal(size=(5, modalities, classes)) * phase_scale)
    for fused in (q.interference_fusion(p, w, phases), q.interference_fusion(p, w, None)):
        assert (fused >= 0).all() and torch.allclose(fused.sum(-1), torch.ones(5, dtype=torch.float64))


@FAST
@given(seed=seeds, classes=st.integers(2, 8))
def test_interference_vanishes_for_orthogonal_decisions(seed, classes) -> None:
    """Two modalities whose decision amplitudes sqrt(p) have disjoint supports: no cross term, any phases."""
    rng = np.random.default_rng(seed)
    split = int(rng.integers(1, classes))
    a, b = torch.zeros(classes, dtype=torch.float64), torch.zeros(classes, dtype=torch.float64)
    a[:split] = torch.tensor(rng.dirichlet(np.ones(split)))
    b[split:] = torch.tensor(rng.dirichlet(np.ones(classes - split)))
    p, w = torch.stack([a, b]), _distributions(rng, (2,))
    phases = torch.tensor(rng.normal(size=(2, classes)) * 10)
    assert q.interference_term(p, w, phases).abs().max() <= 1e-15  # rounding of cos^2 + sin^2 only
    assert torch.allclose(q.interference_fusion(p, w, phases), q.interference_fusion(p, w, None), atol=1e-15)


@FAST
@given(seed=seeds, classes=st.integers(2, 8))
def test_interference_by_relative_phase(seed, classes) -> None:
    """Relative phase pi/2: the cross term is zero (classical mixture); relative phase 0: maximally constructive,
    q = (sqrt(w_a p_a) + sqrt(w_b p_b))^2; relative phase pi: maximally destructive, the difference squared."""
    rng = np.random.default_rng(seed)
    p, w = _distributions(rng, (2, classes)), _distributions(rng, (2,))
    base = torch.tensor(rng.normal(size=classes))
    quarter = torch.stack([base, base + math.pi / 2])
    assert q.interference_term(p, w, quarter).abs().max() <= 1e-12
    assert torch.allclose(q.interference_fusion(p, w, quarter), q.interference_fusion(p, w, None), atol=1e-12)
    amp = (w[:, None] * p).sqrt()
    aligned = q.interference_fusion(p, w, torch.stack([base, base]))
    expected = (amp[0] + amp[1]) ** 2
    assert torch.allclose(aligned, expected / expected.sum(), atol=1e-12)
    assert (q.interference_term(p, w, torch.stack([base, base])) >= 0).all()
    opposite = q.interference_term(p, w, torch.stack([base, base + math.pi]))
    assert torch.allclose(opposite, -2 * amp[0] * amp[1], atol=1e-12)


def test_one_modality_fuses_to_itself() -> None:
    p = _distributions(np.random.default_rng(3), (4, 1, 5))
    w = torch.ones(4, 1, dtype=torch.float64)
    phases = torch.randn(4, 1, 5, dtype=torch.float64)
    assert torch.allclose(q.interference_fusion(p, w, phases), p[:, 0], atol=1e-12)


def test_gradients_stay_finite_at_zero_probabilities() -> None:
    p = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    phases = torch.zeros(1, 2, 3, dtype=torch.float64, requires_grad=True)
    torch.log(q.interference_fusion(p, w, phases)[0, 1]).backward()
    assert torch.isfinite(p.grad).all() and torch.isfinite(phases.grad).all()
