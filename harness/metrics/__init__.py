"""Metrics: pure functions over numpy arrays, statistics over seeds and test items, and a registry.

* :mod:`.msa` -- MOSI/MOSEI regression suite identical to MMSA's ``metricsTop`` (plus MSE, R^2);
* :mod:`.classification` -- accuracy, F1 variants, binary precision/recall/F1, multi-label mAP;
* :mod:`.retrieval` -- R@K and median rank from a similarity matrix;
* :mod:`.statistics` -- seed summaries, bootstrap intervals and paired tests;
* :mod:`.registry` -- every metric behind ``fn(y_true, y_output) -> float``, looked up by name.
"""

from harness.lazy import lazy_exports

# Each public name and the submodule that defines it. The submodules are imported on first use (PEP 562):
# the registry is needed at start-up, scikit-learn and SciPy (statistics) are not.
_SOURCES = {
    "BootstrapCI": "statistics",
    "MSA_METRIC_NAMES": "msa",
    "McNemarResult": "statistics",
    "MetricDef": "registry",
    "OUTPUT_KINDS": "registry",
    "OutputKind": "registry",
    "PairedComparison": "statistics",
    "Summary": "statistics",
    "UnknownMetricError": "registry",
    "accuracy": "classification",
    "bootstrap_ci": "statistics",
    "compute_metrics": "registry",
    "corr": "msa",
    "f1_pos": "classification",
    "get_metric": "registry",
    "has0_acc_2": "msa",
    "has0_f1_score": "msa",
    "labels_from_scores": "classification",
    "list_metrics": "registry",
    "macro_f1": "classification",
    "mae": "msa",
    "mcnemar": "statistics",
    "mean_average_precision": "classification",
    "median_rank": "retrieval",
    "msa_regression_metrics": "msa",
    "mse": "msa",
    "mult_acc_5": "msa",
    "mult_acc_7": "msa",
    "non0_acc_2": "msa",
    "non0_f1_score": "msa",
    "paired_bootstrap": "statistics",
    "paired_t_test": "statistics",
    "precision_pos": "classification",
    "r2": "msa",
    "recall_at_k": "retrieval",
    "recall_pos": "classification",
    "retrieval_ranks": "retrieval",
    "sample_std": "statistics",
    "summarize": "statistics",
    "t_interval": "statistics",
    "validate_regression": "msa",
    "weighted_f1": "classification",
}


__getattr__ = lazy_exports(__name__, _SOURCES)


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
