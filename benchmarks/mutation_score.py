"""Mutation score of the code every verdict rests on (issue 20): mutmut's killed / survived, per module.

Run: make mutate                                              (every module of every group below)
     python benchmarks/mutation_score.py --recheck harness.metrics.msa       (rerun its survivors, e.g. new tests)
     python benchmarks/mutation_score.py harness.metrics.msa harness.runs.spec   (some modules)
     python benchmarks/mutation_score.py harness.metrics      (every module of one package)
     python benchmarks/mutation_score.py --report-only        (print the table and JSON of the last runs)

Not part of `make test` (nor of CI's time): each mutant reruns the tests that reach its function, which takes
minutes per module on 2 cores. Why the groups: mutmut first runs its whole test selection once to learn which
test reaches which function; with one selection for everything (as `[tool.mutmut]` in pyproject.toml has it) that
first run alone is the whole suite. Here each group (claims, runs, metrics, train, splits) gets its own work folder,
mutants/<group>/, with a pyproject.toml whose [tool.mutmut] mutates only that group's files and selects only the
tests that exercise them. mutmut keeps its results there, so an interrupted `make mutate` resumes where it stopped
and a second run re-tests only what changed. The summary goes to benchmarks/results/mutation.json (module,
killed, survived, timeout, score, survivors), merged per module so runs of single modules add up.

A survivor is a change to the code that no test notices: kill it with a test, or explain why it is equivalent (it
cannot change any behaviour). `cd mutants/<group> && mutmut show NAME` prints a survivor's change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code  # mutmut's own reading of a mutant's test exit code
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants"  # git-ignored
SUMMARY = ROOT / "benchmarks" / "results" / "mutation.json"
KILLED = {"killed", "timeout", "caught by type check"}
LINKED = ["harness", "baselines", "reproductions", "tests"]

# group -> (files mutmut mutates, tests that exercise them). The test lists are what reaches the group's code;
# mutmut then narrows each mutant to the tests that reached its function.
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "claims": (["harness/claims/*"], ["tests/claims"]),
    # tests/runs/test_execute.py runs a process pool, which hangs inside mutmut's stats process
    "runs": (["harness/runs/*"], [f"tests/runs/test_{name}.py" for name in (
        "runner", "record", "current_records", "migrate", "predictions", "mutation_runs",
        "backfill", "runner_mutation", "predictions_mutation", "migrate_mutation")]),
    "metrics": (["harness/metrics/*"], ["tests/metrics"]),
    # test_ddp spawns two processes per mutant (minutes each); the hooks/trainer tests reach the same code.
    # (batches.py's padding statistics are tested in tests/data)
    # (tests/train/test_checkpoint.py resumes in a fresh process, which imports the unmutated harness)
    "train": (["harness/train/*"], ["tests/train/test_hooks.py", "tests/train/test_trainer.py",
                                    "tests/train/test_mutation_train.py", "tests/data/test_padding_statistics.py",
                                    "tests/train/test_batches_mutation.py", "tests/train/test_checkpoint_mutation.py",
                                    "tests/train/test_device_mutation.py", "tests/train/test_model_mutation.py"]),
    "splits": (["harness/data/splits.py", "harness/data/dataset.py"],
               [f"tests/data/test_{name}.py" for name in ("core_datasets", "structured_samples", "padding_statistics",
                                                          "generic", "synthetic_conversation", "folds",
                                                          "mutation_splits")]),
}

# Survivors that cannot change behaviour (with the pinned numpy 2.x / scikit-learn 1.x), each with the reason; they
# count as survivors in mutmut's score and are left out of the second score. Checked by hand, one by one.
_ZIP = "zip(strict=...) over sequences that always have equal lengths"
_NAN = 'float("NAN") is nan too'
_F1_ZERO = ("zero_division of an averaged F1: scikit-learn averages over the labels present in y_true or y_pred, "
            "whose F1 denominator 2TP+FP+FN is never 0 (checked exhaustively on small inputs: no value, no warning)")
_BINARY = 'average="binary" is the scikit-learn default'
_V = "harness.claims.verdict."
EQUIVALENT: dict[str, str] = {
    "harness.metrics.class_retrieval.x__top_k_hits__mutmut_18": "np.lexsort's default axis is -1",
    "harness.metrics.class_retrieval.x__top_k_hits__mutmut_20": "axis=+1 is axis -1 of the 2-D relevance matrix",
    "harness.metrics.class_retrieval.x__top_k_hits__mutmut_28": "np.take_along_axis's default axis is -1 (numpy>=2.3)",
    "harness.metrics.class_retrieval.x_mean_average_precision__mutmut_16": _ZIP,
    "harness.metrics.class_retrieval.x_mean_average_precision__mutmut_19": _ZIP,
    "harness.metrics.class_retrieval.x_mean_average_precision__mutmut_20": _ZIP,
    "harness.metrics.classification.x_mean_average_precision__mutmut_45": _NAN,
    "harness.metrics.classification.x_mean_average_precision__mutmut_52": 'average="macro" is the scikit-learn default',
    "harness.metrics.classification.x_precision_pos__mutmut_16": _BINARY,
    "harness.metrics.classification.x_recall_pos__mutmut_16": _BINARY,
    "harness.metrics.classification.x_f1_pos__mutmut_16": _BINARY,
    "harness.metrics.classification.x_macro_f1__mutmut_14": _F1_ZERO,
    "harness.metrics.classification.x_macro_f1__mutmut_17": _F1_ZERO,
    "harness.metrics.classification.x_weighted_f1__mutmut_14": _F1_ZERO,
    "harness.metrics.classification.x_weighted_f1__mutmut_17": _F1_ZERO,
    "harness.metrics.msa.x_has0_f1_score__mutmut_14": _F1_ZERO,
    "harness.metrics.msa.x_has0_f1_score__mutmut_21": _F1_ZERO,
    "harness.metrics.msa.x_non0_f1_score__mutmut_19": _F1_ZERO,
    "harness.metrics.msa.x_non0_f1_score__mutmut_22": _F1_ZERO,
    "harness.metrics.statistics.x_mcnemar__mutmut_54": "p = 2.0 without discordant pairs is clipped to 1.0 by the "
                                                       "min(p, 1.0) on return",
    "harness.metrics.statistics.x_mcnemar__mutmut_65": "binomtest's default success probability is 0.5",
    "harness.metrics.statistics.x_paired_t_test__mutmut_43": _NAN,
    "harness.metrics.statistics.x_t_interval__mutmut_9": _NAN,
    "harness.metrics.statistics.x_t_interval__mutmut_12": _NAN,
    "harness.metrics.statistics.x__replicates__mutmut_11": "the metric values are floats: the array is float64 either "
                                                           "way",
    "harness.metrics.statistics.x__replicates__mutmut_13": "the metric values are floats: the array is float64 either "
                                                           "way",
    "harness.metrics.statistics.x__resample_indices__mutmut_11": "blocks of 2 or 1 resamples draw the same stream of "
                                                                "indices from the generator",
    "harness.metrics.statistics.x__resample_indices__mutmut_23": "rng.integers(n) draws the same stream as "
                                                                 "rng.integers(0, n)",
    "harness.metrics.statistics.x_sample_std__mutmut_7": _NAN,
    "harness.metrics.bootstrap.x__by_function__mutmut_20": "None stored in a float array is nan",
    "harness.data.dataset.x__validate_labels__mutmut_25": "numpy reads any negative reshape size as the unknown one",
    "harness.data.dataset.x_validate_split__mutmut_53": "numpy reads any negative reshape size as the unknown one",
    "harness.metrics.registry.xǁUnknownMetricErrorǁ__init____mutmut_10": "n=3 is difflib's default",
    "harness.metrics.registry.xǁUnknownMetricErrorǁ__init____mutmut_11": "cutoff=0.6 is difflib's default",
    "harness.metrics.bootstrap.x__f64__mutmut_1": "astype(None) is astype(float64)",
    **{f"harness.metrics.bootstrap.x__ratio__mutmut_{i}": "0/1 values summed in float64 instead of float32: both "
       "sums are exact (float32 is only faster)" for i in (1, 6, 9, 10)},
    **{f"harness.metrics.bootstrap.x__ratio__mutmut_{i}": "the float32 threshold at 2**20 or 2**21 items: float32 "
       "sums of integers stay exact below 2**24" for i in (5, 7, 8)},
    **{f"harness.metrics.bootstrap.x__ratio__mutmut_{i}": "one operand in float64: numpy promotes the product, "
       "exact either way" for i in (13, 20)},
    **{f"harness.metrics.bootstrap.{f}": "astype's copy= only: the cast array is never written"
       for f in ("x__ratio__mutmut_14", "x__ratio__mutmut_16", "x__ratio__mutmut_17", "x__confusion__mutmut_24",
                 "x__confusion__mutmut_26", "x__confusion__mutmut_27")},
    "harness.metrics.bootstrap.x__ratio__mutmut_19": "astype(None) is astype(float64)",
    **{f"harness.metrics.bootstrap.x__ratio__mutmut_{i}": "row sums of counts are integers below 2**24, exact in "
       "float32 too" for i in (22, 24)},
    **{f"harness.metrics.bootstrap.x__confusion__mutmut_{i}": "one-hot counts in float64 instead of float32: "
       "integer sums are exact either way" for i in (12, 14, 23)},
    "harness.metrics.bootstrap.x__confusion__mutmut_35": "numpy reads any negative reshape size as the unknown one",
    "harness.metrics.bootstrap.x_exact_binomial__mutmut_6": 'proportion_ci\'s default method is "exact"',
    "harness.metrics.bootstrap.x_metric_replicates__mutmut_22": "< and <= 1e-9 differ only at a gap of exactly 1e-9",
    **{f"harness.metrics.bootstrap.x_vectorised_value__mutmut_{i}": "float ones weigh items as int32 ones do"
       for i in (16, 18)},
    "harness.metrics.bootstrap.x_vectorised_value__mutmut_19": "row 0 of two rows of ones is the same row of ones",
    **{f"harness.metrics.registry.x__class_retrieval__mutmut_{i}": "paired_cosine returns a square (n, n) matrix: "
       "shape[1] is shape[0]" for i in (11, 13)},
    "harness.metrics.bootstrap.x_resample_counts__mutmut_32": "rng.integers(units) draws the same stream as "
                                                              "rng.integers(0, units)",
    "harness.metrics.bootstrap.x__per_class_f1__mutmut_30": "true + predicted = 1 means tp = 0: F1 is 0 either way",
    **{f"harness.runs.store.x_atomic_write__mutmut_{i}": "the temporary exists whenever an exception reaches the "
       "handler (os.replace, the last step, renames all or nothing), so missing_ok is never needed" for i in (23, 25)},
    "harness.metrics.msa.x__non_zero__mutmut_10": "t >= 0 equals t > 0 once the zero-truth items are dropped",
    "harness.metrics.msa.x_msa_regression_metrics__mutmut_8": _ZIP,
    "harness.metrics.msa.x_msa_regression_metrics__mutmut_11": _ZIP,
    "harness.metrics.msa.x_msa_regression_metrics__mutmut_12": _ZIP,
    "harness.metrics.msa.x_non0_acc_2__mutmut_9": _NAN,
    "harness.metrics.msa.x_non0_f1_score__mutmut_9": _NAN,
    "harness.data.dataset.xǁMultimodalDatasetǁfingerprint__mutmut_20": '"XXOUSXX" still holds the kinds O, U and S',
    "harness.data.dataset.x__validate_groups__mutmut_7": '"XXiuUXX" still holds the kinds i, u and U',
    "harness.data.dataset.x__validate_groups__mutmut_19": '"XXiuXX" still holds the kinds i and u',
    "harness.data.dataset.x__validate_labels__mutmut_2": '"XXbiufXX" still holds the kinds b, i, u and f',
    "harness.data.dataset.xǁMultimodalDatasetǁfingerprint__mutmut_24": "a list of str becomes a str_ array anyway",
    "harness.data.dataset.xǁMultimodalDatasetǁfingerprint__mutmut_26": "a list of str becomes a str_ array anyway",
    "harness.data.dataset.xǁMultimodalDatasetǁfingerprint__mutmut_35": 'cast("b") hands sha256 the same bytes as "B"',
    "harness.data.dataset.xǁSplitǁpooled__mutmut_8": "numpy reads any negative reshape size as the unknown one",
    "harness.data.dataset.xǁSplitǁimages__mutmut_15": "astype(copy=None) does not copy a float32 array either",
    "harness.data.splits.x__held_out__mutmut_40": "KFold.split ignores its y (only StratifiedKFold reads it)",
    "harness.train.hooks.xǁGroupBatchesǁof__mutmut_14": 'numpy reads sort kinds case-insensitively: "STABLE" is stable',
    **{f"harness.train.hooks.xǁTensorRowsǁbatch__mutmut_{i}": "indexing takes an index tensor on any device; "
       "putting it on the data's device only saves a copy" for i in (2, 4, 6, 8)},
    **{f"harness.train.trainer.xǁSelectionǁ__init____mutmut_{i}": "the first epoch always improves on no score and "
       "resets since_best to 0, so its starting value is never read" for i in (5, 6)},
    **{f"harness.train.trainer.xǁTrainerǁfit__mutmut_{i}": "fit's one phase is never named in the history (only "
       "several phases are) and its only callback, Selection, ignores the name" for i in (46, 47)},
    "harness.train.trainer.xǁTrainerǁrun__mutmut_19": "with no frozen prefixes, startswith(()) is False for every "
                                                      "name: the frozen list is empty either way",
    "harness.train.trainer.xǁTrainerǁfit__mutmut_32": "fit's one phase is never named in the history (only several "
                                                      "phases are) and its only callback, Selection, ignores the name",
    **{f"harness.train.objective.x_objective_for__mutmut_{i}": "+1 and -1 name the same axis of the 2-D (n, 1) "
       "outputs and (n, C) logits a head emits" for i in (27, 33, 56)},
    **{f"harness.runs.record.x_parse_record__mutmut_{i}": "the '(record)' label of an error without a location: "
       "parse_record refuses anything but a JSON object before validating, so every schema error has one"
       for i in (37, 38)},
    "harness.runs.predictions.x__small_int__mutmut_5": '"XXiuXX" still holds the kinds i and u',
    **{k: "allow_pickle=False is np.load's default" for k in (
        "harness.runs.predictions.x_read_predictions__mutmut_11", "harness.runs.backfill.x__backfill_one__mutmut_20")},
    **{k: "allow_pickle=None is falsy: object arrays are refused as with False" for k in (
        "harness.runs.predictions.x_read_predictions__mutmut_9", "harness.runs.backfill.x__backfill_one__mutmut_18")},
    "harness.runs.predictions.xǁItemPredictionsǁoutput__mutmut_25": "np.argsort's default axis is -1, axis 1 of the "
    "2-D mask",
    "harness.runs.predictions.xǁItemPredictionsǁoutput__mutmut_31": 'numpy reads sort kinds case-insensitively: '
    '"STABLE" is stable',
    "harness.runs.runner.x__compute__mutmut_131": "max(2, n) and max(1, n) differ only below 2 scored items, which "
    "the task schema (select != report) and the empty-split refusal rule out",
    "harness.runs.migrate.x_migrate_v1__mutmut_55": "allow_nan=True is json.dumps' default",
    **{f"harness.runs.migrate.x_v1_run_id__mutmut_{i}": "json.dumps calls default only for values JSON cannot hold; "
       "v1 specs come from JSON records or make_spec's plain config" for i in (4, 7)},
    "harness.runs.backfill.x__backfill_one__mutmut_74": "backfill reads current records only, whose task hash covers "
    "the metric list: the task's metrics are the record's",
    **{f"harness.runs.backfill.x__backfill_one__mutmut_{i}": "cached is not a stored field: the new record is only "
       "written and read back" for i in (80, 83, 84)},
    "harness.runs.backfill.x_backfill_predictions__mutmut_10": '"" and None are both falsy: the report split loads on '
    "the first record either way",
    "harness.runs.record.x_dump_record__mutmut_8": "allow_nan=True is json.dumps' default",
    # harness.claims (rules v1-v3, the ledger, the loader, diff and the commands)
    **{_V + f: "per-seed values reach the rules as Python floats (Ledger.values): the array is float64 either way"
       for f in ("x_absolute_verdict__mutmut_6", "x_absolute_verdict__mutmut_8", "x__absolute_v2__mutmut_7",
                 "x__absolute_v2__mutmut_9", "x__absolute_v3__mutmut_7", "x__absolute_v3__mutmut_9",
                 "x_relative_verdict__mutmut_21", "x_relative_verdict__mutmut_23", "x__relative_v3__mutmut_21",
                 "x__relative_v3__mutmut_23")},
    **{_V + f: "summarize's default confidence is 0.95, CONFIDENCE"
       for f in ("x_absolute_verdict__mutmut_22", "x__absolute_v2__mutmut_14", "x__absolute_v3__mutmut_14")},
    **{_V + f: "paired_t_test's default confidence is 0.95, CONFIDENCE"
       for f in ("x_relative_verdict__mutmut_57", "x__relative_v3__mutmut_97")},
    **{_V + f: "combined_interval's default seed is BOOTSTRAP_SEED"
       for f in ("x__item_interval__mutmut_18", "x__relative_v3__mutmut_58")},
    **{_V + f: "a nan half-width (one seed, or an undefined interval) where 0 was: max(tolerance, nan, ...) keeps "
       "the first argument over a nan, so the allowance and the detail are the same"
       for f in ("x_absolute_verdict__mutmut_25", "x_absolute_verdict__mutmut_29", "x__absolute_v2__mutmut_92",
                 "x__absolute_v2__mutmut_96", "x__absolute_v3__mutmut_127")},
    _V + "x__absolute_v3__mutmut_132": "isfinite(high + low) for isfinite(high - low): combined_interval's "
    "bounds are both finite or both nan",
    **{_V + f: "the t quantile computed for one seed too (nan), but read only when k > 1"
       for f in ("x__absolute_v2__mutmut_19", "x__absolute_v2__mutmut_31", "x__absolute_v3__mutmut_84",
                 "x__absolute_v3__mutmut_96")},
    **{_V + f: "differs only at gap == 0, which is always 'reproduced' (the allowance is >= 0)"
       for f in ("x__absolute_v2__mutmut_121", "x__absolute_v3__mutmut_155", "x__absolute_v2__mutmut_129",
                 "x__absolute_v3__mutmut_163", "x_absolute_verdict__mutmut_50")},
    _V + "x_implausible__mutmut_23": "value >= high in a branch entered only when value > high or value < low: "
    "differs only if low >= high, which no metric in METRIC_BOUNDS has",
    **{_V + f"x__judge_v2_gates__mutmut_{i}": "rules_version left out: the gates are called only from _judge_v3, "
       "with version 3, Verdict's default RULES_VERSION" for i in (8, 21, 31, 44)},
    **{_V + f"x__relative_v3__mutmut_{i}": "rules_version=3 left out: 3 is Verdict's default RULES_VERSION"
       for i in (14, 83, 117, 166)},
    _V + "x__item_interval__mutmut_1": "the default of one_run: its only caller (_absolute_v3) always passes it",
    **{_V + f: "and -> or in the assert that a relative claim has both arms: the loader refuses such a claim "
       "(claim.py), and a hand-built one fails either way (KeyError instead of AssertionError)"
       for f in ("x__judge_v1__mutmut_42", "x__judge_v2__mutmut_59", "x__judge_v3__mutmut_20")},
    _V + "x__missing__mutmut_9": "ArmValues(None).report is None, and not None is True as not {} is",
    **{f"harness.claims.diff.xǁDifferenceǁrender__mutmut_{i}": "tabulate falls back to 'simple' for an unknown "
       "format name (same output)" for i in (15, 16)},
    "harness.claims.diff.x_cmd_diff__mutmut_21": "or -> and: a loaded claim has an arm exactly when it is absolute, "
    "so both conditions are true or false together",
    "harness.claims.table.x_render_claims__mutmut_31": "json.dumps reads ensure_ascii=None as False: non-ASCII "
    "text is kept either way",
    "harness.claims.document.x_paper_markdown__mutmut_23": "SEED_ONLY.split(None)[0] is 'seed-only:' too, and every "
    "seed-only marker verdict.py writes starts with 'seed-only: '",
    "harness.claims.commands.x_cmd_claims__mutmut_51": "tabulate reads showindex=None as showindex=False",
    "harness.claims.claim.x__claim__mutmut_189": "without a value the default is only compared < 0: 0 and 1 both "
    "give '+'",
    "harness.claims.claim.x__claim__mutmut_208": "reached only when value != 0, where >= 0 and > 0 agree (nan: both "
    "False)",
    "harness.claims.claim.x__protocol__mutmut_44": "_claim and _report check the same seeds (with where) first, so "
    "_protocol's refusal is never the one raised",
    **{f"harness.claims.ledger.xǁLedgerǁarm_values__mutmut_{i}": _ZIP for i in (52, 55, 56)},
    "harness.train.batches.xǁStandardizerǁfit__mutmut_8": "astype(None) is astype(float64)",
    **{f"harness.train.batches.xǁTensorDataǁ__init____mutmut_{i}": "torch.full with a bool fill value is a bool "
       "tensor already" for i in (37, 41)},
    **{f"harness.train.batches.xǁTensorDataǁbatch__mutmut_{i}": "the row index left on the CPU: indexing takes a CPU "
       "index for a tensor on any device (it copies the index); the values are the same" for i in (2, 4)},
    **{f"harness.train.batches.xǁTensorDataǁbatch__mutmut_{i}": "non_blocking only changes when the copy to the "
       "device happens, not what arrives" for i in (5, 7)},
    "harness.train.optim.x_adamw__mutmut_1": 'any schedule but "cosine" means none, as "none" does',
    "harness.train.optim.x_adamw__mutmut_2": 'any schedule but "cosine" means none, as "none" does',
    "harness.train.optim.x_warmup_cosine__mutmut_8": "max(2, warmup) differs only for warmup 1, whose one warm-up "
                                                     "step is step 0: 0 / anything = 0",
}

# Functions whose mutants no test run here can reach (mutmut's "no tests", or code only a GPU or several processes
# run): why. Not equivalent: they count against the score.
_DDP = ("runs only with world size > 1: tests/train/test_ddp.py (two gloo processes) checks it, but it is left out of "
        "the mutmut selection (two process starts per mutant)")
_GPU = ("CUDA only: not reached on this CPU machine (test_a_gpu_run_reports_its_peak_memory_in_mib in "
        "tests/train/test_mutation_train.py runs where a GPU is)")
UNREACHABLE: dict[str, str] = {
    **{f"harness.metrics.bootstrap.x__per_class_f1__mutmut_{i}": "np.divide(where=...) without out= leaves the "
       "masked entries (classes absent from a resample) uninitialised; fresh memory reads as 0 here, so no test "
       "sees it reliably" for i in (20, 24)},
    **{f"harness.runs.provenance.x__cpu_name__mutmut_{i}": "split(':') variants differ only for a CPU model name "
       "that itself holds ':' (none here); platform.processor() is non-empty here" for i in (10, 11, 13, 15)},
    **{f"harness.runs.provenance.x__git__mutmut_{i}": "the git timeout matters only when git hangs for 10 s"
       for i in (5, 9, 17)},
    "harness.runs.backfill.x__backfill_one__mutmut_58": "needs a metric that is nan on an ok record's finite stored "
    "outputs; the runner fails non-finite runs and no metric of a prepared-data task is nan on finite outputs",
    **{f"harness.runs.provenance.x__gpu_name__mutmut_{i}": _GPU for i in (1, 3, 4)},
    **{f"harness.runs.provenance.x_distributed__mutmut_{i}": _DDP + " (tests/sweep/test_torchrun.py checks the "
       "recorded world size and backend, outside the runs selection)" for i in range(2, 7)},
    "harness.train.trainer.xǁTrainerǁ_wrap": _DDP + "; module.to(device) is a no-op on CPU (GPU only)",
    "harness.train.trainer.xǁTrainerǁ_train_epoch__mutmut_13": _DDP,
    "harness.train.trainer.xǁTrainerǁ_run_phase__mutmut_12": "GradScaler(None) scales on CPU as GradScaler('cpu') "
                                                            "does (the fp16 underflow test passes on it); whether it "
                                                            "does on CUDA only a GPU run shows",
    **{f"harness.train.trainer.xǁTrainerǁ_train_epoch__mutmut_{i}": _DDP + " (the all-reduce of the logged sums)"
       for i in range(60, 87)},
    **{f"harness.train.trainer.xǁTrainerǁ__init____mutmut_{i}": _DDP + " (the process context picks a rank's GPU)"
       for i in (6, 8)},
    **{f"harness.train.trainer.xǁTrainerǁ_train_epoch__mutmut_{i}": _GPU + " (the log sums' device)" for i in (55, 57)},
    **{f"harness.train.trainer.xǁTrainerǁ{f}": _GPU + " (FitInfo's device defaults to cpu)"
       for f in ("run__mutmut_7", "fit__mutmut_61")},
    **{f"harness.train.trainer.xǁTrainerǁrun__mutmut_{i}": _GPU for i in (12, 13, 14, 53, 54, 55, 56, 57, 58, 59, 60,
                                                                         61, 62)},
    **{f"harness.train.trainer.xǁTrainerǁ_run_phase__mutmut_{i}": _GPU for i in (88, 89, 90)},
    **{f"harness.train.trainer.xǁTrainerǁ_run_phase__mutmut_{i}": "progress-bar text only (description, unit, "
       "leave, postfix): nothing a result or record holds" for i in (25, 26, 27, 28, 30, 31, 32, 33, 41, 42, 43, 44,
                                                                      45, 46, 47, 48, 49, 50, 126, 129, 130, 131,
                                                                      132, 133, 134, 136, 137)},
    **{f"harness.metrics.bootstrap.x__f1__mutmut_{i}": "np.divide(where=...) without out= leaves the masked "
       "entries uninitialised, as in _per_class_f1 (fresh memory reads as 0 here)" for i in (59, 63)},
    "harness.claims.verdict.x_rules_fingerprint__mutmut_4": "only test_rules_are_versioned_and_pinned sees it, and "
    "the mutation run leaves that test out: under mutmut every rule function's source differs, so every pin fails",
}


def _unreachable(key: str) -> str | None:
    return UNREACHABLE.get(key) or UNREACHABLE.get(key.split("__mutmut_")[0])


def group_of(module: str) -> str:
    """The group whose files hold a dotted module (or package) name."""
    path = module.replace(".", "/")
    for group, (patterns, _tests) in GROUPS.items():
        for pattern in patterns:
            if pattern.endswith("/*") and (path == pattern[:-2] or path.startswith(pattern[:-1])):
                return group
            if pattern == f"{path}.py":
                return group
    sys.exit(f"error: {module} is in no mutation group; groups: " + ", ".join(
        f"{g} ({', '.join(p)})" for g, (p, _t) in GROUPS.items()))


def prepare(group: str) -> Path:
    """mutants/<group>/ with links to the sources and tests, and a pyproject.toml narrowed to the group."""
    patterns, tests = GROUPS[group]
    work = WORK / group
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    text = (ROOT / "pyproject.toml").read_text()
    mutmut = tomllib.loads(text)["tool"]["mutmut"]
    # Drop the repository's [tool.mutmut] table (up to the next table) and write this group's.
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    mutmut |= {"only_mutate": patterns, "pytest_add_cli_args_test_selection": tests}
    lines = [f"{key} = {json.dumps(value)}" for key, value in mutmut.items()]  # lists of str: JSON is valid TOML
    config = text.rstrip() + "\n\n[tool.mutmut]\n" + "\n".join(lines) + "\n"
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text() != config:  # rewriting an unchanged one would look like a change
        target.write_text(config)
    return work


def group_modules(group: str) -> list[str]:
    """Dotted names of the files a group mutates."""
    paths = [p for pattern in GROUPS[group][0] for p in sorted(ROOT.glob(pattern + ".py" * pattern.endswith("*")))]
    return [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in paths]


def _pattern(module: str) -> str:
    # mutmut names a package's __init__ mutants after the package: harness.train.x_name__mutmut_1
    return f"{module.removesuffix('.__init__')}.x_*" if module.endswith(".__init__") else f"{module}.*"


def _meta(group: str, module: str) -> Path:
    return WORK / group / "mutants" / (module.replace(".", "/") + ".py.meta")


def _to_run(group: str, module: str, recheck: bool) -> list[str]:
    """What ``mutmut run`` gets for one module: its pattern on a first run, else the names of the mutants without a
    result, plus, with ``recheck``, the survivors (to see new tests kill them). mutmut reruns every mutant a pattern
    matches, so naming the few left is what makes a run resumable. After the source changed, mutmut's next run
    resets the results of the changed functions only; a run on one name (the first) lets it do that."""
    meta, source = _meta(group, module), ROOT / (module.replace(".", "/") + ".py")
    if not meta.exists():
        return [_pattern(module)]
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    left = [key for key, code in codes.items()
            if status_by_exit_code[code] == "not checked"
            or (recheck and status_by_exit_code[code] not in KILLED | {"skipped"} and key not in EQUIVALENT
                and not _unreachable(key))]
    stamp = meta.with_suffix(".source")
    if not left and codes and (not stamp.exists() or stamp.read_text() != source.read_text()):
        left = [next(iter(codes))]
    return left


def run_mutmut(group: str, modules: list[str], children: int, recheck: bool) -> None:
    """``nice -n 19 mutmut run`` on the named modules (every module of the group when empty) in its folder."""
    work = prepare(group)
    # The tests' default ../shared/data is relative to the checkout; the copy runs two levels below it, so pin it.
    env = {**os.environ, "MMREPRO_SHARED_DATA": os.environ.get("MMREPRO_SHARED_DATA")
           or str(ROOT.parent / "shared" / "data")}
    for module in modules or group_modules(group):
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
        done: set[str] = set()
        for _ in range(2):  # the second pass runs what a changed source left without a result
            names = [n for n in _to_run(group, module, recheck) if n not in done]
            if not names:
                break
            print(f"{module}: mutmut run on {names[0] if '*' in names[0] else f'{len(names)} mutant(s)'}", flush=True)
            subprocess.run(["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children",
                            str(children), *names], cwd=work, env=env, check=False)
            done |= set(names)
            if _meta(group, module).exists():
                _meta(group, module).with_suffix(".source").write_text(source)
        if not done:
            print(f"{module}: every mutant has a result (--recheck reruns the survivors)")


def results(group: str) -> dict[str, dict]:
    """Per-module counts and survivors from mutmut's result files of one group."""
    out: dict[str, dict] = {}
    base = WORK / group / "mutants"
    for meta in sorted(base.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(base).with_suffix("").with_suffix("").parts)
        counts: Counter = Counter()
        survivors = []
        for key, code in sorted(json.loads(meta.read_text())["exit_code_by_key"].items()):
            status = status_by_exit_code[code]
            counts[status] += 1
            if status not in KILLED and status not in ("not checked", "skipped"):
                why = _unreachable(key)
                survivors.append({"mutant": key, "status": status} | (
                    {"equivalent": EQUIVALENT[key]} if key in EQUIVALENT and status == "survived" else {})
                    | ({"why": why} if why else {}))
        if counts["not checked"] or not counts:
            continue  # not (fully) run yet, or nothing to mutate (a package's __init__ of imports)
        killed = sum(counts[s] for s in KILLED)
        tested = sum(counts.values()) - counts["skipped"]
        equivalent = sum("equivalent" in x for x in survivors)
        out[module] = {"module": module, "group": group, "killed": killed, "survived": counts["survived"],
                       "equivalent": equivalent, "out_of_reach": sum("why" in x for x in survivors),
                       "score_without_equivalent": round(killed / (tested - equivalent), 4) if tested else None,
                       "timeout": counts["timeout"], "no_tests": counts["no tests"],
                       "other": tested - killed - counts["survived"] - counts["no tests"], "total": tested,
                       "score": round(killed / tested, 4) if tested else None, "survivors": survivors}
    return out


def write_summary(fresh: dict[str, dict]) -> list[dict]:
    """Merge this run's modules into benchmarks/results/mutation.json; returns every module's entry."""
    old = json.loads(SUMMARY.read_text())["modules"] if SUMMARY.exists() else []
    merged = {m["module"]: m for m in old} | fresh
    rows = [merged[k] for k in sorted(merged) if merged[k]["total"]]
    killed, total = sum(r["killed"] for r in rows), sum(r["total"] for r in rows)
    equivalent = sum(r.get("equivalent", 0) for r in rows)
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run([*git, "status", "--porcelain", "harness", "tests"], capture_output=True,
                                text=True).stdout.strip())
    SUMMARY.write_text(json.dumps({"tool": "mutmut 3.8.1", "commit": commit, "uncommitted_changes": dirty,
                                   "killed": killed, "total": total, "equivalent": equivalent,
                                   "score": round(killed / total, 4) if total else None,
                                   "score_without_equivalent": round(killed / (total - equivalent), 4) if total
                                   else None, "modules": rows}, indent=1, ensure_ascii=False) + "\n")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="dotted module or package names, e.g. harness.claims.verdict "
                        "(default: every group)")
    parser.add_argument("--children", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument("--report-only", action="store_true", help="read the last runs' results, run nothing")
    parser.add_argument("--recheck", action="store_true", help="rerun the survivors too (after adding tests)")
    args = parser.parse_args()
    wanted: dict[str, list[str]] = {}
    for module in args.modules:
        group = group_of(module)
        if GROUPS[group][0] == [f"{module.replace('.', '/')}/*"]:
            wanted.setdefault(group, [])  # a whole group
        elif wanted.get(group) != []:
            wanted.setdefault(group, []).append(module)
    for group in wanted or GROUPS:
        if not args.report_only:
            run_mutmut(group, wanted.get(group, []), args.children, args.recheck)
    fresh: dict[str, dict] = {}
    for group in GROUPS:
        fresh |= results(group)
    rows = write_summary(fresh)
    if not rows:
        print("no mutation results yet: run without --report-only")
        return 1
    table = [[r["module"], r["killed"], r["timeout"], r["survived"], r.get("equivalent", 0), r["no_tests"],
              r.get("out_of_reach", 0), r["other"], f"{100 * r['score']:.1f}%",
              f"{100 * r.get('score_without_equivalent', r['score']):.1f}%"] for r in rows]
    print(tabulate(table, headers=["module", "killed", "of which timeout", "survived", "of which equivalent",
                                   "no tests", "out of reach", "other", "score", "without equivalent"]))
    killed, total = sum(r["killed"] for r in rows), sum(r["total"] for r in rows)
    equivalent = sum(r.get("equivalent", 0) for r in rows)
    timeouts = sum(r["timeout"] for r in rows)
    # As mutmut counts it, a timeout is a kill (the mutant made the tests hang); on a loaded machine some are slow
    # tests, so they are shown on their own too.
    print(f"\nmutation score: {killed}/{total} killed ({100 * killed / max(total, 1):.1f}%); without the "
          f"{timeouts} timeouts: {killed - timeouts}/{total - timeouts} "
          f"({100 * (killed - timeouts) / max(total - timeouts, 1):.1f}%); without the {equivalent} equivalent "
          f"survivors: {killed}/{total - equivalent} ({100 * killed / max(total - equivalent, 1):.1f}%)")
    survivors = [f"{s['mutant']}: {s['status']}" + (f" (equivalent: {s['equivalent']})" if "equivalent" in s else "")
                 + (f" (out of reach: {s['why']})" if "why" in s else "") for r in rows for s in r["survivors"]]
    if survivors:
        print("\nsurvivors (`cd mutants/<group> && mutmut show NAME` prints the change):\n  "
              + "\n  ".join(survivors))
    print(f"\nsummary: {SUMMARY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
