"""Classification and MSA regression metrics on inputs the older tests never gave them (issue 20).

Each test kills mutmut survivors of harness.metrics.classification / msa: a missing value in a Python list
must be refused as nan (not crash with a TypeError), every refusal names the argument at fault, empty or
one-class score matrices are told apart, and a non-default positive label is honoured.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics import classification as cl
from harness.metrics import msa


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (3,)])
def test_labels_from_scores_refuses_empty_or_flat_scores(shape) -> None:
    with pytest.raises(ValueError, match=r"class scores must have shape \(n, C\) with n, C >= 1"):
        cl.labels_from_scores(np.ones(shape))


def test_labels_from_scores_of_a_single_class_is_that_class() -> None:
    assert cl.labels_from_scores(np.array([[0.3], [-2.0]])).tolist() == [0, 0]


def test_labels_from_scores_refuses_a_missing_score_in_a_python_list() -> None:
    with pytest.raises(ValueError, match="^class scores contain nan$"):
        cl.labels_from_scores([[0.1, None], [0.2, 0.3]])


@pytest.mark.parametrize("bad", ["y_true", "scores"])
@pytest.mark.parametrize("shape", [(0, 2), (2, 0), (4,)])
def test_multilabel_map_names_the_argument_whose_shape_is_wrong(bad, shape) -> None:
    good = np.array([[1, 0], [0, 1]])
    args = {"y_true": good, "scores": good.astype(float)} | {bad: np.ones(shape)}
    with pytest.raises(ValueError, match=rf"^{bad} must have shape \(n, L\) with n, L >= 1 for multi-label"):
        cl.mean_average_precision(args["y_true"], args["scores"])


def test_multilabel_map_refusals_say_what_is_wrong() -> None:
    t = np.array([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="^multi-label y_true must contain only 0 and 1$"):
        cl.mean_average_precision(np.array([[2, 0], [0, 1]]), t.astype(float))
    with pytest.raises(ValueError, match="^scores contain nan$"):
        cl.mean_average_precision(t, np.array([[np.nan, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="^scores contain nan$"):
        cl.mean_average_precision(t, [[None, 0.0], [0.0, 1.0]])


def test_binary_scores_honour_a_non_default_positive_label() -> None:
    t = np.array([0, 0, 1, 1, 1])
    p = np.array([0, 1, 1, 1, 0])
    # positive class 0: predicted 0 twice (one right), truly 0 twice (one found)
    assert cl.precision_pos(t, p, pos_label=0) == 0.5
    assert cl.recall_pos(t, p, pos_label=0) == 0.5
    assert cl.f1_pos(t, p, pos_label=0) == 0.5
    assert cl.precision_pos(t, p) == pytest.approx(2 / 3)


@pytest.mark.parametrize("bad", ["y_true", "y_pred"])
def test_regression_refusals_name_the_argument(bad) -> None:
    good = np.array([0.5, -1.0])
    cases = [(np.ones((2, 2)), rf"^{bad} must have shape \(n,\) or \(n, 1\) for regression"),
             (np.array([]), rf"^{bad} is empty"),
             (np.array([0.5, np.inf]), rf"^{bad} contains nan or inf$"),
             ([0.5, None], rf"^{bad} contains nan or inf$")]  # a Python list with a missing value
    for value, message in cases:
        args = {"y_true": good, "y_pred": good} | {bad: value}
        with pytest.raises(ValueError, match=message):
            msa.msa_regression_metrics(args["y_true"], args["y_pred"])


@pytest.mark.parametrize("bad", ["y_true", "y_pred"])
def test_label_refusals_name_the_argument(bad) -> None:
    good = np.array([0, 1])
    for value, message in [(np.ones((2, 2)), rf"^{bad} must be a 1-D array of labels"),
                           (np.array([], dtype=int), rf"^{bad} is empty")]:
        args = {"y_true": good, "y_pred": good} | {bad: value}
        with pytest.raises(ValueError, match=message):
            cl.accuracy(args["y_true"], args["y_pred"])
