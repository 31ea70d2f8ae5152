"""The metric registry's label handling and refusals where the older tests were silent (issue 20).

Each test kills mutmut survivors of harness.metrics.registry. (The metric functions the registry builds at import,
``_from_scores``/``_recall_at``/``_class_retrieval``, are out of mutmut's reach: it switches a mutant on when its
function is called, and these run once, at import.)
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.metrics.registry import OUTPUT_KINDS, UnknownMetricError, _integer_labels, get_metric, list_metrics

SCORES = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])


@pytest.mark.parametrize("labels", [np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0], dtype=np.float32),
                                    np.array([0, 1, 1], dtype=np.int32), np.array([False, True, True])])
def test_integer_valued_labels_of_any_numeric_dtype_become_int64(labels) -> None:
    out = _integer_labels(labels, "y_true")
    assert out.dtype == np.int64 and out.tolist() == [0, 1, 1]
    assert get_metric("accuracy").fn(labels, SCORES) == pytest.approx(2 / 3)


@pytest.mark.parametrize("labels", [np.array(["a", "b", "b"]), np.array([0.5, 1.0, 0.0])])
def test_labels_that_are_not_class_ids_are_refused_naming_y_true(labels) -> None:
    with pytest.raises(ValueError, match=r"^y_true must hold integer class labels, got dtype"):
        get_metric("accuracy").fn(labels, SCORES)


def test_an_unknown_output_kind_is_refused_listing_the_kinds() -> None:
    with pytest.raises(ValueError, match=f"^output_kind must be one of {', '.join(OUTPUT_KINDS)}, got 'scores'$"):
        list_metrics("scores")


def test_an_unknown_metric_suggests_at_most_three_close_names_joined_by_or() -> None:
    with pytest.raises(UnknownMetricError) as info:
        get_metric("class_P3_q2g")
    err = info.value
    assert err.name == "class_P3_q2g" and len(err.suggestions) == 3 and err.args == (err.message,)
    hint = " or ".join(repr(s) for s in err.suggestions)
    assert str(err) == f"unknown metric 'class_P3_q2g'. Did you mean {hint}? Valid metrics: {', '.join(err.choices)}"


def test_an_unknown_metric_without_close_names_lists_the_valid_ones_only() -> None:
    with pytest.raises(UnknownMetricError) as info:
        get_metric("zzzzzz")
    assert str(info.value) == f"unknown metric 'zzzzzz'. Valid metrics: {', '.join(info.value.choices)}"
