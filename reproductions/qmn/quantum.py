"""The quantum-like pieces of QMN as pure tensor functions, so the physics can be tested on its own.

Every function keeps the invariants *by construction*, not by a penalty: a density matrix built by
:func:`mixture_state` is Hermitian, positive semidefinite and of unit trace for any input; :func:`weak_measurement`
maps density matrices to density matrices; :func:`povm_probabilities` returns a probability vector for any density
matrix because its effects sum to the identity; :func:`interference_fusion` returns a probability vector whatever the
phases. The equations are reconstructions (the QMN paper's full text was not readable to us); README.md, "What is
reconstructed", lists each one and why it was chosen.
"""

from __future__ import annotations

import torch

# Below this the float arithmetic, not the model, decides: 1e-6 for complex64, 1e-12 for complex128.
EPS = {torch.complex64: 1e-6, torch.complex128: 1e-12}
# The influence never measures with strength 1: with M = (1 - s) I + s sigma and s <= 0.95, M >= 0.05 I, so the
# post-measurement trace is at least 0.0025 and the renormalisation cannot divide by zero.
MAX_STRENGTH = 0.95


def hermitian_part(a: torch.Tensor) -> torch.Tensor:
    """(A + A^H) / 2: removes the rounding asymmetry of a product that is Hermitian in exact arithmetic."""
    return 0.5 * (a + a.mH)


def mixture_state(amplitudes: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """rho = sum_k p_k |psi_k><psi_k| with p = softmax(logits) and psi_k = amplitudes_k / |amplitudes_k|.

    ``amplitudes``: (..., K, d) complex; ``logits``: (..., K) real. Returns (..., d, d): a convex mixture of pure
    states, hence Hermitian, PSD and of trace sum_k p_k = 1 (QIN's utterance density matrix, with K learned
    "views" of the utterance in place of its words: our features are one vector per utterance). A zero amplitude
    vector (e.g. after a ReLU) is no state and gets no weight; with none left, rho is the maximally mixed I/d.
    """
    eps = EPS[amplitudes.dtype]
    norm = torch.linalg.vector_norm(amplitudes, dim=-1)
    valid = norm > eps  # a zero vector is no state: it gets no weight
    psi = amplitudes / norm.clamp_min(eps)[..., None]
    empty = ~valid.any(-1, keepdim=True)  # nothing valid: the maximally mixed state I/d
    p = torch.softmax(logits.masked_fill(~valid, float("-inf")).masked_fill(empty, 0.0), dim=-1).to(psi.dtype)
    rho = torch.einsum("...k,...ki,...kj->...ij", p, psi, psi.conj())
    eye = torch.eye(psi.shape[-1], dtype=psi.dtype, device=psi.device) / psi.shape[-1]
    return hermitian_part(torch.where(empty[..., None], eye, rho))


def weak_measurement(rho: torch.Tensor, sigma: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
    """The listener's state ``rho`` after a measurement by the speaker's state ``sigma`` of ``strength`` s.

    Kraus operator M = (1 - s) I + s sigma (0 <= M <= I because sigma is a density matrix), post-measurement state
    M rho M / tr(M rho M). s = 0 leaves rho unchanged (no influence); as s -> 1 with a pure sigma = |v><v| it becomes
    the projective collapse onto |v> (strong influence); in between it is a weak measurement. ``strength``: (...,)
    in [0, MAX_STRENGTH]. The result is Hermitian, PSD (a congruence of a PSD matrix) and of unit trace.
    """
    eye = torch.eye(rho.shape[-1], dtype=rho.dtype, device=rho.device)
    s = strength.clamp(0.0, MAX_STRENGTH).to(rho.dtype)[..., None, None]
    m = (1 - s) * eye + s * sigma
    post = m @ rho @ m
    trace = torch.diagonal(post, dim1=-2, dim2=-1).sum(-1).real
    return hermitian_part(post / trace[..., None, None].to(post.dtype))


def isometry(weight: torch.Tensor) -> torch.Tensor:
    """An (n, d) matrix with orthonormal columns (V^H V = I), n >= d, from any full-rank complex ``weight``.

    Reduced QR; the columns of Q span the same space as weight's, and Q is a smooth function of weight almost
    everywhere, so it can be learned with a plain optimiser (no manifold optimiser needed).
    """
    q, _ = torch.linalg.qr(weight, mode="reduced")
    return q


def povm_probabilities(rho: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """p_c = tr(E_c rho) for the POVM E_c = V_c^H V_c, where V (C, r, d) stacks to an isometry (V^H V = I).

    Sum_c E_c = V^H V = I, so the probabilities of any density matrix are non-negative and sum to 1 (Naimark: a
    projective measurement on a larger space). ``rho``: (..., d, d); returns (..., C) real.
    """
    p = torch.einsum("crd,...de,cre->...c", v.conj(), rho, v).real
    return p.clamp_min(0.0)


def _safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    """sqrt with a zero (not infinite) gradient at 0, so an exactly-zero probability stays exactly zero."""
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), torch.zeros_like(x))


def interference_fusion(p: torch.Tensor, weights: torch.Tensor, phases: torch.Tensor | None) -> torch.Tensor:
    """Decision-level fusion of M per-modality distributions into one, with or without quantum interference.

    ``p``: (..., M, C) per-modality class probabilities; ``weights``: (..., M) non-negative, summing to 1;
    ``phases``: (..., M, C) real, or None for the classical mixture. With phases, each modality contributes the
    amplitude psi_m(c) = sqrt(w_m p_m(c)) e^{i phi_m(c)} and

        q(c) = |sum_m psi_m(c)|^2 = sum_m w_m p_m(c) + sum_{m<n} 2 sqrt(w_m w_n p_m(c) p_n(c)) cos(phi_m(c) - phi_n(c)),

    the classical mixture plus one interference term per pair (the quantum-cognition rule; with two modalities it
    is exactly p = a^2 p_a + b^2 p_b + 2ab sqrt(p_a p_b) cos theta). Writing it as a squared modulus keeps q >= 0
    for three or more modalities, where independent pairwise phases could not. The interference term vanishes when
    the decision amplitudes are orthogonal (p_m p_n = 0 for every class) and at relative phase pi/2; at relative
    phase 0 it is maximally constructive. q is renormalised over classes.
    """
    if phases is None:
        q = (weights[..., None] * p).sum(-2)
    else:
        amp = _safe_sqrt(weights[..., None] * p)
        re = (amp * torch.cos(phases)).sum(-2)
        im = (amp * torch.sin(phases)).sum(-2)
        q = re * re + im * im
    q = q + torch.finfo(q.dtype).tiny  # all-destructive interference would leave 0/0
    return q / q.sum(-1, keepdim=True)


def interference_term(p: torch.Tensor, weights: torch.Tensor, phases: torch.Tensor) -> torch.Tensor:
    """The unnormalised cross terms alone: |sum_m psi_m|^2 - sum_m w_m p_m, (..., C). For tests and diagnostics."""
    amp = _safe_sqrt(weights[..., None] * p)
    re = (amp * torch.cos(phases)).sum(-2)
    im = (amp * torch.sin(phases)).sum(-2)
    return re * re + im * im - (weights[..., None] * p).sum(-2)


def purity(rho: torch.Tensor) -> torch.Tensor:
    """tr(rho^2): 1 for a pure state, 1/d for the maximally mixed one."""
    return torch.einsum("...ij,...ji->...", rho, rho).real
