"""MSA regression suite: hand-computed cases, MMSA's conventions, scikit-learn/scipy cross-checks, properties."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import pearsonr
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from harness.metrics import msa
from harness.metrics.msa import MSA_METRIC_NAMES, msa_regression_metrics

# Truth with exact zeros, so MMSA's two zero conventions give different answers.
TRUTH = np.array([-2.0, -0.4, 0.0, 0.0, 1.2, 2.6])
PRED = np.array([-1.6, 0.3, 0.0, -0.2, 0.5, 2.4])


def test_hand_computed_case_with_zero_truth_reproduces_mmsa_conventions():
    m = msa_regression_metrics(TRUTH, PRED)
    assert list(m) == list(MSA_METRIC_NAMES)
    # Has0 (x >= 0 is positive, all 6 items): truth [F F T T T T], pred [F T T F T T] -> 4/6 agree.
    # The zero-truth item predicted exactly 0.0 counts as correct (0 >= 0 on both sides).
    assert m["Has0_acc_2"] == pytest.approx(4 / 6)
    # Has0 F1: class T (support 4): TP 3, FP 1, FN 1 -> F1 0.75; class F (support 2): TP 1, FP 1, FN 1 -> 0.5.
    # weighted = (4 * 0.75 + 2 * 0.5) / 6 = 4/6.
    assert m["Has0_F1_score"] == pytest.approx(4 / 6)
    # Non0 drops the two zero-truth items: truth [F F T T], pred(> 0) [F T T T] -> 3/4 agree.
    assert m["Non0_acc_2"] == pytest.approx(0.75)
    # Non0 F1: class T (support 2): TP 2, FP 1, FN 0 -> P 2/3, R 1, F1 0.8;
    # class F (support 2): TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3. weighted = (0.8 + 2/3) / 2 = 11/15.
    assert m["Non0_F1_score"] == pytest.approx(11 / 15)
    assert m["Has0_acc_2"] != m["Non0_acc_2"]
    # Mult_acc_7, clip [-3, 3] then round half-to-even:
    #   truth -> [-2, -0, 0, 0, 1, 3]; pred -> [-2, 0, 0, -0, 0 (0.5 -> 0), 2]; agree on 4 of 6.
    assert m["Mult_acc_7"] == pytest.approx(4 / 6)
    # Mult_acc_5, clip [-2, 2]: truth -> [-2, -0, 0, 0, 1, 2]; pred -> [-2, 0, 0, -0, 0, 2]; 5 of 6.
    assert m["Mult_acc_5"] == pytest.approx(5 / 6)
    # MAE = (0.4 + 0.7 + 0 + 0.2 + 0.7 + 0.2) / 6 = 2.2 / 6.
    assert m["MAE"] == pytest.approx(2.2 / 6)
    assert m["Corr"] == pytest.approx(pearsonr(PRED, TRUTH).statistic)


def test_values_are_not_rounded():
    # MMSA rounds to 4 decimals; we must not: 1/3 must come back with full precision.
    truth, pred = np.array([1.0, 1.0, -1.0]), np.array([1.0, -1.0, 1.0])
    assert msa.has0_acc_2(truth, pred) == 1 / 3


def test_round_half_to_even_as_in_mmsa():
    # np.round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0 == 0. All four predictions match their truth.
    # (Round-half-away-from-zero would give 1, 2, 3, -1 and match only 1.5 -> 2: accuracy 1/4.)
    truth = np.array([0.0, 2.0, 2.0, 0.0])
    pred = np.array([0.5, 1.5, 2.5, -0.5])
    assert msa.mult_acc_7(truth, pred) == 1.0


def test_clipping_before_rounding():
    # Far outside the range both sides clip to the bound: 7 -> 3 and 3.2 -> 3 agree for acc_7;
    # -9 -> -2 and -2.4 -> -2 agree for acc_5.
    assert msa.mult_acc_7(np.array([3.2]), np.array([7.0])) == 1.0
    assert msa.mult_acc_5(np.array([-2.4]), np.array([-9.0])) == 1.0


def test_prediction_of_exactly_zero_is_negative_for_non0():
    # Non0: truth 1.0 is positive; a prediction of 0.0 is not > 0, so it is wrong. Has0 calls it right.
    truth, pred = np.array([1.0]), np.array([0.0])
    assert msa.non0_acc_2(truth, pred) == 0.0
    assert msa.has0_acc_2(truth, pred) == 1.0


def test_non0_is_nan_when_all_truth_is_zero():
    truth, pred = np.zeros(4), np.array([0.1, -0.2, 0.0, 0.3])
    m = msa_regression_metrics(truth, pred)
    assert np.isnan(m["Non0_acc_2"]) and np.isnan(m["Non0_F1_score"])
    assert m["Has0_acc_2"] == 0.75  # 3 of 4 predictions are >= 0


@pytest.mark.parametrize(
    ("truth", "pred"),
    [
        ([1.0, 2.0, 3.0], [0.5, 0.5, 0.5]),  # constant prediction (a collapsed model)
        ([1.0, 1.0, 1.0], [0.1, 0.5, 0.9]),  # constant truth
        ([1.0, 1.0], [2.0, 2.0]),  # both constant
        ([0.7], [0.3]),  # a single item
    ],
)
def test_corr_is_zero_without_warning_when_a_side_is_constant(truth, pred):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert msa.corr(np.array(truth), np.array(pred)) == 0.0


def test_corr_sign_and_perfect_values():
    x = np.array([-1.0, 0.5, 2.0])
    assert msa.corr(x, 2 * x + 1) == pytest.approx(1.0)
    assert msa.corr(x, -x) == pytest.approx(-1.0)


def test_column_vector_is_accepted_like_mmsa_view():
    m_flat = msa_regression_metrics(TRUTH, PRED)
    m_col = msa_regression_metrics(TRUTH[:, None], PRED[:, None])
    assert m_flat == m_col


@pytest.mark.parametrize(
    ("truth", "pred", "message"),
    [
        (np.zeros(3), np.zeros(4), "same length"),
        (np.zeros(0), np.zeros(0), "empty"),
        (np.zeros((3, 2)), np.zeros((3, 2)), r"shape \(n,\) or \(n, 1\)"),
        (np.zeros(3), np.array([0.0, np.nan, 1.0]), "nan"),
        (np.zeros(3), np.array([0.0, np.inf, 1.0]), "inf"),
    ],
)
def test_invalid_inputs_raise_value_error(truth, pred, message):
    with pytest.raises(ValueError, match=message):
        msa_regression_metrics(truth, pred)


def test_mse_and_r2_follow_scikit_learn():
    # mse = (0.16 + 0.49 + 0 + 0.04 + 0.49 + 0.04) / 6 = 1.22 / 6
    assert msa.mse(TRUTH, PRED) == pytest.approx(1.22 / 6)
    assert msa.r2(TRUTH, PRED) == pytest.approx(r2_score(TRUTH, PRED))


# --- properties and random cross-checks ---------------------------------------------------------------

scores = st.floats(-3.5, 3.5, allow_nan=False, width=32)
# Sentiment labels: MOSI/MOSEI truth is an average of annotator scores, often exactly 0 or a multiple of 1/3.
truths = st.one_of(st.sampled_from([0.0, -1.0, 1.0, 1 / 3, -2 / 3, 3.0]), scores)


def pairs(min_size: int = 1):
    return st.integers(min_size, 40).flatmap(
        lambda n: st.tuples(arrays(np.float64, n, elements=truths), arrays(np.float64, n, elements=scores))
    )


def _oracle(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """The suite's definitions written out item by item, independent of the implementation."""
    t, p = truth.tolist(), pred.tolist()
    n = len(t)
    nz = [(a, b) for a, b in zip(t, p, strict=True) if a != 0]
    out = {
        "Has0_acc_2": sum((a >= 0) == (b >= 0) for a, b in zip(t, p, strict=True)) / n,
        "Non0_acc_2": sum((a > 0) == (b > 0) for a, b in nz) / len(nz) if nz else float("nan"),
        "MAE": sum(abs(a - b) for a, b in zip(t, p, strict=True)) / n,
    }
    for key, bound in (("Mult_acc_5", 2.0), ("Mult_acc_7", 3.0)):
        def cls(x, bound=bound):
            return round(min(max(x, -bound), bound))  # Python's round() is also half-to-even

        out[key] = sum(cls(a) == cls(b) for a, b in zip(t, p, strict=True)) / n
    return out


@settings(max_examples=60, deadline=None)
@given(pairs())
def test_matches_item_by_item_oracle(pair):
    truth, pred = pair
    m = msa_regression_metrics(truth, pred)
    for key, expected in _oracle(truth, pred).items():
        if np.isnan(expected):
            assert np.isnan(m[key]), key
        else:
            assert m[key] == pytest.approx(expected), key


def test_random_cross_check_against_scikit_learn_and_scipy():
    rng = np.random.default_rng(7)
    for _ in range(20):
        truth = np.round(rng.uniform(-3, 3, 50) * 3) / 3
        pred = truth + rng.normal(0, 1, 50)
        assert msa.mae(truth, pred) == pytest.approx(mean_absolute_error(truth, pred))
        assert msa.mse(truth, pred) == pytest.approx(mean_squared_error(truth, pred))
        assert msa.corr(truth, pred) == pytest.approx(pearsonr(truth, pred).statistic)


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_bounds(pair):
    m = msa_regression_metrics(*pair)
    for key in ("Has0_acc_2", "Has0_F1_score", "Non0_acc_2", "Non0_F1_score", "Mult_acc_5", "Mult_acc_7"):
        assert np.isnan(m[key]) or 0.0 <= m[key] <= 1.0, key
    assert m["MAE"] >= 0.0
    assert -1.0 - 1e-12 <= m["Corr"] <= 1.0 + 1e-12


@settings(max_examples=40, deadline=None)
@given(pairs(), st.randoms(use_true_random=False))
def test_permutation_invariance(pair, rnd):
    truth, pred = pair
    order = list(range(truth.size))
    rnd.shuffle(order)
    a, b = msa_regression_metrics(truth, pred), msa_regression_metrics(truth[order], pred[order])
    for key in a:
        assert a[key] == pytest.approx(b[key], nan_ok=True), key


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=truths))
def test_perfect_predictions_give_the_optimum(truth):
    m = msa_regression_metrics(truth, truth.copy())
    for key in ("Has0_acc_2", "Has0_F1_score", "Mult_acc_5", "Mult_acc_7"):
        assert m[key] == 1.0, key
    if (truth != 0).any():
        assert m["Non0_acc_2"] == 1.0 and m["Non0_F1_score"] == 1.0
    assert m["MAE"] == 0.0
    assert m["Corr"] == (0.0 if np.ptp(truth) == 0 else pytest.approx(1.0))
