"""Seed and item statistics where the older tests were silent (issue 20, mutation testing).

Each test kills mutmut survivors of harness.metrics.statistics / bootstrap: refusals name the argument at fault,
a p-value never exceeds 1 through rounding, and the zero-variance paired t still reports how many seeds it saw.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics import statistics as st


def test_mid_p_of_balanced_discordant_pairs_is_exactly_one_not_one_plus_rounding() -> None:
    # b = c = 3: 2 * P(X <= 3) - P(X = 3) is 1.0000000000000002 in floating point for Binomial(6, 1/2)
    a = np.array([1, 1, 1, 0, 0, 0, 1])
    b = np.array([0, 0, 0, 1, 1, 1, 1])
    result = st.mcnemar(a, b, method="mid-p")
    assert (result.only_a_correct, result.only_b_correct) == (3, 3)
    assert result.p_value == 1.0


@pytest.mark.parametrize("bad", ["correct_a", "correct_b"])
def test_mcnemar_refusals_name_the_argument(bad: str) -> None:
    good = np.array([1, 0, 1])
    for value, message in [(np.ones((3, 1)), rf"^{bad} must be a non-empty 1-D array"),
                           (np.array([1, 2, 0]), rf"^{bad} must be boolean \(or 0/1\) per-item correctness$")]:
        args = {"correct_a": good, "correct_b": good} | {bad: value}
        with pytest.raises(ValueError, match=message):
            st.mcnemar(args["correct_a"], args["correct_b"])


@pytest.mark.parametrize("bad", ["values_a", "values_b"])
def test_paired_t_refusals_name_the_argument(bad: str) -> None:
    good = np.array([0.5, 0.6, 0.7])
    for value, message in [(np.ones((3, 1)), rf"^{bad} must be 1-D with shape \(n,\)"),
                           (np.array([]), rf"^{bad} is empty$"),
                           (np.array([0.5, np.nan, 0.7]), rf"^{bad} contains nan or inf$")]:
        args = {"values_a": good, "values_b": good} | {bad: value}
        with pytest.raises(ValueError, match=message):
            st.paired_t_test(args["values_a"], args["values_b"])


def test_zero_variance_paired_t_still_counts_its_seeds() -> None:
    result = st.paired_t_test(np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.5]))
    assert result.n == 3 and np.isnan(result.p_value) and result.diff == 0.5


def test_bootstrap_defaults_are_the_documented_1000_resamples_of_seed_0() -> None:
    # Reported intervals depend on them: a default that drifts changes every published interval.
    from harness.metrics.msa import mae

    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    a, b = y + rng.normal(scale=0.5, size=40), y + rng.normal(scale=0.6, size=40)
    explicit = st.paired_bootstrap(mae, y, a, b, n_resamples=1000, seed=0)
    assert st.paired_bootstrap(mae, y, a, b) == explicit
    assert st.paired_bootstrap(mae, y, a, b, n_resamples=1001, seed=0) != explicit
    assert st.paired_bootstrap(mae, y, a, b, n_resamples=1000, seed=1) != explicit
    single = st.bootstrap_ci(mae, y, a)
    assert (single.n_resamples, single.seed) == (1000, 0)


def test_summarize_uses_the_confidence_it_is_given() -> None:
    v = np.array([0.61, 0.64, 0.70, 0.66])
    summary = st.summarize(v, confidence=0.8)
    assert (summary.ci_low, summary.ci_high) == st.t_interval(v, 0.8)
    assert summary.ci_high - summary.ci_low < np.subtract(*st.t_interval(v, 0.95)[::-1])


# ---- combined_interval: the items x seeds interval of every v3 verdict ------------------------------------------

def _reps(k: int, b: int = 400) -> np.ndarray:
    return np.random.default_rng(5).normal(0.7, 0.02, size=(k, b))


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("one_run", [False, True])
def test_combined_interval_is_the_documented_construction(k: int, one_run: bool) -> None:
    from harness.metrics.bootstrap import combined_interval

    reps, values = _reps(k), np.array([0.0, 1.0, 0.4][:k])  # seed spread: ptp exactly 1 for k = 2
    scale = np.std(values, ddof=1) * (np.sqrt(1 + 1 / k) if one_run else 1 / np.sqrt(k))
    draws = reps.mean(axis=0) + scale * np.random.default_rng([3, 1]).standard_t(k - 1, size=reps.shape[1])
    got = combined_interval(reps, values, 0.9, seed=3, one_run=one_run)
    np.testing.assert_allclose(got.draws, draws, rtol=1e-12)
    assert (got.low, got.high) == pytest.approx(tuple(np.percentile(draws, [5, 95])), rel=1e-12)
    assert got.seeds == k


def test_identical_seeds_add_no_seed_term_even_with_rounding_in_the_std() -> None:
    from harness.metrics.bootstrap import combined_interval

    reps = _reps(3)
    values = np.full(3, 0.7)  # np.std(ddof=1) of these is 1.4e-16, not 0
    got = combined_interval(reps, values)
    np.testing.assert_array_equal(got.draws, reps.mean(axis=0))


def test_an_undefined_resample_or_missing_seed_value_gives_nan_bounds_not_an_error() -> None:
    from harness.metrics.bootstrap import combined_interval

    reps = _reps(2)
    reps[1, 7] = np.nan
    got = combined_interval(reps, np.array([0.6, 0.7]))
    assert np.isnan(got.low) and np.isnan(got.high) and got.seeds == 2 and got.draws.shape == (400,)
    missing = combined_interval(_reps(2).tolist(), [0.6, None])
    assert np.isnan(missing.low) and np.isnan(missing.high)
    assert np.isnan(combined_interval([[0.5, None, 0.6]], [0.55]).high)


def test_combined_interval_refuses_values_that_do_not_match_the_seeds() -> None:
    from harness.metrics.bootstrap import combined_interval

    with pytest.raises(ValueError, match=r"^values must give one value per seed \(2\), got shape \(3,\)$"):
        combined_interval(_reps(2), np.array([0.1, 0.2, 0.3]))


def test_resampled_confusion_counts_weight_each_item_by_its_draws() -> None:
    from harness.metrics.bootstrap import _confusion

    counts = np.array([[1, 2, 0, 1], [0, 0, 3, 1]])
    y, pred = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 1])
    conf = _confusion(counts, y, pred, 2)  # [resample, true, predicted]
    assert conf.tolist() == [[[1, 1], [0, 2]], [[0, 1], [3, 0]]]


@pytest.mark.parametrize("name", ["accuracy", "macro_f1", "weighted_f1", "f1_pos", "precision_pos", "recall_pos"])
def test_the_vectorised_replicates_are_used_when_they_are_exact(monkeypatch, name: str) -> None:
    # The fallback (one metric call per resample) gives the same numbers 100x slower: a vectorised form that
    # silently disagrees with the metric would only show as time. It must be exact, hence used, here.
    from harness.metrics import bootstrap

    def no_fallback(*args):
        raise AssertionError(f"{name}: the vectorised form disagreed with the metric and was not used")

    monkeypatch.setattr(bootstrap, "_by_function", no_fallback)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 30)
    scores = rng.normal(size=(30, 2)) + np.eye(2)[y]
    counts = bootstrap.resample_counts(30, 20, seed=2)
    reps = bootstrap.metric_replicates(name, y, scores, counts)
    assert reps.shape == (20,) and np.isfinite(reps).all()


def _exact_replicates(name: str, y: np.ndarray, out: np.ndarray, counts: np.ndarray) -> np.ndarray:
    from harness.metrics.registry import get_metric

    items = np.arange(len(y))
    return np.array([get_metric(name).fn(y[np.repeat(items, row)], out[np.repeat(items, row)]) for row in counts])


@pytest.mark.parametrize("name", ["macro_f1", "weighted_f1", "accuracy"])
def test_vectorised_f1_is_exact_on_resamples_that_miss_a_class(monkeypatch, name: str) -> None:
    from harness.metrics import bootstrap

    monkeypatch.setattr(bootstrap, "_by_function", lambda *a: pytest.fail("fell back to the metric function"))
    y = np.array([0, 0, 0, 1, 1, 1, 2, 0, 1, 0])  # class 2 has one item: many resamples miss it
    scores = np.eye(3)[np.array([0, 1, 0, 1, 1, 0, 2, 0, 2, 0])]
    counts = bootstrap.resample_counts(10, 50, seed=4)
    assert (counts[:, 6] == 0).any() and (counts[:, 6] > 0).any()
    np.testing.assert_allclose(bootstrap.metric_replicates(name, y, scores, counts),
                               _exact_replicates(name, y, scores, counts), rtol=1e-12)


def test_a_metric_without_a_vectorised_form_is_recomputed_on_every_resample() -> None:
    from harness.metrics import bootstrap

    rng = np.random.default_rng(2)
    y = rng.normal(size=12)
    out = y + rng.normal(scale=0.5, size=12)
    counts = bootstrap.resample_counts(12, 15, seed=1)
    np.testing.assert_allclose(bootstrap.metric_replicates("Corr", y, out, counts),
                               _exact_replicates("Corr", y, out, counts), rtol=1e-12)


def test_a_vectorised_form_that_disagrees_with_the_metric_is_not_used(monkeypatch) -> None:
    from harness.metrics import bootstrap

    monkeypatch.setitem(bootstrap.VECTORISED, "MAE", lambda c, y, o: bootstrap._ratio(c, np.abs(o - y)) + 0.5)
    y, out = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.5, 2.0])
    counts = bootstrap.resample_counts(4, 10, seed=0)
    np.testing.assert_allclose(bootstrap.metric_replicates("MAE", y, out, counts),
                               _exact_replicates("MAE", y, out, counts), rtol=1e-12)


def test_resample_counts_bounds_and_refusals() -> None:
    from harness.metrics.bootstrap import resample_counts

    assert resample_counts(1, 1).tolist() == [[1]]  # one item, one resample: the smallest valid case
    counts = resample_counts(3, 300, seed=0)
    assert (counts.sum(axis=1) == 3).all() and (counts.sum(axis=0) > 0).all()  # every item can be drawn
    for n, b in ((0, 5), (5, 0)):
        with pytest.raises(ValueError, match=rf"^need at least one item and one resample, got {n} and {b}$"):
            resample_counts(n, b)
    with pytest.raises(ValueError, match=r"^groups must give one id per item \(3\), got shape \(2,\)$"):
        resample_counts(3, 5, groups=np.array([0, 1]))


def test_seed_statistics_refuse_a_missing_value_naming_values() -> None:
    for fn in (st.sample_std, st.t_interval, st.summarize):
        with pytest.raises(ValueError, match=r"^values contains nan or inf$"):
            fn([0.5, None, 0.7])


def test_bootstrap_refuses_a_metric_undefined_on_resamples_and_counts_them() -> None:
    with pytest.raises(ValueError, match=r"^the metric was nan or inf on 5 of 5 bootstrap resamples; the test set is "
                                         r"too small or too degenerate for this metric to be bootstrapped$"):
        st.bootstrap_ci(lambda t, o: float("nan"), np.arange(4), np.arange(4), n_resamples=5)


@pytest.mark.parametrize("n_resamples", [1, 7])
def test_replicates_come_one_per_resample(n_resamples: int) -> None:
    reps = st._replicates(lambda t, o: float(np.mean(o)), np.arange(5), (np.arange(5.0),), n_resamples, 0)
    assert reps.shape == (n_resamples, 1)


def test_resample_blocks_add_up_to_the_number_of_resamples_for_large_test_sets() -> None:
    n = st._INDEX_BLOCK_ENTRIES // 2  # two resamples per block of indices
    assert sum(1 for _ in st._resample_indices(n, 3, 0)) == 3
