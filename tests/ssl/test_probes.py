"""Few-label selection and the two frozen-feature probes."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UserError
from harness.ssl.probes import KNNProbe, LinearProbe, few_labels


def test_few_labels_are_per_class_and_seeded():
    labels = np.repeat(np.arange(3), 10)
    picked = few_labels(labels, 2, seed=0)
    assert np.bincount(labels[picked]).tolist() == [2, 2, 2]
    assert np.array_equal(picked, few_labels(labels, 2, seed=0))
    assert len(few_labels(labels, 0, seed=0)) == 30
    with pytest.raises(UserError, match="class 0 has only 10"):
        few_labels(labels, 11, seed=0)


def test_probes_return_class_scores_over_all_classes_and_separate_separable_data():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), np.repeat(np.arange(4), 10)
    x[np.arange(40), y] += 5
    for probe in (LinearProbe(6, 1.0, 0), KNNProbe(6, 3, 0.1)):
        scores = probe.fit(x, y).scores(x)
        assert scores.shape == (40, 6) and np.allclose(scores.sum(1), 1) and (scores[:, 4:] == 0).all()
        assert (scores.argmax(1) == y).mean() > 0.9


def test_knn_scores_are_the_hand_computed_weighted_votes():
    bank = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    probe = KNNProbe(2, k=2, temperature=0.5).fit(bank, np.array([0, 1, 1]))
    # query (1, 0): cosine similarities 1 (class 0), 0 (class 1), r = 1/sqrt(2) (class 1); top-2 = rows 0 and 2
    w0, w1 = np.exp(1 / 0.5), np.exp((1 / np.sqrt(2)) / 0.5)
    np.testing.assert_allclose(probe.scores(np.array([[3.0, 0.0]])), [[w0 / (w0 + w1), w1 / (w0 + w1)]])
