"""Retrieval metrics: hand-computed ranks (with ties), an argsort oracle, properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.metrics.retrieval import median_rank, recall_at_k, retrieval_ranks

SIM = np.array(
    [
        [0.9, 0.1, 0.2, 0.3],  # target 0.9 is the maximum -> rank 1
        [0.5, 0.4, 0.6, 0.1],  # target 0.4; items >= 0.4: 0.5, 0.4, 0.6 -> rank 3
        [0.2, 0.2, 0.2, 0.7],  # target 0.2 tied with two others, 0.7 higher -> pessimistic rank 4 (strict: 2)
    ]
)


def test_hand_computed_ranks_with_pessimistic_ties():
    assert retrieval_ranks(SIM).tolist() == [1, 3, 4]
    assert recall_at_k(SIM, 1) == pytest.approx(1 / 3)
    assert recall_at_k(SIM, 3) == pytest.approx(2 / 3)
    assert recall_at_k(SIM, 5) == 1.0  # K beyond the gallery size: every query counts
    assert median_rank(SIM) == 3.0


def test_explicit_targets_and_rectangular_gallery():
    # targets [3, 0, 3]: row 0 -> 0.3, beaten by 0.9 -> rank 2; row 1 -> 0.5, beaten by 0.6 -> rank 2;
    # row 2 -> 0.7 is the maximum -> rank 1.
    targets = np.array([3, 0, 3])
    assert retrieval_ranks(SIM, targets).tolist() == [2, 2, 1]
    assert recall_at_k(SIM, 1, targets) == pytest.approx(1 / 3)
    assert median_rank(SIM, targets) == 2.0


def test_median_rank_is_not_floored_for_even_query_counts():
    sim = np.array([[1.0, 0.0], [1.0, 0.0]])  # ranks [1, 2]
    assert median_rank(sim) == 1.5


def test_constant_similarity_gets_the_worst_rank_not_the_best():
    sim = np.zeros((5, 5))
    assert retrieval_ranks(sim).tolist() == [5] * 5
    assert recall_at_k(sim, 1) == 0.0
    assert median_rank(sim) == 5.0


def test_random_matches_argsort_oracle_without_ties():
    rng = np.random.default_rng(5)
    for _ in range(10):
        sim = rng.normal(size=(30, 40))
        targets = rng.integers(0, 40, 30)
        order = np.argsort(-sim, axis=1)  # descending; continuous scores have no ties
        expected = np.array([np.flatnonzero(order[i] == targets[i])[0] + 1 for i in range(30)])
        assert retrieval_ranks(sim, targets).tolist() == expected.tolist()
        for k in (1, 5, 10):
            assert recall_at_k(sim, k, targets) == pytest.approx(np.mean(expected <= k))
        assert median_rank(sim, targets) == pytest.approx(np.median(expected))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: retrieval_ranks(np.zeros(3)), r"shape \(n_query, n_gallery\)"),
        (lambda: retrieval_ranks(np.zeros((0, 3))), r"shape \(n_query, n_gallery\)"),
        (lambda: retrieval_ranks(np.array([[np.nan, 1.0]])), "nan"),
        (lambda: retrieval_ranks(np.zeros((3, 2))), "n_gallery >= n_query"),
        (lambda: retrieval_ranks(np.zeros((2, 3)), np.array([0, 3])), r"\[0, 3\)"),
        (lambda: retrieval_ranks(np.zeros((2, 3)), np.array([0, -1])), r"\[0, 3\)"),
        (lambda: retrieval_ranks(np.zeros((2, 3)), np.array([0])), r"shape \(n_query,\)"),
        (lambda: retrieval_ranks(np.zeros((2, 3)), np.array([0.5, 1.0])), "integer"),
        (lambda: recall_at_k(np.zeros((2, 2)), 0), "positive integer"),
        (lambda: recall_at_k(np.zeros((2, 2)), True), "positive integer"),
    ],
)
def test_invalid_inputs_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- properties ---------------------------------------------------------------------------------------

# Scores from a small grid so that hypothesis produces ties.
matrices = st.tuples(st.integers(1, 8), st.integers(0, 4), st.integers(0, 2**32 - 1)).map(
    lambda t: np.random.default_rng(t[2]).integers(0, 4, size=(t[0], t[0] + t[1])).astype(float)
)


@settings(max_examples=50, deadline=None)
@given(matrices, st.integers(0, 2**32 - 1))
def test_properties(sim, seed):
    rng = np.random.default_rng(seed)
    n_query, n_gallery = sim.shape
    targets = rng.integers(0, n_gallery, n_query)
    ranks = retrieval_ranks(sim, targets)
    assert ((1 <= ranks) & (ranks <= n_gallery)).all()
    recalls = [recall_at_k(sim, k, targets) for k in range(1, n_gallery + 1)]
    assert all(0.0 <= r <= 1.0 for r in recalls)
    assert recalls == sorted(recalls) and recalls[-1] == 1.0  # non-decreasing in K, 1 at K = n_gallery
    # Pessimistic ties: never better than the strict (optimistic) count.
    strict = 1 + np.sum(sim > sim[np.arange(n_query), targets][:, None], axis=1)
    assert (ranks >= strict).all()
    # Reordering queries (with their targets) or gallery columns (remapping targets) changes nothing.
    q = rng.permutation(n_query)
    assert retrieval_ranks(sim[q], targets[q]).tolist() == ranks[q].tolist()
    g = rng.permutation(n_gallery)  # new column j holds old column g[j]
    assert retrieval_ranks(sim[:, g], np.argsort(g)[targets]).tolist() == ranks.tolist()
    # Making each target the strict maximum of its row is perfect.
    perfect = sim.copy()
    perfect[np.arange(n_query), targets] = sim.max() + 1
    assert recall_at_k(perfect, 1, targets) == 1.0 and median_rank(perfect, targets) == 1.0
