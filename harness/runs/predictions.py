"""Per-item predictions of a run's report split: what item-level statistics (bootstrap intervals, paired tests)
are recomputed from, stored beside the record as ``<run_id>.pred.npz``.

The file holds the report split's item ids, targets, the model's output in the smallest *exact* form, and the
split's group fields (``dialogue``, ``speaker``, ``pair``) so a bootstrap can resample whole groups. "Exact" is
checked when the file is made: the task's metric functions, applied to the stored form, must give the run's
metrics bit for bit, or the next, larger form is tried:

1. ``labels``: the argmax class per item, for classification tasks whose metrics read only the argmax (every
   registered single-label and binary metric does); the metric functions see a one-hot score matrix.
2. ``ranks``: the rank of each query's true gallery item, for retrieval tasks whose metrics read only that rank
   (R@K, median rank); the metric functions see a 0/1 similarity row with the same pessimistic rank.
3. ``scores``: the raw output as float32, else float64.

Written with ``np.savez_compressed``, read with ``allow_pickle=False`` (a pickled array is refused, never run).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from harness.errors import UserError

if TYPE_CHECKING:
    from harness.data.dataset import Split
    from harness.tasks.spec import TaskSpec

Form = Literal["labels", "ranks", "scores"]
SUFFIX = ".pred.npz"
# Group fields a bootstrap may resample, in order of preference (``turn`` is a position, not a unit), and the
# fewest distinct groups worth resampling: fewer (e.g. a test split of one speaker) say nothing about variation.
GROUP_UNITS = ("dialogue", "speaker", "pair")
MIN_GROUPS = 10


class PredictionsError(UserError):
    """A predictions file that a record names but that cannot be used (missing, unreadable, malformed)."""


@dataclass(frozen=True)
class ItemPredictions:
    """One run's report-split scoring inputs, item by item (picklable: plain numpy arrays)."""

    split: str
    ids: np.ndarray
    targets: np.ndarray
    stored: np.ndarray
    form: Form
    width: int  # labels: number of classes; ranks: gallery size; scores: 0
    groups: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def output(self) -> np.ndarray:
        """The output as the task's metric functions take it (see the module docstring)."""
        if self.form == "labels":
            onehot = np.zeros((len(self), self.width), dtype=np.float32)
            onehot[np.arange(len(self)), self.stored] = 1.0
            return onehot
        if self.form == "ranks":  # rank r = r items (the target among them) score >= the target's score
            sim = np.zeros((len(self), self.width), dtype=np.float32)
            order = np.argsort(np.arange(self.width)[None, :] != self.targets[:, None], axis=1, kind="stable")
            sim[np.arange(self.width)[None, :] < self.stored[:, None]] = 1.0
            out = np.empty_like(sim)
            np.put_along_axis(out, order, sim, axis=1)  # the target first, then the other tied items
            return out
        return self.stored

    def argmax(self) -> np.ndarray:
        """Predicted class per item (classification tasks)."""
        return self.stored if self.form == "labels" else np.argmax(self.stored, axis=1)

    def unit(self) -> tuple[str, np.ndarray] | None:
        """The group field a bootstrap resamples (the first of :data:`GROUP_UNITS` present with at least
        :data:`MIN_GROUPS` distinct values) and its values; None: resample items."""
        for name in GROUP_UNITS:
            if name in self.groups and np.unique(self.groups[name]).size >= MIN_GROUPS:
                return name, self.groups[name]
        return None

    def arrays(self) -> dict[str, np.ndarray]:
        return {"split": np.array(self.split), "ids": self.ids, "targets": self.targets, "output": self.stored,
                "form": np.array(self.form), "width": np.array(self.width),
                **{f"group.{k}": v for k, v in self.groups.items()}}


def _small_int(values: np.ndarray) -> np.ndarray:
    """Integers in the smallest signed integer type that holds them; anything else as it is."""
    v = np.asarray(values)
    if v.dtype.kind not in "iu" or v.size == 0:
        return v
    low, high = int(v.min()), int(v.max())
    return v.astype(next(t for t in (np.int8, np.int16, np.int32, np.int64)
                         if np.iinfo(t).min <= low and high <= np.iinfo(t).max))


def _candidates(target_kind: str, labels: np.ndarray, output: np.ndarray) -> list[tuple[Form, np.ndarray, int]]:
    found: list[tuple[Form, np.ndarray, int]] = []
    if target_kind in ("single-label", "binary") and output.ndim == 2:
        found.append(("labels", _small_int(np.argmax(output, axis=1)), int(output.shape[1])))
    if target_kind == "retrieval" and output.ndim == 2:
        from harness.metrics.retrieval import retrieval_ranks

        found.append(("ranks", _small_int(retrieval_ranks(output, labels)), int(output.shape[1])))
    if output.dtype.kind == "f" and output.dtype != np.float32:
        found.append(("scores", output.astype(np.float32), 0))
    found.append(("scores", output, 0))
    return found


def _reproduces(item: ItemPredictions, names: Sequence[str], metrics: dict[str, float]) -> bool:
    from harness.metrics.registry import compute_metrics

    try:
        again = compute_metrics(names, item.targets, item.output())
    except ValueError:
        return False
    return all(again[m] == metrics[m] or (np.isnan(again[m]) and np.isnan(metrics[m])) for m in metrics)


def make_predictions(task: TaskSpec, split_name: str, split: Split, output: np.ndarray,
                     metrics: dict[str, float]) -> ItemPredictions:
    """The smallest stored form of the report split's ``output`` that reproduces the run's ``metrics`` on it
    exactly, with the split's ids, targets and group fields (see the module docstring)."""
    groups = {k: v for k, v in split.groups.items() if k in GROUP_UNITS}
    targets = _small_int(split.labels)
    candidates = _candidates(task.target_kind, split.labels, np.asarray(output))
    for form, stored, width in candidates:
        item = ItemPredictions(split_name, split.ids.astype(str), targets, stored, form, width, groups)
        if _reproduces(item, task.metrics, metrics):
            return item
    return item  # the raw output as it is: what the metrics were computed from


def read_predictions(path: Path) -> ItemPredictions:
    """The predictions at ``path``; :class:`PredictionsError` naming the file when it is missing or unusable."""
    path = Path(path)
    hint = "rerun that run with --force"
    if not path.exists():
        raise PredictionsError(f"{path}: predictions file named by its run record is missing; {hint}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            raw = {k: npz[k] for k in npz.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as err:
        raise PredictionsError(f"{path}: predictions unreadable ({err}); {hint}") from None
    missing = {"split", "ids", "targets", "output", "form", "width"} - set(raw)
    if missing:
        raise PredictionsError(f"{path}: not a predictions file (no {', '.join(sorted(missing))}); {hint}")
    form = str(raw["form"])
    n = raw["ids"].shape[0] if raw["ids"].ndim == 1 else -1
    groups = {k.removeprefix("group."): v for k, v in raw.items() if k.startswith("group.")}
    bad = [k for k in ("targets", "output", *(f"group.{g}" for g in groups)) if raw[k].shape[:1] != (n,)]
    if form not in ("labels", "ranks", "scores") or n < 1 or bad:
        raise PredictionsError(f"{path}: malformed predictions (form {form!r}, {n} ids, item count differs in "
                               f"{', '.join(bad) or 'nothing'}); {hint}")
    return ItemPredictions(str(raw["split"]), raw["ids"], raw["targets"], raw["output"], form,  # type: ignore[arg-type]
                           int(raw["width"]), groups)
