"""Properties of KnowleNet's sample-level PCA stream (reproductions/knowlenet/pca_stream.py)."""

import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import ortho_group

from reproductions.knowlenet.pca_stream import SharedProjection, discrepancy, fit_projection

FAST = settings(max_examples=30, deadline=None)
D, P = 3, 2  # per-modality width and kept components (P < 2 D, so the subspace is a real choice)


def _data(seed: int, n: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.2, 3.0, size=2 * D)
    x = rng.normal(size=(n, 2 * D)) * scales @ ortho_group.rvs(2 * D, random_state=seed)
    x = torch.from_numpy(x)
    return x[:, :D], x[:, D:]


def _gap_ok(text: torch.Tensor, image: torch.Tensor) -> bool:
    """Distinct top eigenvalues and a gap after the P-th, so P is defined up to column signs."""
    w = torch.linalg.eigvalsh(torch.cov(torch.cat([text, image], 1).T)).flip(0)
    return bool(torch.all(w[:P] - w[1:P + 1] > 1e-2 * w[0]))


def _maps(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(D, 2 * D, generator=g, dtype=torch.float64), torch.randn(D, 2 * D, generator=g,
                                                                                 dtype=torch.float64)


@FAST
@given(seed=st.integers(0, 10_000), signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=P, max_size=P),
       kind=st.sampled_from(["distance", "squares"]))
def test_discrepancy_does_not_depend_on_eigenvector_signs(seed, signs, kind):
    text, image = _data(seed)
    proj = fit_projection(text, image, P)
    flipped = proj * torch.tensor(signs, dtype=proj.dtype)
    w1, w2 = _maps(seed)
    d = discrepancy(text @ w1 @ proj, image @ w2 @ proj, kind)
    d_flipped = discrepancy(text @ w1 @ flipped, image @ w2 @ flipped, kind)
    torch.testing.assert_close(d, d_flipped)


@FAST
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["distance", "squares"]))
def test_common_rotation_of_both_modalities_rotates_p_and_leaves_d_unchanged(seed, kind):
    """Rotate both modalities by one orthogonal R (the concatenation by Q = diag(R, R)) and carry the learned maps
    with them (W -> R^T W Q): P follows the data (P' = Q^T P up to column signs) and D is unchanged."""
    text, image = _data(seed)
    assume(_gap_ok(text, image))
    r = torch.from_numpy(ortho_group.rvs(D, random_state=seed + 1))
    q = torch.block_diag(r, r)
    proj, proj_rot = fit_projection(text, image, P), fit_projection(text @ r, image @ r, P)
    alignment = (q.T @ proj).T @ proj_rot  # a diagonal of +-1 when P' = Q^T P S
    torch.testing.assert_close(alignment.abs(), torch.eye(P, dtype=alignment.dtype), atol=1e-6, rtol=0)
    w1, w2 = _maps(seed)
    d = discrepancy(text @ w1 @ proj, image @ w2 @ proj, kind)
    d_rot = discrepancy(text @ r @ (r.T @ w1 @ q) @ proj_rot, image @ r @ (r.T @ w2 @ q) @ proj_rot, kind)
    torch.testing.assert_close(d, d_rot)


@FAST
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 10.0), kind=st.sampled_from(["distance", "squares"]))
def test_repeated_eigenvalues_give_finite_gradients(seed, scale, kind):
    """Isotropic data (every eigenvalue equal): eigh's own backward would divide by zero gaps. The policy (P fitted
    once, a constant buffer) means no gradient goes through eigh: the loss's gradients are finite."""
    eye = torch.eye(2 * D, dtype=torch.float32) * scale
    x = torch.cat([eye, -eye])  # mean 0, covariance proportional to I
    module = SharedProjection(D, D, P, kind)
    module.fit(x[:, :D], x[:, D:])
    assert not module.projection.requires_grad
    torch.manual_seed(seed)
    text = torch.randn(8, D, requires_grad=True)
    image = torch.randn(8, D, requires_grad=True)
    torch.log1p(module(text, image)).sum().backward()
    grads = [text.grad, image.grad, module.w1.weight.grad, module.w2.weight.grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_projection_is_orthonormal_and_capped_at_the_concatenated_width():
    text, image = _data(0)
    proj = fit_projection(text, image, 300)
    assert proj.shape == (2 * D, 2 * D)
    torch.testing.assert_close(proj.T @ proj, torch.eye(2 * D, dtype=proj.dtype))
