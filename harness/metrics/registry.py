"""Metric registry: every metric the harness can report, behind one uniform signature.

Each registered metric is ``fn(y_true, y_output) -> float`` where ``y_output`` is the model's *raw output*
for its target kind, so callers never convert outputs themselves:

=============  ===========================  ====================================================
output_kind    y_true                       y_output
=============  ===========================  ====================================================
regression     (n,) floats                  (n,) predictions ((n, 1) also accepted)
single-label   (n,) int labels in [0, C)    (n, C) class scores; prediction = argmax
binary         (n,) int labels in {0, 1}    (n, 2) class scores; prediction = argmax, positive = 1
multi-label    (n, L) indicators in {0, 1}  (n, L) scores
retrieval      (n_query,) int gallery index (n_query, n_gallery) similarity, higher = closer
class-         (n,) class label of pair i   (n, 2d) paired embeddings [query side | gallery side];
retrieval                                   ranked by cosine similarity (see :mod:`.class_retrieval`)
=============  ===========================  ====================================================

The plain functions in :mod:`.msa`, :mod:`.classification` and :mod:`.retrieval` hold the definitions;
this module only adapts them and records direction, kind and reference.
"""

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np

from harness.metrics import class_retrieval as cret
from harness.metrics import classification as clf
from harness.metrics import msa, retrieval

OutputKind = Literal["regression", "single-label", "binary", "multi-label", "retrieval", "class-retrieval"]
OUTPUT_KINDS: tuple[str, ...] = get_args(OutputKind)

MetricFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class MetricDef:
    """A registered metric: its uniform-signature function and what a reader needs to interpret it."""

    name: str
    fn: MetricFn
    higher_is_better: bool
    output_kind: OutputKind
    reference: str
    description: str


class UnknownMetricError(KeyError):
    """Raised for a metric name that is not registered; the message suggests close matches."""

    def __init__(self, name: str, choices: Sequence[str]) -> None:
        by_lower = {c.lower(): c for c in choices}
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
        self.name = name
        self.suggestions = [by_lower[c] for c in close]
        self.choices = list(choices)
        hint = f" Did you mean {' or '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        self.message = f"unknown metric {name!r}.{hint} Valid metrics: {', '.join(self.choices)}"
        super().__init__(self.message)

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and show it in quotes.
        return self.message


def _integer_labels(y: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(y)
    if np.issubdtype(a.dtype, np.floating) and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
        raise ValueError(f"{name} must hold integer class labels, got dtype {a.dtype}")
    return a.astype(np.int64)


def _predicted_labels(
    y_true: np.ndarray, y_output: np.ndarray, n_classes: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate labels against (n, C) scores and return ``(y_true, argmax predictions)``."""
    t = _integer_labels(y_true, "y_true")
    pred = clf.labels_from_scores(y_output)
    n, c = np.shape(y_output)
    if t.shape != (n,):
        raise ValueError(f"y_true must have shape (n,) = ({n},) to match y_output {(n, c)}, got {t.shape}")
    if n_classes is not None and c != n_classes:
        raise ValueError(f"binary metrics need y_output of shape (n, 2), got {(n, c)}")
    if t.min() < 0 or t.max() >= c:
        raise ValueError(f"y_true labels must lie in [0, C) = [0, {c}), got [{t.min()}, {t.max()}]")
    return t, pred


# The adapters below take their settings first and are bound with functools.partial in the table, so each call of a
# metric runs them (a factory returning a closure would run once, at import, out of reach of mutation testing).
def _from_scores(metric: Callable[[np.ndarray, np.ndarray], float], n_classes: int | None,
                 y_true: np.ndarray, y_output: np.ndarray) -> float:
    """``metric`` of the argmax of class scores of shape (n, C); ``n_classes``: the C required, if any."""
    return metric(*_predicted_labels(y_true, y_output, n_classes))


def _recall_at(k: int, y_true: np.ndarray, y_output: np.ndarray) -> float:
    """R@k of a (n_query, n_gallery) similarity matrix; y_true = ground-truth gallery index."""
    return retrieval.recall_at_k(y_output, k, targets=y_true)


def _median_rank(y_true: np.ndarray, y_output: np.ndarray) -> float:
    return retrieval.median_rank(y_output, targets=y_true)


def _class_retrieval(measure: str, backward: bool, k: int | None, y_true: np.ndarray, y_output: np.ndarray) -> float:
    """A class-level metric of paired embeddings, queries on the first half (``backward``: on the second)."""
    labels = _integer_labels(y_true, "y_true")
    similarity = cret.paired_cosine(y_output)
    if labels.shape != (similarity.shape[0],):
        raise ValueError(f"y_true must have shape (n,) = ({similarity.shape[0]},), got {labels.shape}")
    s = similarity.T if backward else similarity
    if measure == "mAP":
        return cret.mean_average_precision(s, labels, labels)
    return (cret.precision_at_k if measure == "P" else cret.recall_at_k)(s, labels, labels, k)


_MMSA = "MMSA MetricsTop.__eval_mosei_regression (thuiar/MMSA, src/MMSA/utils/metricsTop.py)"
_SK = "scikit-learn sklearn.metrics."
_RETRIEVAL = (
    "Standard R@K retrieval protocol (VSE++, Faghri et al. 2018; CLIP, Radford et al. 2021); "
    "hand-written, pessimistic ties"
)

_CLASS_RETRIEVAL = ("Class-level cross-modal retrieval (relevant = same class; cosine similarity); AP: "
                    "scikit-learn average_precision_score per query; P/R@K: pessimistic ties")

_DEFS: tuple[MetricDef, ...] = (
    MetricDef("Has0_acc_2", msa.has0_acc_2, True, "regression", _MMSA,
              "Binary accuracy, negative vs non-negative (0 is positive), all items."),
    MetricDef("Has0_F1_score", msa.has0_f1_score, True, "regression", _MMSA,
              "Weighted F1, negative vs non-negative (0 is positive), all items."),
    MetricDef("Non0_acc_2", msa.non0_acc_2, True, "regression", _MMSA,
              "Binary accuracy, negative vs positive, zero-truth items excluded."),
    MetricDef("Non0_F1_score", msa.non0_f1_score, True, "regression", _MMSA,
              "Weighted F1, negative vs positive, zero-truth items excluded."),
    MetricDef("Mult_acc_5", msa.mult_acc_5, True, "regression", _MMSA,
              "5-class accuracy: clip to [-2, 2], round half-to-even."),
    MetricDef("Mult_acc_7", msa.mult_acc_7, True, "regression", _MMSA,
              "7-class accuracy: clip to [-3, 3], round half-to-even."),
    MetricDef("MAE", msa.mae, False, "regression", _MMSA, "Mean absolute error."),
    MetricDef("Corr", msa.corr, True, "regression", _MMSA,
              "Pearson correlation; 0.0 when either side is constant (MMSA: nan)."),
    MetricDef("mse", msa.mse, False, "regression", _SK + "mean_squared_error", "Mean squared error."),
    MetricDef("r2", msa.r2, True, "regression", _SK + "r2_score", "Coefficient of determination."),
    MetricDef("accuracy", partial(_from_scores, clf.accuracy, None), True, "single-label", _SK + "accuracy_score",
              "Fraction of items whose argmax class is the true class."),
    MetricDef("macro_f1", partial(_from_scores, clf.macro_f1, None), True, "single-label",
              _SK + "f1_score(average='macro')",
              "Unweighted mean of per-class F1."),
    MetricDef("weighted_f1", partial(_from_scores, clf.weighted_f1, None), True, "single-label",
              _SK + "f1_score(average='weighted')", "Per-class F1 weighted by true support."),
    MetricDef("precision_pos", partial(_from_scores, clf.precision_pos, 2), True, "binary",
              _SK + "precision_score(average='binary')", "Precision of class 1; 0 if nothing predicted 1."),
    MetricDef("recall_pos", partial(_from_scores, clf.recall_pos, 2), True, "binary",
              _SK + "recall_score(average='binary')", "Recall of class 1; 0 if no true 1."),
    MetricDef("f1_pos", partial(_from_scores, clf.f1_pos, 2), True, "binary", _SK + "f1_score(average='binary')",
              "F1 of class 1."),
    MetricDef("mAP", clf.mean_average_precision, True, "multi-label",
              _SK + "average_precision_score, macro over labels with a positive",
              "Mean over labels of average precision; labels without positives excluded."),
    MetricDef("R@1", partial(_recall_at, 1), True, "retrieval", _RETRIEVAL,
              "Fraction of queries with the match at rank 1."),
    MetricDef("R@5", partial(_recall_at, 5), True, "retrieval", _RETRIEVAL,
              "Fraction of queries with the match in the top 5."),
    MetricDef("R@10", partial(_recall_at, 10), True, "retrieval", _RETRIEVAL,
              "Fraction of queries with the match in the top 10."),
    MetricDef("median_rank", _median_rank, False, "retrieval", _RETRIEVAL,
              "Median 1-based rank of the match (np.median; not floored)."),
    *(MetricDef(f"class_{name}_{way}", partial(_class_retrieval, measure, way == "g2q", k), True, "class-retrieval",
                _CLASS_RETRIEVAL, f"{text}, queries from the {side} half of the paired embeddings.")
      for way, side in (("q2g", "first"), ("g2q", "second"))
      for name, measure, k, text in (("mAP", "mAP", None, "Mean average precision of same-class items"),
                                     ("P@10", "P", 10, "Fraction of same-class items in the top 10"),
                                     ("R@10", "R", 10, "Fraction of a query's same-class items in the top 10"))),
)

_REGISTRY: MappingProxyType[str, MetricDef] = MappingProxyType({d.name: d for d in _DEFS})


def list_metrics(output_kind: OutputKind | None = None) -> list[str]:
    """Registered metric names, grouped by kind in registration order; optionally only one kind."""
    if output_kind is not None and output_kind not in OUTPUT_KINDS:
        raise ValueError(f"output_kind must be one of {', '.join(OUTPUT_KINDS)}, got {output_kind!r}")
    return [d.name for d in _DEFS if output_kind is None or d.output_kind == output_kind]


def get_metric(name: str) -> MetricDef:
    """The registered :class:`MetricDef` called ``name`` (case-sensitive); ``UnknownMetricError`` if none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownMetricError(name, list(_REGISTRY)) from None


def compute_metrics(names: Sequence[str], y_true: np.ndarray, y_output: np.ndarray) -> dict[str, float]:
    """``{name: metric(y_true, y_output)}`` in the order given; unknown names raise before any computing."""
    if isinstance(names, str):
        raise TypeError(f"names must be a sequence of metric names, not a single string; use [{names!r}]")
    defs = [get_metric(n) for n in names]
    return {d.name: float(d.fn(y_true, y_output)) for d in defs}
