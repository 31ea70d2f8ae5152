"""Classification metrics: hand-computed cases, an independent per-class oracle, scikit-learn, properties."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

from harness.metrics import classification as clf


def test_hand_computed_single_label():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    # agree on items 0, 1, 3, 5 -> 4/6
    assert clf.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # class 0 (support 3): TP 2, FP 0, FN 1 -> P 1, R 2/3, F1 0.8
    # class 1 (support 2): TP 1, FP 1, FN 1 -> F1 0.5
    # class 2 (support 1): TP 1, FP 1, FN 0 -> P 1/2, R 1, F1 2/3
    assert clf.macro_f1(y_true, y_pred) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert clf.weighted_f1(y_true, y_pred) == pytest.approx((3 * 0.8 + 2 * 0.5 + 1 * 2 / 3) / 6)


def test_hand_computed_binary():
    y_true = np.array([1, 1, 1, 0, 0])
    y_pred = np.array([1, 0, 1, 1, 0])
    # TP 2 (items 0, 2), FP 1 (item 3), FN 1 (item 1): P = R = F1 = 2/3
    assert clf.precision_pos(y_true, y_pred) == pytest.approx(2 / 3)
    assert clf.recall_pos(y_true, y_pred) == pytest.approx(2 / 3)
    assert clf.f1_pos(y_true, y_pred) == pytest.approx(2 / 3)
    # pos_label selects the class: for class 0, TP 1, FP 1, FN 1 -> 1/2
    assert clf.f1_pos(y_true, y_pred, pos_label=0) == pytest.approx(0.5)


def test_binary_ill_defined_cases_are_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # nothing predicted positive -> precision 0/0 := 0
        assert clf.precision_pos(np.array([1, 0]), np.array([0, 0])) == 0.0
        # nothing truly positive -> recall 0/0 := 0
        assert clf.recall_pos(np.array([0, 0]), np.array([1, 0])) == 0.0
        assert clf.f1_pos(np.array([0, 0]), np.array([0, 0])) == 0.0


def test_macro_f1_averages_over_classes_present_in_truth_or_prediction():
    # Class 2 appears nowhere, so it is not averaged (scikit-learn's default): macro-F1 over {0, 1} = 1.
    assert clf.macro_f1(np.array([0, 1, 1]), np.array([0, 1, 1])) == 1.0


def test_labels_from_scores_is_argmax_with_lowest_index_on_ties():
    scores = np.array([[0.1, 0.7, 0.2], [2.0, -1.0, 2.0]])
    assert clf.labels_from_scores(scores).tolist() == [1, 0]


def test_map_hand_computed_and_label_without_positives_is_excluded():
    y = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]])
    s = np.array([[0.9, 0.5, 0.1], [0.8, 0.4, 0.9], [0.7, 0.3, 0.2], [0.1, 0.2, 0.3]])
    # label 0: ranking by score = items 0 (+), 1 (-), 2 (+), 3 (-): AP = (1/1 + 2/3) / 2 = 5/6
    # label 1: no positives -> excluded (scikit-learn alone would score it 0 and give (5/6 + 0 + 1) / 3)
    # label 2: the only positive (item 1) scores highest: AP = 1
    assert clf.mean_average_precision(y, s) == pytest.approx((5 / 6 + 1.0) / 2)


def test_map_is_nan_when_no_label_has_a_positive():
    assert np.isnan(clf.mean_average_precision(np.zeros((3, 2)), np.ones((3, 2))))


def test_map_matches_scikit_learn_when_every_label_has_positives():
    rng = np.random.default_rng(3)
    for _ in range(10):
        y = rng.integers(0, 2, size=(40, 5))
        y[0] = 1  # every label has a positive
        s = rng.normal(size=(40, 5))
        assert clf.mean_average_precision(y, s) == pytest.approx(average_precision_score(y, s, average="macro"))


def _per_class_f1(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Per-class F1 from counts, as an oracle independent of scikit-learn."""
    out = {}
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        out[c] = 2 * tp / (2 * tp + fp + fn)  # never 0/0: c occurs in truth or prediction
    return out


def test_random_cross_check_against_oracle_and_scikit_learn():
    rng = np.random.default_rng(11)
    for _ in range(20):
        y_true, y_pred = rng.integers(0, 4, 30), rng.integers(0, 4, 30)
        f1 = _per_class_f1(y_true, y_pred)
        support = {c: np.sum(y_true == c) for c in f1}
        assert clf.accuracy(y_true, y_pred) == pytest.approx(np.mean(y_true == y_pred))
        assert clf.macro_f1(y_true, y_pred) == pytest.approx(np.mean(list(f1.values())))
        assert clf.weighted_f1(y_true, y_pred) == pytest.approx(
            sum(f1[c] * support[c] for c in f1) / y_true.size
        )
        assert clf.macro_f1(y_true, y_pred) == pytest.approx(f1_score(y_true, y_pred, average="macro"))
        b_true, b_pred = y_true % 2, y_pred % 2
        assert clf.precision_pos(b_true, b_pred) == pytest.approx(precision_score(b_true, b_pred))
        assert clf.recall_pos(b_true, b_pred) == pytest.approx(recall_score(b_true, b_pred))
        assert clf.f1_pos(b_true, b_pred) == pytest.approx(f1_score(b_true, b_pred))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clf.accuracy(np.array([0, 1]), np.array([0, 1, 1])), "same length"),
        (lambda: clf.accuracy(np.array([]), np.array([])), "empty"),
        (lambda: clf.macro_f1(np.zeros((2, 2)), np.zeros((2, 2))), r"1-D array of labels with shape \(n,\)"),
        (lambda: clf.labels_from_scores(np.zeros(3)), r"shape \(n, C\)"),
        (lambda: clf.labels_from_scores(np.array([[np.nan, 1.0]])), "nan"),
        (lambda: clf.mean_average_precision(np.zeros(3), np.zeros(3)), r"shape \(n, L\)"),
        (lambda: clf.mean_average_precision(np.zeros((2, 2)), np.zeros((2, 3))), "same shape"),
        (lambda: clf.mean_average_precision(np.full((2, 2), 2), np.zeros((2, 2))), "only 0 and 1"),
    ],
)
def test_invalid_inputs_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- properties ---------------------------------------------------------------------------------------

label_pairs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 3), min_size=n, max_size=n),
                        st.lists(st.integers(0, 3), min_size=n, max_size=n))
)
FNS = (clf.accuracy, clf.macro_f1, clf.weighted_f1)
BINARY_FNS = (clf.precision_pos, clf.recall_pos, clf.f1_pos)


@settings(max_examples=40, deadline=None)
@given(label_pairs, st.randoms(use_true_random=False))
def test_bounds_and_permutation_invariance(pair, rnd):
    y_true, y_pred = np.array(pair[0]), np.array(pair[1])
    order = list(range(y_true.size))
    rnd.shuffle(order)
    for fn in FNS:
        value = fn(y_true, y_pred)
        assert 0.0 <= value <= 1.0
        assert fn(y_true[order], y_pred[order]) == pytest.approx(value)
    for fn in BINARY_FNS:
        value = fn(y_true % 2, y_pred % 2)
        assert 0.0 <= value <= 1.0
        assert fn(y_true[order] % 2, y_pred[order] % 2) == pytest.approx(value)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=30))
def test_perfect_predictions_give_the_optimum(labels):
    y = np.array(labels)
    for fn in FNS:
        assert fn(y, y) == 1.0
    if (y % 2).any():  # positive-class metrics need a positive to be 1
        for fn in BINARY_FNS:
            assert fn(y % 2, y % 2) == 1.0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 20), st.integers(1, 4), st.randoms(use_true_random=False))
def test_map_bounds_permutation_and_perfect_scores(n, n_labels, rnd):
    rng = np.random.default_rng(rnd.randint(0, 2**32 - 1))
    y = rng.integers(0, 2, size=(n, n_labels))
    s = rng.normal(size=(n, n_labels))
    value = clf.mean_average_precision(y, s)
    if not y.any():
        assert np.isnan(value)
        return
    assert 0.0 <= value <= 1.0
    order = rng.permutation(n)
    assert clf.mean_average_precision(y[order], s[order]) == pytest.approx(value)
    # Scores that put every positive above every negative are perfect.
    assert clf.mean_average_precision(y, y + 0.1 * s.clip(-1, 1) / 2) == pytest.approx(1.0)
