"""Uncertainty and significance for metric values.

Two sources of variation are handled separately, because papers report both and they answer different
questions:

* over training seeds -- :func:`summarize` (mean, sample std, Student-t interval) and
  :func:`paired_t_test` (two models trained with the same seeds);
* over test items -- :func:`bootstrap_ci` (percentile bootstrap of any metric), :func:`paired_bootstrap`
  (difference of two models on the same items) and :func:`mcnemar` (two models' per-item correctness).

References: Efron & Tibshirani, *An Introduction to the Bootstrap* (1993) for the percentile bootstrap;
Davison & Hinkley, *Bootstrap Methods and their Application* (1997) for the +1 p-value correction;
Koehn (2004) and Berg-Kirkpatrick et al. (2012) for paired bootstrap comparison of systems;
McNemar (1947), Edwards (1948) for the continuity correction, and Fagerland, Lydersen & Laake (2013,
BMC Med. Res. Methodol. 13:91) for the exact and mid-p McNemar tests.

Resampling uses ``numpy.random.default_rng(seed)``; the same seed and data give the same result.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from harness.lazy import lazy_module

stats = lazy_module("scipy.stats")  # SciPy on first use: every CLI start imported it

MetricFn = Callable[[np.ndarray, np.ndarray], float]
McNemarMethod = Literal["exact", "mid-p", "chi2", "chi2-cc"]
ZERO_VARIANCE_T = "paired-t (undefined: zero variance)"

# Bootstrap indices are drawn this many (resample x item) entries at a time: vectorised, yet bounded in
# memory (32 MiB of int64) for large test sets. Depends only on n, so results stay seed-reproducible.
_INDEX_BLOCK_ENTRIES = 1 << 22


@dataclass(frozen=True)
class Summary:
    """Mean, sample std and Student-t confidence interval of per-seed values."""

    mean: float
    std: float
    n: int
    ci_low: float
    ci_high: float
    confidence: float


@dataclass(frozen=True)
class BootstrapCI:
    """Point estimate of a metric on the full test set and its percentile-bootstrap interval."""

    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    n_resamples: int
    seed: int


@dataclass(frozen=True)
class PairedComparison:
    """Difference ``metric(A) - metric(B)``, its confidence interval and a two-sided p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    method: str


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on paired correctness.

    ``only_a_correct`` / ``only_b_correct`` are the discordant counts; ``diff`` is accuracy(A) -
    accuracy(B) = (only_a_correct - only_b_correct) / n.
    """

    diff: float
    p_value: float
    only_a_correct: int
    only_b_correct: int
    n: int
    method: str


def _values(values: np.ndarray, name: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (n,), got shape {v.shape}")
    if v.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains nan or inf")
    return v


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def sample_std(values: np.ndarray) -> float:
    """Sample standard deviation (``ddof=1``); nan for a single value, where it is undefined.

    nan rather than 0 so a single-seed result is never mistaken for a perfectly stable one. Exactly 0 when
    all values are equal (``np.std`` can leave rounding residue of the mean there).
    """
    v = _values(values)
    if v.size < 2:
        return float("nan")
    return 0.0 if np.ptp(v) == 0 else float(np.std(v, ddof=1))


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval for the mean, ``mean -/+ t_{(1+c)/2, n-1} * std / sqrt(n)``.

    (nan, nan) for a single value; (mean, mean) when all values are equal.
    """
    _check_confidence(confidence)
    v = _values(values)
    if v.size < 2:
        return float("nan"), float("nan")
    m, s = float(np.mean(v)), sample_std(v)
    if s == 0.0:
        return m, m
    half = float(stats.t.ppf((1.0 + confidence) / 2.0, df=v.size - 1)) * s / np.sqrt(v.size)
    return m - half, m + half


def summarize(values: np.ndarray, confidence: float = 0.95) -> Summary:
    """Mean, sample std and t-interval of a metric over seeds (see :func:`t_interval`)."""
    v = _values(values)
    low, high = t_interval(v, confidence)
    return Summary(float(np.mean(v)), sample_std(v), int(v.size), low, high, confidence)


def _check_items(y_true: np.ndarray, *outputs: np.ndarray) -> int:
    t = np.asarray(y_true)
    if t.ndim == 0 or t.shape[0] == 0:
        raise ValueError(f"y_true must have at least one item along axis 0, got shape {t.shape}")
    for i, out in enumerate(outputs):
        o = np.asarray(out)
        if o.ndim == 0 or o.shape[0] != t.shape[0]:
            raise ValueError(
                f"output {i} must have the same number of items (axis 0) as y_true, "
                f"got shape {o.shape} for y_true shape {t.shape}"
            )
    return int(t.shape[0])


def _resample_indices(n: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    block = max(1, _INDEX_BLOCK_ENTRIES // n)
    for start in range(0, n_resamples, block):
        yield from rng.integers(0, n, size=(min(block, n_resamples - start), n))


def _replicates(
    metric: MetricFn, y_true: np.ndarray, outputs: tuple[np.ndarray, ...], n_resamples: int, seed: int
) -> np.ndarray:
    """Metric of each output on each resample, shape (n_resamples, len(outputs)); same items for all."""
    n = _check_items(y_true, *outputs)
    t = np.asarray(y_true)
    outs = [np.asarray(o) for o in outputs]
    reps = np.array(
        [[metric(t[idx], o[idx]) for o in outs] for idx in _resample_indices(n, n_resamples, seed)],
        dtype=np.float64,
    )
    bad = ~np.isfinite(reps).all(axis=1)
    if bad.any():
        raise ValueError(
            f"the metric was nan or inf on {int(bad.sum())} of {n_resamples} bootstrap resamples; "
            "the test set is too small or too degenerate for this metric to be bootstrapped"
        )
    return reps


def _percentile_interval(reps: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.percentile(reps, [100.0 * alpha / 2.0, 100.0 * (1.0 - alpha / 2.0)])
    return float(low), float(high)


def bootstrap_ci(
    metric: MetricFn,
    y_true: np.ndarray,
    y_output: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapCI:
    """Percentile-bootstrap confidence interval of ``metric(y_true, y_output)`` over test items.

    Items (axis 0 of both arrays) are resampled with replacement; the metric is recomputed on each
    resample, so any metric works, including non-decomposable ones (F1, Corr, mAP). Resample indices are
    drawn vectorised; the metric calls are a loop because the metric is an arbitrary function. Raises
    ``ValueError`` if the metric is non-finite on any resample rather than silently dropping it.
    """
    _check_confidence(confidence)
    reps = _replicates(metric, y_true, (y_output,), n_resamples, seed)[:, 0]
    low, high = _percentile_interval(reps, confidence)
    return BootstrapCI(float(metric(y_true, y_output)), low, high, confidence, n_resamples, seed)


def paired_bootstrap(
    metric: MetricFn,
    y_true: np.ndarray,
    output_a: np.ndarray,
    output_b: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Paired bootstrap of ``metric(A) - metric(B)`` on the same test items.

    Both models are scored on the same resampled items, so item difficulty cancels. The interval is the
    percentile interval of the resampled differences. The two-sided p-value inverts that interval: twice
    the smaller fraction of resampled differences on either side of zero, with the +1 correction
    (``(1 + count) / (1 + n_resamples)``) so it is never exactly 0, capped at 1. For a metric where
    higher is worse, a negative ``diff`` favours A.
    """
    _check_confidence(confidence)
    reps = _replicates(metric, y_true, (output_a, output_b), n_resamples, seed)
    diffs = reps[:, 0] - reps[:, 1]
    low, high = _percentile_interval(diffs, confidence)
    tail = min(np.count_nonzero(diffs <= 0), np.count_nonzero(diffs >= 0))
    p_value = min(1.0, 2.0 * (1 + int(tail)) / (1 + n_resamples))
    diff = float(metric(y_true, output_a)) - float(metric(y_true, output_b))
    return PairedComparison(diff, low, high, p_value, int(np.asarray(y_true).shape[0]), "paired-bootstrap")


def mcnemar(
    correct_a: np.ndarray, correct_b: np.ndarray, *, method: McNemarMethod = "exact"
) -> McNemarResult:
    """McNemar's test of equal accuracy for two models on the same items, from per-item correctness.

    Only discordant items count: b = A right & B wrong, c = A wrong & B right. Methods:

    * ``"exact"``: two-sided binomial test of b ~ Binomial(b + c, 1/2) (``scipy.stats.binomtest``);
      conservative, recommended for few discordant pairs;
    * ``"mid-p"``: ``2 * P(X <= min(b, c)) - P(X = min(b, c))`` (Fagerland et al. 2013), less
      conservative with near-nominal size;
    * ``"chi2"``: ``(b - c)^2 / (b + c)`` against chi-square(1);
    * ``"chi2-cc"``: with Edwards' continuity correction, ``max(|b - c| - 1, 0)^2 / (b + c)``.

    With no discordant items the models are indistinguishable and p = 1.
    """
    if method not in ("exact", "mid-p", "chi2", "chi2-cc"):
        raise ValueError(f"method must be one of 'exact', 'mid-p', 'chi2', 'chi2-cc', got {method!r}")
    a_ok, b_ok = np.asarray(correct_a), np.asarray(correct_b)
    for name, v in (("correct_a", a_ok), ("correct_b", b_ok)):
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array of shape (n,), got shape {v.shape}")
        if not np.isin(v, (0, 1)).all():
            raise ValueError(f"{name} must be boolean (or 0/1) per-item correctness")
    if a_ok.shape != b_ok.shape:
        raise ValueError(f"correct_a and correct_b must have equal length, got {a_ok.size} and {b_ok.size}")
    a_ok, b_ok = a_ok.astype(bool), b_ok.astype(bool)
    b = int(np.count_nonzero(a_ok & ~b_ok))
    c = int(np.count_nonzero(~a_ok & b_ok))
    m = b + c
    if m == 0:
        p = 1.0
    elif method == "exact":
        p = float(stats.binomtest(b, m, 0.5).pvalue)
    elif method == "mid-p":
        k = min(b, c)
        p = float(2.0 * stats.binom.cdf(k, m, 0.5) - stats.binom.pmf(k, m, 0.5))
    else:
        gap = abs(b - c) - (1 if method == "chi2-cc" else 0)
        p = float(stats.chi2.sf(max(gap, 0) ** 2 / m, df=1))
    return McNemarResult((b - c) / a_ok.size, min(p, 1.0), b, c, int(a_ok.size), method)


def paired_t_test(values_a: np.ndarray, values_b: np.ndarray, confidence: float = 0.95) -> PairedComparison:
    """Paired t-test over seeds: per-seed metric values of A and B, seed i of each paired.

    ``diff`` is the mean of ``a - b`` with the paired Student-t interval; the two-sided p-value is
    ``scipy.stats.ttest_rel``'s. Needs at least two seeds. If every per-seed difference is identical (e.g. two
    deterministic models) the t statistic is 0/0 or infinite and the test says nothing: p is nan (never 0,
    which would claim certainty from zero observed spread) and the method says "undefined: zero variance".
    The interval is the degenerate (diff, diff), kept because verdict rules v1/v2 read it; it is not evidence.
    """
    _check_confidence(confidence)
    a, b = _values(values_a, "values_a"), _values(values_b, "values_b")
    if a.shape != b.shape:
        raise ValueError(f"values_a and values_b must pair up seed by seed, got {a.size} and {b.size} values")
    if a.size < 2:
        raise ValueError(f"a paired t-test needs at least 2 seeds, got {a.size}")
    d = a - b
    diff = float(np.mean(d))
    if np.ptp(d) == 0:
        return PairedComparison(diff, diff, diff, float("nan"), int(a.size), ZERO_VARIANCE_T)
    res = stats.ttest_rel(a, b)
    ci = res.confidence_interval(confidence)
    return PairedComparison(diff, float(ci.low), float(ci.high), float(res.pvalue), int(a.size), "paired-t")
