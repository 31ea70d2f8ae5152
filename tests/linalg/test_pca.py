"""PCA helpers as KnowleNet's reproduction uses them: centre, covariance, project onto top-p eigenvectors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.linalg import center, covariance, fit_pca
from tests.linalg.strategies import seeds


def features(seed: int, n: int = 40, d: int = 6) -> torch.Tensor:
    """Correlated features with distinct variances, like concatenated text and image embeddings."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + rng.normal(size=d))


@settings(max_examples=25, deadline=None)
@given(seed=seeds)
def test_center_and_covariance_match_numpy(seed: int) -> None:
    x = features(seed)
    centred, mean = center(x)
    torch.testing.assert_close(centred.mean(dim=0), torch.zeros(6, dtype=x.dtype), atol=1e-12, rtol=0)
    torch.testing.assert_close(mean + centred, x)
    np.testing.assert_allclose(covariance(x).numpy(), np.cov(x.numpy(), rowvar=False), atol=1e-12)
    np.testing.assert_allclose(
        covariance(x, correction=0).numpy(), np.cov(x.numpy(), rowvar=False, bias=True)
    )


@settings(max_examples=25, deadline=None)
@given(seed=seeds, p=st.integers(1, 6))
def test_pca_keeps_the_top_p_eigenvectors_of_the_covariance(seed: int, p: int) -> None:
    x = features(seed)
    pca = fit_pca(x, p)
    top = np.sort(np.linalg.eigvalsh(np.cov(x.numpy(), rowvar=False)))[::-1][:p]
    np.testing.assert_allclose(pca.explained_variance.numpy(), top, rtol=1e-10)
    torch.testing.assert_close(pca.components.mT @ pca.components, torch.eye(p, dtype=x.dtype))
    y = pca.project(x)
    torch.testing.assert_close(y.var(dim=0), pca.explained_variance)  # the variance each axis explains
    torch.testing.assert_close(covariance(y), torch.diag(pca.explained_variance), atol=1e-10, rtol=0)


def test_full_rank_pca_reconstructs_exactly() -> None:
    x = features(0)
    pca = fit_pca(x, 6)
    torch.testing.assert_close(pca.reconstruct(pca.project(x)), x)


def test_component_signs_are_deterministic() -> None:
    """Eigenvectors are defined up to sign; the largest-magnitude entry of each component is positive."""
    x = features(1)
    pca = fit_pca(x, 3)
    pivots = pca.components.abs().argmax(dim=0)
    assert torch.all(pca.components[pivots, torch.arange(3)] > 0)
    shuffled = fit_pca(x[torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0))], 3)
    torch.testing.assert_close(shuffled.components, pca.components)


@pytest.mark.parametrize("p", [0, 7])
def test_pca_refuses_impossible_p(p: int) -> None:
    with pytest.raises(ValueError, match="p must be"):
        fit_pca(features(0), p)


def test_covariance_of_one_sample_is_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        covariance(torch.ones(1, 3))
