"""Frozen-feature evaluation: a linear probe on a few labels per class, and a weighted kNN classifier (as in E-SSL).

Why a few labels: on 8x8 digits a linear probe on *all* training labels brings every pre-trained encoder close to
the ceiling (and a wide untrained one nearly as close), so it cannot tell pre-training methods apart; with a handful
of labels per class the quality of the representation, not the probe, decides the accuracy. Both evaluators return
(n, C) class scores, the harness's output contract for single-label tasks, so the runner computes every reported
metric itself.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from harness.errors import UserError


def few_labels(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` training items of every class (all items when ``per_class`` is 0), seeded."""
    if per_class <= 0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    picked = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise UserError(f"labels_per_class={per_class}, but class {c} has only {len(members)} training items")
        picked.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(picked))


def normalise(features: np.ndarray) -> np.ndarray:
    """L2-normalise rows: the recipe's kNN works on normalised backbone features, and so does our probe."""
    return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


class LinearProbe:
    """Multinomial logistic regression with a fixed strength (no selection: the recipe's probe has none)."""

    def __init__(self, n_classes: int, c: float, seed: int) -> None:
        self.n_classes = n_classes
        self.model = LogisticRegression(C=c, max_iter=2000, random_state=seed)

    def fit(self, features: np.ndarray, labels: np.ndarray) -> LinearProbe:
        self.model.fit(normalise(features), labels)
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        out = np.zeros((len(features), self.n_classes))
        out[:, self.model.classes_] = self.model.predict_proba(normalise(features))
        return out


class KNNProbe:
    """Weighted kNN of the recipe's monitor: cosine similarity, top-k neighbours, weights exp(sim / t)."""

    def __init__(self, n_classes: int, k: int, temperature: float) -> None:
        self.n_classes, self.k, self.temperature = n_classes, k, temperature

    def fit(self, features: np.ndarray, labels: np.ndarray) -> KNNProbe:
        self.bank, self.labels = normalise(features), labels.astype(np.int64)
        return self

    def scores(self, features: np.ndarray) -> np.ndarray:
        sim = normalise(features) @ self.bank.T
        k = min(self.k, sim.shape[1])
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        weights = np.exp(np.take_along_axis(sim, top, axis=1) / self.temperature)
        out = np.zeros((len(features), self.n_classes))
        np.add.at(out, (np.arange(len(features))[:, None], self.labels[top]), weights)
        return out / out.sum(axis=1, keepdims=True)
