"""The metric adapters (issue 20): the registry's class-level retrieval metrics and the bootstrap's vectorised forms.

Since they are plain functions bound with functools.partial (commit 2915022), mutation testing reaches them; these
tests pin what they compute. The vectorised forms are checked directly, not through ``metric_replicates``: that
falls back to one metric call per resample whenever a form is off by more than 1e-9, which hides a wrong form
behind the right numbers (only 100x slower).
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics.bootstrap import VECTORISED, exact_binomial, resample_counts, vectorised_value
from harness.metrics.registry import get_metric
from harness.metrics.retrieval import retrieval_ranks

# 12 pairs of 2 classes (6 each), both halves of a pair pointing at its class: every same-class item has cosine 1,
# every other 0. So each query's top 10 holds its 6 relevant items: P@10 = 6/10, R@10 = 6/6, mAP = 1.
CLASSES = np.repeat([0, 1], 6)
PAIRED = np.hstack([np.eye(2)[CLASSES], np.eye(2)[CLASSES]])


@pytest.mark.parametrize("way", ["q2g", "g2q"])
def test_class_level_precision_recall_and_map_at_10(way: str) -> None:
    values = {m: get_metric(f"class_{m}_{way}").fn(CLASSES, PAIRED) for m in ("P@10", "R@10", "mAP")}
    assert values == {"P@10": pytest.approx(0.6), "R@10": pytest.approx(1.0), "mAP": pytest.approx(1.0)}


def test_class_retrieval_refuses_labels_that_are_not_class_ids_or_one_per_pair() -> None:
    fn = get_metric("class_P@10_q2g").fn
    with pytest.raises(ValueError, match=r"^y_true must hold integer class labels, got dtype <U1$"):
        fn(np.array(list("abcdefghijkl")), PAIRED)
    with pytest.raises(ValueError, match=r"^y_true must have shape \(n,\) = \(12,\), got \(11,\)$"):
        fn(CLASSES[:11], PAIRED)


def _case(name: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and raw outputs of a model that is right more often than chance, in float64."""
    if name in ("MAE", "mse"):
        y = rng.normal(size=n)
        return y, y + rng.normal(size=n)
    if name.startswith("R@"):
        y = rng.permutation(n)
        out = np.stack([rng.permutation(n) / n for _ in range(n)])  # distinct values in each row
        for i, rank in enumerate(rng.permutation(n) % 15 + 1):  # ground-truth ranks 1 to 15
            j = np.flatnonzero(out[i] == np.sort(out[i])[::-1][rank - 1])[0]
            out[i, [y[i], j]] = out[i, [j, y[i]]]
        return y, out
    c = 2 if name.endswith("_pos") else 4
    y = rng.integers(0, c, n)
    out = rng.normal(size=(n, c))
    out[np.arange(n), y] += 0.8
    return y, out


@pytest.mark.parametrize("name", sorted(VECTORISED))
def test_each_vectorised_form_equals_its_metric_on_the_full_set_and_on_every_resample(name: str) -> None:
    rng = np.random.default_rng(7)
    n = 40
    y, out = _case(name, rng, n)
    if name.startswith("R@"):  # the case holds matches at rank exactly 1, 5 and 10 (each form's boundary)
        assert {1, 5, 10} <= set(retrieval_ranks(out, y).tolist())
    metric = get_metric(name).fn
    assert vectorised_value(name, y, out) == pytest.approx(metric(y, out), rel=1e-12, abs=1e-12)
    counts = resample_counts(n, 60, seed=3)
    items = np.arange(n)
    expected = [metric(y[np.repeat(items, row)], out[np.repeat(items, row)]) for row in counts]
    np.testing.assert_allclose(VECTORISED[name](counts, y, out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["precision_pos", "recall_pos", "f1_pos", "macro_f1", "weighted_f1"])
def test_resamples_without_a_predicted_or_true_positive_score_zero_as_scikit_learn_does(name: str) -> None:
    # One positive item, the only one predicted positive: a resample that misses it has no predicted and no true
    # positive (precision and recall 0 by zero_division=0, not nan); one that draws it once scores 1 / 1.
    y = np.array([1, 0, 0, 0, 0, 0])
    out = np.eye(2)[y]
    counts = resample_counts(6, 40, seed=0)
    assert {0, 1} <= set(counts[:, 0].tolist())  # both kinds of resample are drawn
    items = np.arange(6)
    metric = get_metric(name).fn
    expected = [metric(y[np.repeat(items, row)], out[np.repeat(items, row)]) for row in counts]
    np.testing.assert_allclose(VECTORISED[name](counts, y, out), expected, rtol=1e-12, atol=1e-12)


def test_the_exact_binomial_interval_has_the_confidence_asked_for() -> None:
    # Clopper-Pearson at k = n: the lower bound solves p**n = (1 - confidence) / 2.
    assert exact_binomial(10, 10, confidence=0.5) == (pytest.approx(0.25 ** (1 / 10)), 1.0)
    assert exact_binomial(10, 10, confidence=0.99) == (pytest.approx(0.005 ** (1 / 10)), 1.0)
