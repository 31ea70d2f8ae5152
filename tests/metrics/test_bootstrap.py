"""Item x seed bootstrap: group resampling, vectorised metrics equal to the metric functions, combined intervals."""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics.bootstrap import (
    VECTORISED,
    _by_function,
    combined_interval,
    metric_replicates,
    resample_counts,
    two_sided_p,
)
from harness.metrics.statistics import summarize


def test_group_bootstrap_draws_whole_groups() -> None:
    """Hand-built: 3 dialogues of sizes 1, 2 and 3. Every resample takes each dialogue's items together, so an
    item's count equals its dialogue's, and the total is a sum of 3 drawn dialogue sizes."""
    groups = np.array(["a", "b", "b", "c", "c", "c"])
    counts = resample_counts(6, 500, seed=3, groups=groups)
    assert counts.shape == (500, 6)
    assert (counts[:, 1] == counts[:, 2]).all() and (counts[:, 3] == counts[:, 4]).all()
    assert (counts[:, 3] == counts[:, 5]).all()
    draws = counts[:, [0, 1, 3]]  # times each dialogue was drawn
    assert (draws.sum(axis=1) == 3).all(), "3 groups are drawn per resample, not 6 items"
    assert set(counts.sum(axis=1)) <= set(range(3, 10)) and len(set(counts.sum(axis=1))) > 3


def test_item_bootstrap_draws_n_items_and_is_seeded() -> None:
    counts = resample_counts(50, 200, seed=1)
    assert (counts.sum(axis=1) == 50).all()
    assert np.array_equal(counts, resample_counts(50, 200, seed=1))
    assert not np.array_equal(counts, resample_counts(50, 200, seed=2))


@pytest.mark.parametrize("name", sorted(VECTORISED))
def test_vectorised_metrics_equal_the_metric_functions_on_every_resample(name: str) -> None:
    rng = np.random.default_rng(0)
    n = 80
    if name in ("MAE", "mse"):
        y, out = rng.normal(size=n).astype(np.float32), rng.normal(size=n).astype(np.float32)
    elif name.startswith("R@"):
        y, out = rng.permutation(n), np.round(rng.normal(size=(n, n)), 1)
    else:
        c = 2 if name.endswith("_pos") else 5
        y, out = rng.integers(0, c, n), rng.normal(size=(n, c))
        out[np.arange(n), y] += 0.7
    counts = resample_counts(n, 100, seed=0, groups=rng.integers(0, 30, n))
    assert np.allclose(metric_replicates(name, y, out, counts), _by_function(name, counts, y, out), atol=1e-12)


def test_a_deterministic_model_gets_a_non_zero_interval_and_seed_spread_widens_it() -> None:
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, 2, n)
    out = np.eye(2)[np.where(rng.random(n) < 0.8, y, 1 - y)]
    counts = resample_counts(n, 1000)
    reps = metric_replicates("accuracy", y, out, counts)
    value = float(np.mean(out.argmax(1) == y))
    same = combined_interval(np.stack([reps] * 3), np.array([value] * 3))
    assert same.high - same.low > 0.05, "3 identical seeds: the item term alone, never zero-width"
    assert same.low < value < same.high
    spread = combined_interval(np.stack([reps] * 3), np.array([value - 0.05, value, value + 0.05]))
    assert spread.high - spread.low > same.high - same.low
    one_run = combined_interval(np.stack([reps] * 3), np.array([value - 0.05, value, value + 0.05]), one_run=True)
    assert one_run.high - one_run.low > spread.high - spread.low


def test_without_item_variation_the_interval_approaches_the_seed_t_interval() -> None:
    values = np.array([0.70, 0.74, 0.71, 0.76, 0.72])
    flat = np.tile(values[:, None], (1, 20000))  # replicates equal to the full-set value: no item variation
    combined = combined_interval(flat, values)
    t = summarize(values)
    assert combined.low == pytest.approx(t.ci_low, abs=0.003) and combined.high == pytest.approx(t.ci_high, abs=0.003)


def test_p_value_is_never_zero_and_is_one_for_identical_models() -> None:
    assert two_sided_p(np.full(1000, 0.2)) == pytest.approx(2 / 1001)
    assert two_sided_p(np.zeros(1000)) == 1.0


def test_exact_binomial_interval_for_a_perfect_score() -> None:
    from harness.metrics.bootstrap import exact_binomial

    low, high = exact_binomial(500, 500)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 500), abs=1e-9)  # Clopper-Pearson at k = n
    assert exact_binomial(0, 100)[0] == 0.0 < exact_binomial(0, 100)[1]
