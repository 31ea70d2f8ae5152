"""Classification metrics: single-label, binary and multi-label.

Thin wrappers over scikit-learn (``sklearn.metrics``) so the harness has one place that fixes the
averaging and the ill-defined-case conventions; each function states the ones it uses. Inputs are
predicted labels, not scores -- :func:`labels_from_scores` turns a score matrix into labels -- except
:func:`mean_average_precision`, which ranks by score.
"""

import numpy as np


def _sklearn_metrics():
    """``sklearn.metrics``, imported on first use: importing scikit-learn costs about a second, and commands
    that only list or show things (``mmrepro tasks``) must not pay it."""
    import sklearn.metrics

    return sklearn.metrics


def _validate_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of labels with shape (n,), got shape {a.shape}")
        if a.size == 0:
            raise ValueError(f"{name} is empty; classification metrics need at least one item")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {t.shape[0]} and {p.shape[0]}")
    return t, p


def labels_from_scores(scores: np.ndarray) -> np.ndarray:
    """Predicted labels ``argmax(scores, axis=1)`` from class scores of shape (n, C).

    Works for logits, probabilities or any monotone transform of them; ties go to the lowest class index
    (``np.argmax``).
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] == 0 or s.shape[1] == 0:
        raise ValueError(f"class scores must have shape (n, C) with n, C >= 1, got {s.shape}")
    if np.isnan(s).any():
        raise ValueError("class scores contain nan")
    return np.argmax(s, axis=1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of items whose predicted label equals the true label (``accuracy_score``)."""
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().accuracy_score(t, p))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of per-class F1 (``f1_score(average='macro')``).

    As in scikit-learn, the classes averaged over are those present in ``y_true`` or ``y_pred``; a class
    absent from both does not count. A class that is never predicted (or never true) gets F1 = 0
    (``zero_division=0``, the value scikit-learn's default also uses, without the warning).
    """
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().f1_score(t, p, average="macro", zero_division=0))


def weighted_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Per-class F1 averaged with weights = true support (``f1_score(average='weighted')``).

    Same class set and ``zero_division=0`` convention as :func:`macro_f1`; this is the F1 that MMSA
    and most multimodal sentiment/emotion papers report.
    """
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().f1_score(t, p, average="weighted", zero_division=0))


def precision_pos(y_true: np.ndarray, y_pred: np.ndarray, pos_label: int = 1) -> float:
    """Precision of the positive class (``precision_score(average='binary')``).

    0.0 when nothing is predicted positive (``zero_division=0``). Labels must take at most two values.
    """
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().precision_score(t, p, pos_label=pos_label, average="binary", zero_division=0))


def recall_pos(y_true: np.ndarray, y_pred: np.ndarray, pos_label: int = 1) -> float:
    """Recall of the positive class (``recall_score(average='binary')``).

    0.0 when no item is truly positive (``zero_division=0``). Labels must take at most two values.
    """
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().recall_score(t, p, pos_label=pos_label, average="binary", zero_division=0))


def f1_pos(y_true: np.ndarray, y_pred: np.ndarray, pos_label: int = 1) -> float:
    """F1 of the positive class (``f1_score(average='binary')``).

    0.0 when precision and recall are both ill-defined or zero (``zero_division=0``).
    """
    t, p = _validate_labels(y_true, y_pred)
    return float(_sklearn_metrics().f1_score(t, p, pos_label=pos_label, average="binary", zero_division=0))


def mean_average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Multi-label mAP: macro average over labels of scikit-learn's ``average_precision_score``.

    ``y_true`` is an (n, L) indicator matrix in {0, 1}, ``scores`` the matching (n, L) scores. AP is the
    step-wise area under each label's precision-recall curve (no interpolation).

    Labels with no positive item are *excluded* from the average: their AP is undefined (there is nothing
    to retrieve; scikit-learn would warn and score them 0, which penalises a model for the test split's
    label distribution). This is the convention of e.g. torchmetrics' multilabel AP. If no label has a
    positive item at all, the result is nan.
    """
    t = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    for name, a in (("y_true", t), ("scores", s)):
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"{name} must have shape (n, L) with n, L >= 1 for multi-label, got {a.shape}")
    if t.shape != s.shape:
        raise ValueError(f"y_true and scores must have the same shape (n, L), got {t.shape} and {s.shape}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("multi-label y_true must contain only 0 and 1")
    if np.isnan(s).any():
        raise ValueError("scores contain nan")
    has_positive = t.any(axis=0)
    if not has_positive.any():
        return float("nan")
    return float(_sklearn_metrics().average_precision_score(t[:, has_positive], s[:, has_positive], average="macro"))
