"""Class-level retrieval metrics, pinned by hand-computed cases (relevant = same class)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics import class_retrieval as cret
from harness.metrics.registry import get_metric

# Two queries (classes 0 and 1) against four gallery items (classes 0, 1, 0, 1).
S = np.array([[0.9, 0.8, 0.1, 0.5],    # ranking g0 (rel), g1, g3, g2 (rel): AP = (1/1 + 2/4) / 2 = 0.75
              [0.2, 0.3, 0.4, 0.9]])   # ranking g3 (rel), g2, g1 (rel), g0: AP = (1/1 + 2/3) / 2 = 5/6
Q, G = np.array([0, 1]), np.array([0, 1, 0, 1])


def test_map_by_hand() -> None:
    assert cret.mean_average_precision(S, Q, G) == pytest.approx((0.75 + 5 / 6) / 2)


def test_precision_and_recall_at_k_by_hand() -> None:
    assert cret.precision_at_k(S, Q, G, 1) == pytest.approx(1.0)
    assert cret.precision_at_k(S, Q, G, 3) == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert cret.recall_at_k(S, Q, G, 3) == pytest.approx((1 / 2 + 2 / 2) / 2)
    assert cret.recall_at_k(S, Q, G, 4) == pytest.approx(1.0)


def test_ties_are_pessimistic_for_top_k_and_one_threshold_for_ap() -> None:
    flat = np.zeros((1, 4))
    assert cret.precision_at_k(flat, np.array([0]), G, 2) == 0.0  # the two irrelevant items come first
    assert cret.recall_at_k(flat, np.array([0]), G, 3) == pytest.approx(0.5)
    assert cret.mean_average_precision(flat, np.array([0]), G) == pytest.approx(0.5)  # sklearn: one threshold


def test_queries_without_relevant_items_are_left_out() -> None:
    assert cret.mean_average_precision(S, np.array([0, 7]), G) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="no query"):
        cret.mean_average_precision(S, np.array([7, 8]), G)


def test_bad_shapes_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        cret.mean_average_precision(S, Q, G[:3])
    with pytest.raises(ValueError, match="nan"):
        cret.precision_at_k(np.full((2, 4), np.nan), Q, G, 1)
    with pytest.raises(ValueError, match="positive integer"):
        cret.precision_at_k(S, Q, G, 0)
    with pytest.raises(ValueError, match=r"\(n, 2d\)"):
        cret.paired_cosine(np.ones((3, 5)))


def test_registered_metrics_read_paired_embeddings_both_ways() -> None:
    # pair i = (audio_i, image_i); audio of class 0 points along x, class 1 along y; image 2 is on the wrong side
    audio = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]])
    image = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    labels = np.array([0, 1, 0])
    out = np.concatenate([audio, image], axis=1)
    sim = cret.paired_cosine(out)
    assert sim == pytest.approx(audio @ image.T / np.linalg.norm(audio, axis=1)[:, None])
    q2g, g2q = get_metric("class_mAP_q2g"), get_metric("class_mAP_g2q")
    assert q2g.fn(labels, out) == pytest.approx(cret.mean_average_precision(sim, labels, labels))
    assert g2q.fn(labels, out) == pytest.approx(cret.mean_average_precision(sim.T, labels, labels))
    assert q2g.fn(labels, out) != pytest.approx(g2q.fn(labels, out))
    assert get_metric("class_P@10_q2g").output_kind == "class-retrieval"
    perfect = np.concatenate([audio[:, :1].round(), audio[:, :1].round()], axis=1)
    assert get_metric("class_mAP_q2g").fn(labels, np.concatenate([np.eye(2)[labels], np.eye(2)[labels]], 1)) == 1.0
    assert perfect.shape == (3, 2)
