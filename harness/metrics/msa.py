"""Regression metrics for multimodal sentiment analysis (CMU-MOSI / CMU-MOSEI).

The suite reproduces ``MetricsTop.__eval_mosei_regression`` of MMSA
(thuiar/MMSA, ``src/MMSA/utils/metricsTop.py``; MOSI uses the same function), because that is the code
most published MOSI/MOSEI numbers were computed with. Sentiment intensities lie in [-3, 3]. Where this
module departs from MMSA it says so:

* Values are returned raw. MMSA rounds each value to 4 decimals for display; rounding here would bias
  means over seeds and bootstrap replicates, so it is left to the report layer.
* ``Corr`` is 0.0 where MMSA yields nan (a constant side; see :func:`corr`).
* ``Non0_*`` are nan where MMSA raises (no item with non-zero truth; see :func:`non0_acc_2`).

``mse`` and ``r2`` are not part of MMSA's suite; they are plain scikit-learn regression metrics kept
here because this is the package's regression module and they share its input validation.
"""

import numpy as np

# Key order of MMSA's returned dict.
MSA_METRIC_NAMES: tuple[str, ...] = (
    "Has0_acc_2",
    "Has0_F1_score",
    "Non0_acc_2",
    "Non0_F1_score",
    "Mult_acc_5",
    "Mult_acc_7",
    "MAE",
    "Corr",
)


def _sklearn_metrics():
    """``sklearn.metrics``, imported on first use: importing scikit-learn costs about a second, and commands
    that only list or show things (``mmrepro tasks``) must not pay it."""
    import sklearn.metrics

    return sklearn.metrics


def validate_regression(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y_true, y_pred)`` as 1-D float arrays, or raise ``ValueError``.

    Accepts shape (n,) or (n, 1) -- the latter is what regression heads emit and what MMSA flattens with
    ``view(-1)``. Wider arrays are rejected rather than flattened, since flattening (n, k) would silently
    mix outputs. Values must be finite: a nan prediction is a model failure to surface, not to average.
    """
    arrays = []
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        a = np.asarray(arr, dtype=np.float64)
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim != 1:
            raise ValueError(f"{name} must have shape (n,) or (n, 1) for regression, got {a.shape}")
        if a.size == 0:
            raise ValueError(f"{name} is empty; regression metrics need at least one item")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains nan or inf")
        arrays.append(a)
    t, p = arrays
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {t.shape[0]} and {p.shape[0]}")
    return t, p


def has0_acc_2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Binary accuracy, negative vs non-negative, over all items (MMSA ``Has0_acc_2``).

    Zero convention: 0 counts as the *positive* class on both sides (``x >= 0``), and items with zero
    truth are kept.
    """
    t, p = validate_regression(y_true, y_pred)
    return float(_sklearn_metrics().accuracy_score(t >= 0, p >= 0))


def has0_f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Support-weighted F1 of negative vs non-negative, over all items (MMSA ``Has0_F1_score``).

    Zero convention as :func:`has0_acc_2` (``x >= 0`` is positive, zero-truth items kept). Weighted
    average as in MMSA (``f1_score(..., average='weighted')``); ``zero_division=0`` gives the value
    MMSA's default gives, without the warning.
    """
    t, p = validate_regression(y_true, y_pred)
    return float(_sklearn_metrics().f1_score(t >= 0, p >= 0, average="weighted", zero_division=0))


def _non_zero(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    t, p = validate_regression(y_true, y_pred)
    keep = t != 0
    if not keep.any():
        return None
    return t[keep] > 0, p[keep] > 0


def non0_acc_2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Binary accuracy, negative vs positive, excluding zero-truth items (MMSA ``Non0_acc_2``).

    Zero convention: items whose truth is exactly 0 are dropped; on the rest the classes are ``x > 0``
    vs ``x <= 0``, so a prediction of exactly 0 counts as negative. If every truth is 0 the metric has
    no items and is nan (MMSA raises an IndexError there).
    """
    pair = _non_zero(y_true, y_pred)
    if pair is None:
        return float("nan")
    return float(_sklearn_metrics().accuracy_score(*pair))


def non0_f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Support-weighted F1 of negative vs positive, excluding zero-truth items (MMSA ``Non0_F1_score``).

    Zero convention as :func:`non0_acc_2` (zero-truth items dropped, ``x > 0`` is positive; nan if no
    item is left).
    """
    pair = _non_zero(y_true, y_pred)
    if pair is None:
        return float("nan")
    t, p = pair
    return float(_sklearn_metrics().f1_score(t, p, average="weighted", zero_division=0))


def _multiclass_acc(y_true: np.ndarray, y_pred: np.ndarray, bound: float) -> float:
    # MMSA: clip both sides to [-bound, bound], then compare np.round of each. np.round rounds half to
    # even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0.0 == 0); kept as-is to match published numbers.
    t, p = validate_regression(y_true, y_pred)
    t = np.round(np.clip(t, -bound, bound))
    p = np.round(np.clip(p, -bound, bound))
    return float(np.mean(t == p))


def mult_acc_5(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """5-class accuracy (MMSA ``Mult_acc_5``): clip to [-2, 2], round half-to-even, compare."""
    return _multiclass_acc(y_true, y_pred, 2.0)


def mult_acc_7(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """7-class accuracy (MMSA ``Mult_acc_7``): clip to [-3, 3], round half-to-even, compare."""
    return _multiclass_acc(y_true, y_pred, 3.0)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error, ``mean(|pred - truth|)``, unclipped (MMSA ``MAE``)."""
    t, p = validate_regression(y_true, y_pred)
    return float(np.mean(np.abs(p - t)))


def corr(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Pearson correlation of predictions and truth (MMSA ``Corr``, ``np.corrcoef(pred, truth)[0][1]``).

    Constant case: Pearson's r is undefined when either side is constant (including n = 1), and MMSA
    yields nan. We return 0.0 instead, because

    * a constant predictor carries no linear information about the truth, and 0 is the "no
      association" value a leaderboard ranks it at (nan would sort arbitrarily or be dropped, hiding a
      collapsed model -- a common failure mode of MSA regressors that predict the mean);
    * nan would poison every downstream aggregate: the mean over seeds and the percentile bootstrap
      (a resample of a small test set can easily be constant on one side);
    * it is scikit-learn's convention for the analogous undefined cases (``matthews_corrcoef`` returns 0,
      ``r2_score`` with ``force_finite=True`` returns 0 for a constant truth and imperfect prediction).

    "Constant" means exactly equal values (``np.ptp == 0``); this is the only case that differs from
    MMSA.
    """
    t, p = validate_regression(y_true, y_pred)
    if np.ptp(t) == 0 or np.ptp(p) == 0:
        return 0.0
    return float(np.corrcoef(p, t)[0, 1])


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean squared error (scikit-learn ``mean_squared_error``). Not part of MMSA's suite."""
    t, p = validate_regression(y_true, y_pred)
    return float(_sklearn_metrics().mean_squared_error(t, p))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination (scikit-learn ``r2_score``). Not part of MMSA's suite.

    scikit-learn's ``force_finite`` default applies: a constant truth gives 1.0 for a perfect prediction,
    else 0.0. With a single item R^2 is undefined and scikit-learn returns nan.
    """
    t, p = validate_regression(y_true, y_pred)
    return float(_sklearn_metrics().r2_score(t, p))


def msa_regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """The full MMSA MOSI/MOSEI regression suite, keyed and ordered as MMSA's ``__eval_mosei_regression``.

    Values are unrounded (MMSA rounds to 4 decimals); see the module docstring for the other two
    documented departures (constant ``Corr``, all-zero truth for ``Non0_*``).
    """
    fns = (has0_acc_2, has0_f1_score, non0_acc_2, non0_f1_score, mult_acc_5, mult_acc_7, mae, corr)
    return {name: fn(y_true, y_pred) for name, fn in zip(MSA_METRIC_NAMES, fns, strict=True)}
