"""Class-level cross-modal retrieval: a gallery item is relevant to a query when their class labels match.

Used where a pair shares only its class (an audio clip of "three" and some handwritten "3"): instance R@K would
demand one particular image among ~50 equally correct ones, so it measures luck, not retrieval. Every item of
the split is a query in one modality and every item a gallery entry in the other (``n`` pairs, query ``i`` and
gallery item ``i`` carry label ``labels[i]``); rows of ``similarity`` are queries, columns gallery items, higher
is closer. Queries without any relevant gallery item are left out of every mean.

* ``mean_average_precision``: per query, scikit-learn's ``average_precision_score`` of the relevance against the
  similarity (tied scores form one threshold, as there), averaged over queries (the mAP of image/text retrieval
  benchmarks, e.g. Wang et al., "Cross-modal retrieval", 2016).
* ``precision_at_k`` / ``recall_at_k``: relevant items among the top k, divided by k / by the query's number of
  relevant items. Ties at the cut-off are broken pessimistically (irrelevant items first), as the harness's
  instance R@K counts ties against the model, so a constant similarity scores the worst case, never better.
"""

from __future__ import annotations

import numpy as np


def _sklearn_metrics():
    """``sklearn.metrics``, imported on first use: importing scikit-learn costs about a second, and commands
    that only list or show things (``mmrepro tasks``) must not pay it."""
    import sklearn.metrics

    return sklearn.metrics


def _relevance(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(similarity, dtype=np.float64)
    q, g = np.asarray(query_labels), np.asarray(gallery_labels)
    if s.ndim != 2 or s.shape != (len(q), len(g)) or 0 in s.shape:
        raise ValueError(f"similarity must have shape (n_query, n_gallery) = ({len(q)}, {len(g)}), got {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("similarity contains nan or inf")
    relevant = q[:, None] == g[None, :]
    keep = relevant.any(axis=1)
    if not keep.any():
        raise ValueError("no query has a relevant gallery item")
    return s[keep], relevant[keep]


def mean_average_precision(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray) -> float:
    """Mean over queries of the average precision of the class-matching gallery items."""
    s, relevant = _relevance(similarity, query_labels, gallery_labels)
    score = _sklearn_metrics().average_precision_score
    return float(np.mean([score(r, row) for r, row in zip(relevant, s, strict=True)]))


def _top_k_hits(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray, k: int
                ) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    s, relevant = _relevance(similarity, query_labels, gallery_labels)
    # sort by descending score; within a tie, irrelevant items first (pessimistic)
    order = np.lexsort((relevant, -s), axis=-1)
    top = np.take_along_axis(relevant, order[:, :k], axis=1)
    return top.sum(axis=1), relevant.sum(axis=1)


def precision_at_k(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray, k: int) -> float:
    """Mean over queries of (relevant items among the top k) / k."""
    hits, _ = _top_k_hits(similarity, query_labels, gallery_labels, k)
    return float(np.mean(hits / k))


def recall_at_k(similarity: np.ndarray, query_labels: np.ndarray, gallery_labels: np.ndarray, k: int) -> float:
    """Mean over queries of (relevant items among the top k) / (relevant items in the gallery)."""
    hits, n_relevant = _top_k_hits(similarity, query_labels, gallery_labels, k)
    return float(np.mean(hits / n_relevant))


def paired_cosine(embeddings: np.ndarray) -> np.ndarray:
    """Cosine similarity between the first and second half of each row: (n, 2d) -> (n_query, n_gallery)."""
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or e.shape[1] % 2 or e.shape[1] == 0:
        raise ValueError(f"paired embeddings must have shape (n, 2d), got {e.shape}")
    d = e.shape[1] // 2
    q, g = e[:, :d], e[:, d:]
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    return q @ g.T
