"""Statistics: seed summaries, bootstrap intervals, paired tests -- hand-computed and against scipy."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from harness.metrics import classification as clf
from harness.metrics import msa
from harness.metrics.statistics import (
    bootstrap_ci,
    mcnemar,
    paired_bootstrap,
    paired_t_test,
    sample_std,
    summarize,
    t_interval,
)


def _accuracy_from_scores(y_true: np.ndarray, scores: np.ndarray) -> float:
    return clf.accuracy(y_true, clf.labels_from_scores(scores))


def _mean_output(y_true: np.ndarray, y_output: np.ndarray) -> float:
    return float(np.mean(y_output))


def _fast_accuracy(y_true: np.ndarray, scores: np.ndarray) -> float:
    # numpy rather than scikit-learn: the property test calls it thousands of times.
    return float(np.mean(np.argmax(scores, axis=1) == y_true))


# --- over seeds ---------------------------------------------------------------------------------------


def test_summary_hand_computed():
    s = summarize(np.array([1.0, 2.0, 3.0]))
    # mean 2; squared deviations 1 + 0 + 1 = 2, / (n - 1) = 1 -> std 1.
    # t_{0.975, 2} = 4.302653; half-width = 4.302653 * 1 / sqrt(3) = 2.484138.
    assert (s.mean, s.std, s.n, s.confidence) == (2.0, 1.0, 3, 0.95)
    assert s.ci_low == pytest.approx(2 - 2.484138, abs=1e-6)
    assert s.ci_high == pytest.approx(2 + 2.484138, abs=1e-6)
    # [1, 2, 3, 4]: squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3 -> std sqrt(5/3)
    assert sample_std(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(np.sqrt(5 / 3))


def test_single_seed_has_nan_std_and_interval():
    s = summarize(np.array([0.8]))
    assert s.mean == 0.8 and s.n == 1
    assert np.isnan(s.std) and np.isnan(s.ci_low) and np.isnan(s.ci_high)


def test_identical_seeds_give_a_point_interval():
    assert t_interval(np.array([0.5, 0.5, 0.5])) == (0.5, 0.5)


def test_results_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        summarize(np.array([1.0, 2.0])).mean = 0.0  # type: ignore[misc]


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 12), elements=st.floats(-100, 100, allow_nan=False)),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_t_interval_matches_scipy(values, confidence):
    low, high = t_interval(values, confidence)
    if np.ptp(values) == 0:
        assert low == high == pytest.approx(values.mean())
        return
    ci = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    assert low == pytest.approx(ci.low, rel=1e-9, abs=1e-9)
    assert high == pytest.approx(ci.high, rel=1e-9, abs=1e-9)


def test_paired_t_test_hand_computed():
    # d = [0.2, 0.1, 0.3]: mean 0.2, sd 0.1; t = 0.2 / (0.1 / sqrt 3) = 3.4641 on 2 df, p = 0.07418.
    # CI = 0.2 -/+ 4.302653 * 0.1 / sqrt 3 = 0.2 -/+ 0.248414.
    r = paired_t_test(np.array([0.8, 0.7, 0.9]), np.array([0.6, 0.6, 0.6]))
    assert r.diff == pytest.approx(0.2)
    assert r.p_value == pytest.approx(0.07418, abs=1e-5)
    assert (r.ci_low, r.ci_high) == (pytest.approx(0.2 - 0.248414, abs=1e-6), pytest.approx(0.448414, abs=1e-6))
    assert (r.n, r.method) == (3, "paired-t")


def test_paired_t_test_matches_scipy():
    rng = np.random.default_rng(2)
    for _ in range(10):
        a, b = rng.normal(0.7, 0.05, 5), rng.normal(0.68, 0.05, 5)
        r = paired_t_test(a, b, confidence=0.9)
        ref = stats.ttest_rel(a, b)
        ci = ref.confidence_interval(0.9)
        assert r.p_value == pytest.approx(ref.pvalue)
        assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_paired_t_test_degenerate_differences_never_give_p_zero():
    """All-equal paired differences (two deterministic models) leave t undefined: p is nan, never 0 or 1."""
    same = paired_t_test(np.array([0.5, 0.6]), np.array([0.5, 0.6]))
    assert (same.diff, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0) and np.isnan(same.p_value)
    shifted = paired_t_test(np.array([0.5, 0.75, 0.5]), np.array([0.25, 0.5, 0.25]))  # d = 0.25 exactly
    assert (shifted.diff, shifted.ci_low, shifted.ci_high) == (0.25, 0.25, 0.25)
    assert np.isnan(shifted.p_value) and shifted.p_value != 0 and "zero variance" in shifted.method


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_t_test(np.array([0.5]), np.array([0.4])), "at least 2 seeds"),
        (lambda: paired_t_test(np.array([0.5, 0.6]), np.array([0.4])), "pair up"),
        (lambda: summarize(np.array([])), "empty"),
        (lambda: summarize(np.array([0.5, np.nan])), "nan"),
        (lambda: summarize(np.zeros((2, 2))), r"1-D"),
        (lambda: t_interval(np.array([1.0, 2.0]), confidence=1.0), "confidence"),
    ],
)
def test_seed_statistics_invalid_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- over test items ----------------------------------------------------------------------------------


def test_bootstrap_equals_explicit_resampling_with_the_same_generator():
    x = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    r = bootstrap_ci(_mean_output, np.zeros(8), x, n_resamples=500, confidence=0.9, seed=42)
    idx = np.random.default_rng(42).integers(0, 8, size=(500, 8))
    low, high = np.percentile(x[idx].mean(axis=1), [5.0, 95.0])
    assert (r.estimate, r.ci_low, r.ci_high) == (pytest.approx(5 / 8), pytest.approx(low), pytest.approx(high))
    assert (r.confidence, r.n_resamples, r.seed) == (0.9, 500, 42)


def test_bootstrap_is_seed_reproducible_and_seed_dependent():
    rng = np.random.default_rng(0)
    y = rng.normal(size=60)
    p = y + rng.normal(size=60)
    a = bootstrap_ci(msa.corr, y, p, n_resamples=200, seed=1)
    assert a == bootstrap_ci(msa.corr, y, p, n_resamples=200, seed=1)
    assert a != bootstrap_ci(msa.corr, y, p, n_resamples=200, seed=2)


def test_bootstrap_resamples_rows_of_matrix_outputs():
    # Class scores (n, C): resampling must pick whole rows together with their labels.
    y = np.array([0, 1, 1, 0])
    scores = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0], [2.0, 0.0]])  # all correct
    r = bootstrap_ci(_accuracy_from_scores, y, scores, n_resamples=50)
    assert (r.estimate, r.ci_low, r.ci_high) == (1.0, 1.0, 1.0)


def test_bootstrap_refuses_nan_replicates():
    # Non0 is nan on a resample that draws only the zero-truth items; with 3 of 4 zeros that is common.
    y, p = np.array([0.0, 0.0, 0.0, 1.0]), np.array([0.5, 0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="nan or inf on"):
        bootstrap_ci(msa.non0_acc_2, y, p, n_resamples=100)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_output": np.zeros(3)}, "same number of items"),
        ({"y_true": np.zeros(0), "y_output": np.zeros(0)}, "at least one item"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"confidence": 0.0}, "confidence"),
    ],
)
def test_bootstrap_invalid_inputs(kwargs, message):
    args = {"y_true": np.zeros(4), "y_output": np.zeros(4)} | kwargs
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(_mean_output, **args)


@settings(max_examples=25, deadline=None)
@given(st.integers(5, 40), st.integers(0, 2**32 - 1), st.integers(0, 1000))
def test_bootstrap_interval_contains_the_point_estimate(n, data_seed, seed):
    rng = np.random.default_rng(data_seed)
    y = rng.integers(0, 3, n)
    scores = rng.normal(size=(n, 3))
    r = bootstrap_ci(_fast_accuracy, y, scores, n_resamples=200, seed=seed)
    assert r.ci_low <= r.estimate <= r.ci_high
    assert 0.0 <= r.ci_low and r.ci_high <= 1.0
    assert r == bootstrap_ci(_fast_accuracy, y, scores, n_resamples=200, seed=seed)


def test_paired_bootstrap_identical_models():
    rng = np.random.default_rng(4)
    y, p = rng.normal(size=30), rng.normal(size=30)
    r = paired_bootstrap(msa.mae, y, p, p.copy(), n_resamples=200)
    assert (r.diff, r.ci_low, r.ci_high, r.p_value, r.n, r.method) == (0.0, 0.0, 0.0, 1.0, 30, "paired-bootstrap")


def test_paired_bootstrap_clear_difference_and_antisymmetry():
    rng = np.random.default_rng(6)
    y = rng.normal(size=80)
    good, bad = y + rng.normal(0, 0.1, 80), y + rng.normal(0, 1.0, 80)
    ab = paired_bootstrap(msa.mae, y, good, bad, n_resamples=300, seed=3)
    # Every resampled MAE difference is negative: p = 2 * (1 + 0) / (1 + 300).
    assert ab.diff < 0 and ab.ci_high < 0
    assert ab.p_value == pytest.approx(2 / 301)
    ba = paired_bootstrap(msa.mae, y, bad, good, n_resamples=300, seed=3)
    assert ba.diff == pytest.approx(-ab.diff)
    assert (ba.ci_low, ba.ci_high) == (pytest.approx(-ab.ci_high), pytest.approx(-ab.ci_low))
    assert ba.p_value == ab.p_value


def test_mcnemar_hand_computed():
    # 7 items only A gets right, 1 only B gets right, 12 both right/both wrong.
    a = np.array([1] * 7 + [0] + [1] * 6 + [0] * 6, dtype=bool)
    b = np.array([0] * 7 + [1] + [1] * 6 + [0] * 6, dtype=bool)
    # exact: X ~ Bin(8, 1/2); P(X <= 1) = (1 + 8) / 256; two-sided = 18/256.
    r = mcnemar(a, b)
    assert (r.only_a_correct, r.only_b_correct, r.n, r.method) == (7, 1, 20, "exact")
    assert r.diff == pytest.approx(6 / 20)
    assert r.p_value == pytest.approx(18 / 256)
    # mid-p: 2 * 9/256 - P(X = 1) = 18/256 - 8/256 = 10/256
    assert mcnemar(a, b, method="mid-p").p_value == pytest.approx(10 / 256)
    # chi2: (7 - 1)^2 / 8 = 4.5; with Edwards' correction (6 - 1)^2 / 8 = 3.125
    assert mcnemar(a, b, method="chi2").p_value == pytest.approx(stats.chi2.sf(4.5, 1))
    assert mcnemar(a, b, method="chi2-cc").p_value == pytest.approx(stats.chi2.sf(3.125, 1))


@pytest.mark.parametrize("method", ["exact", "mid-p", "chi2", "chi2-cc"])
def test_mcnemar_balanced_or_no_discordant_pairs_gives_p_one(method):
    balanced_a, balanced_b = np.array([1, 0, 1, 0]), np.array([0, 1, 0, 1])
    assert mcnemar(balanced_a, balanced_b, method=method).p_value == pytest.approx(1.0)
    same = mcnemar(np.array([1, 0, 1]), np.array([1, 0, 1]), method=method)
    assert (same.p_value, same.diff) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        (np.array([1, 0]), np.array([1]), {}, "equal length"),
        (np.array([]), np.array([]), {}, "non-empty"),
        (np.array([1, 2]), np.array([1, 0]), {}, "boolean"),
        (np.array([1, 0]), np.array([1, 0]), {"method": "fisher"}, "method"),
    ],
)
def test_mcnemar_invalid_inputs(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mcnemar(a, b, **kwargs)
