"""Metrics: pure functions over numpy arrays, statistics over seeds and test items, and a registry.

* :mod:`.msa` -- MOSI/MOSEI regression suite identical to MMSA's ``metricsTop`` (plus MSE, R^2);
* :mod:`.classification` -- accuracy, F1 variants, binary precision/recall/F1, multi-label mAP;
* :mod:`.retrieval` -- R@K and median rank from a similarity matrix;
* :mod:`.statistics` -- seed summaries, bootstrap intervals and paired tests;
* :mod:`.registry` -- every metric behind ``fn(y_true, y_output) -> float``, looked up by name.
"""

from harness.metrics.classification import (
    accuracy,
    f1_pos,
    labels_from_scores,
    macro_f1,
    mean_average_precision,
    precision_pos,
    recall_pos,
    weighted_f1,
)
from harness.metrics.msa import (
    MSA_METRIC_NAMES,
    corr,
    has0_acc_2,
    has0_f1_score,
    mae,
    msa_regression_metrics,
    mse,
    mult_acc_5,
    mult_acc_7,
    non0_acc_2,
    non0_f1_score,
    r2,
    validate_regression,
)
from harness.metrics.registry import (
    OUTPUT_KINDS,
    MetricDef,
    OutputKind,
    UnknownMetricError,
    compute_metrics,
    get_metric,
    list_metrics,
)
from harness.metrics.retrieval import median_rank, recall_at_k, retrieval_ranks
from harness.metrics.statistics import (
    BootstrapCI,
    McNemarResult,
    PairedComparison,
    Summary,
    bootstrap_ci,
    mcnemar,
    paired_bootstrap,
    paired_t_test,
    sample_std,
    summarize,
    t_interval,
)

__all__ = [
    "MSA_METRIC_NAMES",
    "OUTPUT_KINDS",
    "BootstrapCI",
    "McNemarResult",
    "MetricDef",
    "OutputKind",
    "PairedComparison",
    "Summary",
    "UnknownMetricError",
    "accuracy",
    "bootstrap_ci",
    "compute_metrics",
    "corr",
    "f1_pos",
    "get_metric",
    "has0_acc_2",
    "has0_f1_score",
    "labels_from_scores",
    "list_metrics",
    "macro_f1",
    "mae",
    "mcnemar",
    "mean_average_precision",
    "median_rank",
    "mse",
    "msa_regression_metrics",
    "mult_acc_5",
    "mult_acc_7",
    "non0_acc_2",
    "non0_f1_score",
    "paired_bootstrap",
    "paired_t_test",
    "precision_pos",
    "r2",
    "recall_at_k",
    "recall_pos",
    "retrieval_ranks",
    "sample_std",
    "summarize",
    "t_interval",
    "validate_regression",
    "weighted_f1",
]
