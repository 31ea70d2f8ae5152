"""Retrieval metrics on the inputs the older tests never gave them (issue 20, mutation testing).

Each test here kills mutmut survivors of harness.metrics.retrieval / class_retrieval: input dtypes that a
model or a hand-built list really produces (float16 embeddings, uint8 or Python-list scores with a missing
value, float targets), the refusals' messages, and cosine similarity of vectors that are not unit length.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from harness.metrics import class_retrieval as cr
from harness.metrics.retrieval import recall_at_k, retrieval_ranks

SIM = np.array([[0.9, 0.1, 0.4], [0.2, 0.8, 0.3], [0.5, 0.6, 0.7]])


def test_a_python_list_with_a_missing_score_is_refused_as_nan_not_a_type_error() -> None:
    with pytest.raises(ValueError, match="^similarity contains nan$"):
        retrieval_ranks([[1.0, None], [0.5, 0.2]])
    with pytest.raises(ValueError, match="^similarity contains nan or inf$"):
        cr.precision_at_k([[1.0, None], [0.5, 0.2]], np.array([0, 1]), np.array([0, 1]), 1)
    with pytest.raises(ValueError, match="^similarity contains nan or inf$"):
        cr.mean_average_precision(np.array([[1.0, np.inf], [0.5, 0.2]]), np.array([0, 1]), np.array([0, 1]))


def test_no_query_with_a_relevant_item_is_refused_with_its_message() -> None:
    with pytest.raises(ValueError, match="^no query has a relevant gallery item$"):
        cr.recall_at_k(np.eye(2), np.array([0, 1]), np.array([2, 3]), 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_integer_valued_float_targets_rank_like_integer_targets(dtype) -> None:
    targets = np.array([2, 0, 1])
    expected = retrieval_ranks(SIM, targets).tolist()
    assert retrieval_ranks(SIM, targets.astype(dtype)).tolist() == expected
    assert recall_at_k(SIM, 1, targets.astype(dtype)) == recall_at_k(SIM, 1, targets)


@pytest.mark.parametrize("targets", [np.array([0.5, 1.0, 2.0]), np.array([True, False, True]),
                                     np.array(["0", "1", "2"])])
def test_non_integer_targets_are_refused(targets) -> None:
    with pytest.raises(ValueError, match="targets must be integer gallery indices"):
        retrieval_ranks(SIM, targets)


def test_unsigned_integer_similarities_rank_higher_scores_first() -> None:
    # uint8 scores (e.g. quantised): negating them in uint8 would wrap around and reverse the order.
    sim = np.array([[200, 10, 100], [10, 200, 100]], dtype=np.uint8)
    labels = np.array([0, 1])
    gallery = np.array([0, 1, 2])
    assert cr.precision_at_k(sim, labels, gallery, 1) == 1.0
    assert cr.recall_at_k(sim, labels, gallery, 1) == 1.0


@pytest.mark.parametrize("k", [True, 0, 1.0])
def test_class_retrieval_k_must_be_a_positive_integer(k) -> None:
    with pytest.raises(ValueError, match="k must be a positive integer"):
        cr.precision_at_k(np.eye(2), np.array([0, 1]), np.array([0, 1]), k)


def test_paired_cosine_matches_scikit_learn_for_vectors_of_any_length() -> None:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 3)) * rng.choice([1e-3, 0.5, 1.0, 40.0], size=(4, 1))
    g = rng.normal(size=(4, 3)) * rng.choice([1e-3, 0.5, 1.0, 40.0], size=(4, 1))
    np.testing.assert_allclose(cr.paired_cosine(np.hstack([q, g])), cosine_similarity(q, g), rtol=1e-9)
    # a zero vector is similar to nothing (0), not nan
    assert cr.paired_cosine(np.array([[0.0, 0.0, 1.0, 0.0]])).tolist() == [[0.0]]


def test_paired_cosine_of_float16_embeddings_does_not_overflow() -> None:
    # 300**2 overflows float16 (max 65504): the norms must be taken in float64.
    e = np.array([[300.0, 0.0, 300.0, 0.0], [0.0, 300.0, 300.0, 300.0]], dtype=np.float16)
    np.testing.assert_allclose(cr.paired_cosine(e), [[1.0, 2**-0.5], [0.0, 2**-0.5]], rtol=1e-6)


@pytest.mark.parametrize("shape", [(3, 0), (3, 3), (3,)])
def test_paired_cosine_refuses_rows_that_do_not_split_in_two_halves(shape) -> None:
    with pytest.raises(ValueError, match=r"paired embeddings must have shape \(n, 2d\)"):
        cr.paired_cosine(np.ones(shape))
