"""Test-item uncertainty combined with seed uncertainty: the interval every leaderboard, comparison and verdict uses.

A reported number is a mean over ``k`` training seeds of a metric on one finite test set. Both are draws: another
seed gives another model, another test set other items. The interval (:func:`combined_interval`) is the
percentile interval of ``B`` Monte-Carlo draws of

    mean over seeds of the metric on one bootstrap resample of the test items (the same resample for every
    seed)  +  seed std / sqrt(k) x a Student-t(k - 1) draw,

i.e. the item-bootstrap distribution of the seed mean convolved with the Student-t distribution of a mean over
``k`` seeds (the seed term is left out with one seed, where no seed spread can be estimated). A deterministic
model (every seed identical) keeps the item term: its interval is never zero-width on a finite test set.

Resampling units are items, or whole groups (:func:`resample_counts` with ``groups``: dialogues, speakers)
when the test items come in groups: items of one dialogue are not independent draws. Resamples come from
``numpy.random.default_rng(seed)`` and are the same for every model and seed of a task, so paired differences
(:func:`paired_interval`) are taken on the same resampled items.

The metric is recomputed on each resample with the task's own metric function (``harness.metrics.registry``),
except for metrics whose value is a weighted count (accuracy, F1 family, MAE/MSE, R@K): those are computed from
per-item statistics for all resamples at once (:data:`VECTORISED`), and checked against the metric function on
the full test set before use, falling back to the function when they disagree. References: Efron & Tibshirani
(1993) for the percentile bootstrap; Field & Welsh (2007, JRSS-B 69:369) for the cluster bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

N_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Combined:
    """A combined interval and the numbers behind it."""

    low: float
    high: float
    draws: np.ndarray  # the B Monte-Carlo draws the percentiles were taken from
    seeds: int


def resample_counts(n_items: int, n_resamples: int = N_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                    groups: np.ndarray | None = None) -> np.ndarray:
    """How often each item is drawn in each resample, shape (n_resamples, n_items), int32.

    Without ``groups`` items are drawn with replacement; with ``groups`` (one id per item) whole groups are
    drawn with replacement and every item of a drawn group counts once per draw."""
    if n_items < 1 or n_resamples < 1:
        raise ValueError(f"need at least one item and one resample, got {n_items} and {n_resamples}")
    codes = np.arange(n_items) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    if codes.shape != (n_items,):
        raise ValueError(f"groups must give one id per item ({n_items}), got shape {np.shape(groups)}")
    units = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, units, size=(n_resamples, units))
    flat = (draws + units * np.arange(n_resamples)[:, None]).ravel()
    unit_counts = np.bincount(flat, minlength=n_resamples * units).reshape(n_resamples, units).astype(np.int32)
    return unit_counts[:, codes]


# ---- vectorised metrics: per-item statistics weighted by resample counts -----------------------------------------

def _ratio(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Count-weighted mean of per-item values. 0/1 values go through float32 BLAS (integer sums below 2**24 are
    exact there); other values through float64."""
    exact32 = values.dtype == np.bool_ and counts.shape[1] < 1 << 20
    kind = np.float32 if exact32 else np.float64
    c = counts.astype(kind, copy=False)
    return (c @ values.astype(kind)).astype(np.float64) / c.sum(axis=1, dtype=np.float64)


def _confusion(counts: np.ndarray, y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-resample confusion counts, shape (B, C, C) indexed [true, predicted]: resample counts times the items'
    one-hot (true, predicted) cells, in float32 BLAS (integer sums below 2**24: exact)."""
    cells = y * n_classes + pred
    present, column = np.unique(cells, return_inverse=True)
    onehot = np.zeros((cells.size, present.size), dtype=np.float32)
    onehot[np.arange(cells.size), column] = 1.0
    conf = np.zeros((counts.shape[0], n_classes * n_classes))
    conf[:, present] = counts.astype(np.float32, copy=False) @ onehot
    return conf.reshape(-1, n_classes, n_classes)


def _per_class_f1(conf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diagonal(conf, axis1=1, axis2=2)
    true, pred = conf.sum(axis=2), conf.sum(axis=1)
    denom = true + pred
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)  # zero_division=0
    return f1, true, pred


# _f1 and _recall_at take their setting first and are bound with functools.partial in VECTORISED, so each use runs
# them (a factory returning a closure would run once, at import, out of reach of mutation testing).
def _f1(kind: str, counts: np.ndarray, y: np.ndarray, output: np.ndarray) -> np.ndarray:
    """Per-resample F1 of ``kind``: macro, weighted, or of class 1 (f1, precision, recall)."""
    pred, n_classes = np.argmax(output, axis=1), output.shape[1]
    conf = _confusion(counts, y.astype(np.int64), pred, n_classes)
    f1, true, predicted = _per_class_f1(conf)
    if kind == "macro":  # over the classes present among the resample's true or predicted labels
        present = (true + predicted) > 0
        return (f1 * present).sum(axis=1) / present.sum(axis=1)
    if kind == "weighted":
        return (f1 * true).sum(axis=1) / true.sum(axis=1)
    tp = conf[:, 1, 1]
    if kind == "f1":
        return f1[:, 1]
    base = predicted[:, 1] if kind == "precision" else true[:, 1]
    return np.divide(tp, base, out=np.zeros_like(tp), where=base > 0)


def _recall_at(k: int, counts: np.ndarray, y: np.ndarray, output: np.ndarray) -> np.ndarray:
    from harness.metrics.retrieval import retrieval_ranks

    return _ratio(counts, retrieval_ranks(output, y) <= k)


def _f64(a: np.ndarray) -> np.ndarray:
    return np.ravel(a).astype(np.float64)


VECTORISED: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "accuracy": lambda c, y, o: _ratio(c, np.argmax(o, axis=1) == np.ravel(y)),
    "macro_f1": partial(_f1, "macro"), "weighted_f1": partial(_f1, "weighted"),
    "f1_pos": partial(_f1, "f1"), "precision_pos": partial(_f1, "precision"), "recall_pos": partial(_f1, "recall"),
    "MAE": lambda c, y, o: _ratio(c, np.abs(_f64(o) - _f64(y))),
    "mse": lambda c, y, o: _ratio(c, (_f64(o) - _f64(y)) ** 2),
    "R@1": partial(_recall_at, 1), "R@5": partial(_recall_at, 5), "R@10": partial(_recall_at, 10),
}


def _by_function(name: str, counts: np.ndarray, y: np.ndarray, output: np.ndarray) -> np.ndarray:
    from harness.metrics.registry import get_metric  # scikit-learn: not at import (the CLI starts through here)

    fn = get_metric(name).fn
    items = np.arange(y.shape[0])
    values = np.empty(counts.shape[0])
    for b, row in enumerate(counts):
        idx = np.repeat(items, row)
        try:
            values[b] = fn(y[idx], output[idx])
        except ValueError:  # undefined on this resample (e.g. a label set it cannot score)
            values[b] = np.nan
    return values


def vectorised_value(name: str, y_true: np.ndarray, y_output: np.ndarray) -> float | None:
    """The vectorised form of metric ``name`` on the full test set; None when the metric has none."""
    fast = VECTORISED.get(name)
    y = np.asarray(y_true)
    return None if fast is None else float(fast(np.ones((1, y.shape[0]), dtype=np.int32), y, np.asarray(y_output))[0])


def metric_replicates(name: str, y_true: np.ndarray, y_output: np.ndarray, counts: np.ndarray,
                      expected: float | None = None) -> np.ndarray:
    """The metric ``name`` on every resample (rows of ``counts``), shape (B,); nan where it is undefined.

    A vectorised form is used only when it equals the metric function's value on the full test set (to 1e-9):
    ``expected`` when given (e.g. the value a run recorded), else computed here."""
    y, out = np.asarray(y_true), np.asarray(y_output)
    whole = vectorised_value(name, y, out)
    if whole is not None:
        if expected is None:
            from harness.metrics.registry import get_metric

            expected = float(get_metric(name).fn(y, out))
        if abs(whole - expected) <= 1e-9:
            return VECTORISED[name](counts, y, out)
    return _by_function(name, counts, y, out)


# ---- intervals ---------------------------------------------------------------------------------------------------

def _sample_std(values: np.ndarray) -> float:
    return 0.0 if np.ptp(values) == 0 else float(np.std(values, ddof=1))


def combined_interval(replicates: np.ndarray, values: np.ndarray, confidence: float = 0.95,
                      seed: int = BOOTSTRAP_SEED, *, one_run: bool = False) -> Combined:
    """Percentile interval of item-bootstrap x seed draws (module docstring).

    ``replicates``: (k, B) metric values of k seeds on the same B resamples; ``values``: (k,) the seeds' values on
    the full test set. ``one_run``: the seed term is the spread of one new run (x sqrt(1 + 1/k)) instead of the
    mean's (x sqrt(1/k)), a prediction interval. nan bounds when the metric is undefined on some resample."""
    reps, v = np.atleast_2d(np.asarray(replicates, dtype=np.float64)), np.asarray(values, dtype=np.float64)
    k, n_draws = reps.shape
    if v.shape != (k,):
        raise ValueError(f"values must give one value per seed ({k}), got shape {v.shape}")
    draws = reps.mean(axis=0)
    if k >= 2:
        scale = _sample_std(v) * (np.sqrt(1 + 1 / k) if one_run else 1 / np.sqrt(k))
        draws = draws + scale * np.random.default_rng([seed, 1]).standard_t(k - 1, size=n_draws)
    if not np.isfinite(draws).all():
        return Combined(np.nan, np.nan, draws, k)
    alpha = 1.0 - confidence
    low, high = np.percentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Combined(float(low), float(high), draws, k)


def two_sided_p(draws: np.ndarray) -> float:
    """Two-sided p-value of "the difference is 0" from draws of it: twice the smaller tail, +1-corrected
    (``(1 + count) / (1 + B)``, never exactly 0), capped at 1."""
    tail = min(np.count_nonzero(draws <= 0), np.count_nonzero(draws >= 0))
    return min(1.0, 2.0 * (1 + int(tail)) / (1 + draws.size))


def exact_binomial(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion of k successes in n items (``scipy.stats.binomtest``): what an
    accuracy of 0 or 1 on n items still allows, where every bootstrap resample gives the same value."""
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence, method="exact")
    return float(ci.low), float(ci.high)
