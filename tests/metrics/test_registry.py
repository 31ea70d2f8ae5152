"""Registry: names, directions, uniform signature per output kind, errors."""

import dataclasses

import numpy as np
import pytest

from harness.metrics import classification as clf
from harness.metrics import msa, retrieval
from harness.metrics.registry import (
    OUTPUT_KINDS,
    MetricDef,
    UnknownMetricError,
    compute_metrics,
    get_metric,
    list_metrics,
)

EXPECTED = {
    "regression": ["Has0_acc_2", "Has0_F1_score", "Non0_acc_2", "Non0_F1_score", "Mult_acc_5", "Mult_acc_7",
                   "MAE", "Corr", "mse", "r2"],
    "single-label": ["accuracy", "macro_f1", "weighted_f1"],
    "binary": ["precision_pos", "recall_pos", "f1_pos"],
    "multi-label": ["mAP"],
    "retrieval": ["R@1", "R@5", "R@10", "median_rank"],
    "class-retrieval": ["class_mAP_q2g", "class_P@10_q2g", "class_R@10_q2g", "class_mAP_g2q", "class_P@10_g2q",
                        "class_R@10_g2q"],
}
LOWER_IS_BETTER = {"MAE", "mse", "median_rank"}

rng = np.random.default_rng(0)
N = 24
REG_TRUE = np.round(rng.uniform(-3, 3, N) * 3) / 3
REG_OUT = REG_TRUE + rng.normal(0, 0.8, N)
CLS_TRUE = rng.integers(0, 3, N)
CLS_OUT = rng.normal(size=(N, 3))
BIN_TRUE = rng.integers(0, 2, N)
BIN_OUT = rng.normal(size=(N, 2))
ML_TRUE = rng.integers(0, 2, size=(N, 4))
ML_OUT = rng.normal(size=(N, 4))
RET_TRUE = rng.permutation(30)[:N]
RET_OUT = rng.normal(size=(N, 30))
CRET_TRUE = np.repeat(np.arange(3), 10)  # 10 pairs per class, so P@10 and R@10 can both reach 1
CRET_OUT = rng.normal(size=(30, 8))
INPUTS = {
    "regression": (REG_TRUE, REG_OUT),
    "single-label": (CLS_TRUE, CLS_OUT),
    "binary": (BIN_TRUE, BIN_OUT),
    "multi-label": (ML_TRUE, ML_OUT),
    "retrieval": (RET_TRUE, RET_OUT),
    "class-retrieval": (CRET_TRUE, CRET_OUT),
}


def test_registered_names_kinds_and_directions():
    assert list_metrics() == [name for names in EXPECTED.values() for name in names]
    for kind, names in EXPECTED.items():
        assert list_metrics(kind) == names
        for name in names:
            d = get_metric(name)
            assert isinstance(d, MetricDef) and d.name == name and d.output_kind == kind
            assert d.higher_is_better == (name not in LOWER_IS_BETTER)
            assert d.reference and d.description
    assert set(OUTPUT_KINDS) == set(EXPECTED)


def test_metric_defs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_metric("MAE").higher_is_better = True  # type: ignore[misc]


@pytest.mark.parametrize("name", [n for names in EXPECTED.values() for n in names])
def test_uniform_signature_returns_a_python_float(name):
    d = get_metric(name)
    value = d.fn(*INPUTS[d.output_kind])
    assert type(value) is float and np.isfinite(value)


def test_registry_values_equal_the_plain_functions():
    assert compute_metrics(list(msa.MSA_METRIC_NAMES), REG_TRUE, REG_OUT) == msa.msa_regression_metrics(
        REG_TRUE, REG_OUT
    )
    pred = CLS_OUT.argmax(axis=1)
    assert compute_metrics(["accuracy", "macro_f1", "weighted_f1"], CLS_TRUE, CLS_OUT) == {
        "accuracy": clf.accuracy(CLS_TRUE, pred),
        "macro_f1": clf.macro_f1(CLS_TRUE, pred),
        "weighted_f1": clf.weighted_f1(CLS_TRUE, pred),
    }
    assert get_metric("f1_pos").fn(BIN_TRUE, BIN_OUT) == clf.f1_pos(BIN_TRUE, BIN_OUT.argmax(axis=1))
    assert get_metric("mAP").fn(ML_TRUE, ML_OUT) == clf.mean_average_precision(ML_TRUE, ML_OUT)
    assert get_metric("R@5").fn(RET_TRUE, RET_OUT) == retrieval.recall_at_k(RET_OUT, 5, RET_TRUE)
    assert get_metric("median_rank").fn(RET_TRUE, RET_OUT) == retrieval.median_rank(RET_OUT, RET_TRUE)


def _perfect_output(kind: str) -> np.ndarray:
    y = INPUTS[kind][0]
    if kind == "regression":
        return y.astype(float)
    if kind in ("single-label", "binary"):
        return np.eye(int(y.max()) + 1)[y]
    if kind == "multi-label":
        return y.astype(float)
    if kind == "class-retrieval":
        return np.concatenate([np.eye(3)[y], np.eye(3)[y]], axis=1)
    sim = np.zeros((N, 30))
    sim[np.arange(N), y] = 1.0
    return sim


@pytest.mark.parametrize("name", [n for names in EXPECTED.values() for n in names])
def test_perfect_outputs_give_the_optimum(name):
    d = get_metric(name)
    value = d.fn(INPUTS[d.output_kind][0], _perfect_output(d.output_kind))
    optimum = {"MAE": 0.0, "mse": 0.0, "median_rank": 1.0}.get(name, 1.0)
    assert value == pytest.approx(optimum)


def test_unknown_metric_suggests_close_names_and_lists_choices():
    with pytest.raises(UnknownMetricError) as info:
        get_metric("mae")
    err = info.value
    assert isinstance(err, KeyError)
    assert err.suggestions[0] == "MAE"
    assert err.choices == list_metrics()
    assert "Did you mean 'MAE'" in str(err) and "Valid metrics: Has0_acc_2" in str(err)
    with pytest.raises(UnknownMetricError, match="Did you mean 'R@5'"):
        get_metric("R@3")
    with pytest.raises(UnknownMetricError) as info:
        get_metric("bleu")
    assert info.value.suggestions == [] and "Did you mean" not in str(info.value)


def test_compute_metrics_checks_every_name_before_computing_and_rejects_a_bare_string():
    with pytest.raises(UnknownMetricError):
        compute_metrics(["MAE", "not_a_metric"], np.zeros(2), np.zeros((2, 7, 7)))  # bad shape never reached
    with pytest.raises(TypeError, match="single string"):
        compute_metrics("MAE", REG_TRUE, REG_OUT)


def test_float_labels_with_integer_values_are_accepted():
    assert get_metric("accuracy").fn(CLS_TRUE.astype(float), CLS_OUT) == get_metric("accuracy").fn(
        CLS_TRUE, CLS_OUT
    )


@pytest.mark.parametrize(
    ("name", "y_true", "y_output", "message"),
    [
        ("accuracy", np.array([0, 3]), np.zeros((2, 3)), r"\[0, C\) = \[0, 3\)"),
        ("accuracy", np.array([0, 1, 1]), np.zeros((2, 3)), r"shape \(n,\) = \(2,\)"),
        ("accuracy", np.array([0.5, 1.0]), np.zeros((2, 3)), "integer class labels"),
        ("accuracy", np.array([0, 1]), np.zeros(2), r"shape \(n, C\)"),
        ("f1_pos", np.array([0, 1]), np.zeros((2, 3)), r"shape \(n, 2\)"),
        ("MAE", np.zeros(3), np.zeros((3, 2)), r"shape \(n,\) or \(n, 1\)"),
        ("mAP", np.zeros((2, 2)), np.zeros((3, 2)), "same shape"),
        ("R@1", np.array([0, 5]), np.zeros((2, 5)), r"\[0, 5\)"),
    ],
)
def test_invalid_inputs_raise_value_error(name, y_true, y_output, message):
    with pytest.raises(ValueError, match=message):
        get_metric(name).fn(y_true, y_output)


def test_list_metrics_rejects_unknown_kind():
    with pytest.raises(ValueError, match="output_kind"):
        list_metrics("ranking")  # type: ignore[arg-type]
