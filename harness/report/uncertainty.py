"""From run records to item x seed intervals: loads each run's per-item predictions and recomputes a metric on
shared bootstrap resamples (``harness/metrics/bootstrap.py`` holds the method). Leaderboards, ``compare`` and
the claims ledger all go through :class:`ItemScorer`, so they state and compute one interval the same way.

Records without per-item predictions cannot be bootstrapped; callers fall back to the seed-only Student-t
interval and say so. A predictions file that does not reproduce its record's metric is refused: it is not that
run's output.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.metrics.bootstrap import (
    BOOTSTRAP_SEED,
    N_RESAMPLES,
    metric_replicates,
    resample_counts,
    vectorised_value,
)
from harness.metrics.registry import get_metric
from harness.runs.predictions import ItemPredictions, PredictionsError
from harness.runs.record import RunRecord
from harness.runs.store import load_predictions, record_path

# Metric kinds whose every resample would redo the whole computation at a cost far beyond the rest (class-level
# retrieval re-ranks the full gallery for every query): their intervals stay seed-only, and say why.
NOT_BOOTSTRAPPED = {"class-retrieval": "not bootstrapped: a class-level retrieval metric re-ranks the whole gallery "
                                       "on every resample"}


def skip_reason(metric: str) -> str:
    """Why ``metric`` gets no item bootstrap ('' when it does)."""
    return NOT_BOOTSTRAPPED.get(get_metric(metric).output_kind, "")


@dataclass(frozen=True)
class SeedReplicates:
    """One model's metric per seed on the full test set and on each shared resample."""

    seeds: tuple[int, ...]
    values: np.ndarray  # (k,) per seed (mean over folds for a fold protocol)
    replicates: np.ndarray  # (k, B), the same resamples for every seed and model of the task
    unit: str  # what was resampled, e.g. "items (n=114)" or "dialogue groups (280 groups, 2610 items)"
    n_items: int  # report items of one run (of the first fold, for a fold protocol)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))


def _unit_text(item: ItemPredictions) -> str:
    unit = item.unit()
    if unit is None:
        return f"items (n={len(item)})"
    name, values = unit
    return f"{name} groups ({np.unique(values).size} groups, {len(item)} items)"


class ItemScorer:
    """Item-level replicates of a task's runs; resamples are drawn once per test set and shared by every run."""

    def __init__(self, results: Path, n_resamples: int = N_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> None:
        self.results, self.n_resamples, self.seed = Path(results), n_resamples, seed
        self._counts: dict[str, np.ndarray] = {}
        self._items: dict[str, ItemPredictions | None] = {}
        self._replicates: dict[tuple[str, str], tuple[float, np.ndarray, ItemPredictions]] = {}

    def predictions(self, record: RunRecord) -> ItemPredictions | None:
        if record.run_id not in self._items:
            self._items[record.run_id] = load_predictions(self.results, record)
        return self._items[record.run_id]

    def has_items(self, records: list[RunRecord]) -> bool:
        """Whether every record kept per-item predictions (a predictions file that is named but unusable is an
        error, raised here)."""
        return bool(records) and all(self.predictions(r) is not None for r in records)

    def counts(self, item: ItemPredictions) -> np.ndarray:
        """The resample counts of this test set (keyed by its item ids and groups)."""
        unit = item.unit()
        key = hashlib.sha256(item.ids.tobytes() + (unit[1].astype(str).tobytes() if unit else b"")).hexdigest()
        if key not in self._counts:
            self._counts[key] = resample_counts(len(item), self.n_resamples, self.seed,
                                                None if unit is None else unit[1]).astype(np.float32)
        return self._counts[key]

    def run_replicates(self, record: RunRecord, metric: str) -> tuple[float, np.ndarray, ItemPredictions]:
        """The metric on the full test set (checked against the record) and on each resample."""
        if (record.run_id, metric) not in self._replicates:
            self._replicates[record.run_id, metric] = self._run_replicates(record, metric)
        return self._replicates[record.run_id, metric]

    def _run_replicates(self, record: RunRecord, metric: str) -> tuple[float, np.ndarray, ItemPredictions]:
        item = self.predictions(record)
        if item is None:
            raise ValueError(f"run {record.run_id} kept no per-item predictions")
        output = item.output()
        recorded = record.metrics[record.report_split][metric]
        value = vectorised_value(metric, item.targets, output)  # when it matches, no slower metric call is needed
        if value is None or not _same(value, recorded):
            value = float(get_metric(metric).fn(item.targets, output))
        if not _same(value, recorded):
            path = record_path(self.results, record.spec).with_name(str(record.predictions))
            raise PredictionsError(f"{path}: gives {metric} = {value:.6g}, but its record says {recorded:.6g}; it is "
                                   "not that run's output: rerun that run with --force")
        return recorded, metric_replicates(metric, item.targets, output, self.counts(item), recorded), item

    def seed_replicates(self, records: list[RunRecord], metric: str) -> SeedReplicates:
        """Per seed: the mean over the seed's runs (one, or one per fold) of the metric and of its replicates."""
        by_seed: dict[int, list[tuple[float, np.ndarray]]] = defaultdict(list)
        units, n_items = set(), 0
        for record in records:
            value, reps, item = self.run_replicates(record, metric)
            by_seed[record.spec.seed].append((value, reps))
            units.add(_unit_text(item))
            n_items = n_items or len(item)
        seeds = tuple(sorted(by_seed))
        values = np.array([np.mean([v for v, _ in by_seed[s]]) for s in seeds])
        replicates = np.stack([np.mean([r for _, r in by_seed[s]], axis=0) for s in seeds])
        return SeedReplicates(seeds, values, replicates, "; ".join(sorted(units)), n_items)
