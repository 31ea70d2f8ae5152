"""Fold protocols: a task evaluated by k-fold cross-validation or by repeated random splits.

Why: many published protocols (MUStARD, ESC-50, most small-data papers) report the mean over k folds, not one
test split. A task declares the protocol once::

    [folds]
    k = 5                 # folds (kind = "kfold") or repeats (kind = "repeated")
    kind = "kfold"        # kfold | repeated
    split = "all"         # the dataset split the folds partition
    field = "fold"        # kfold: the group field holding each item's fold id (dataset.toml: fold = "...");
                          #        omitted: seeded folds (stratified for classification)
    select = 0.1          # fraction of the training folds carved out as the select (valid) split
    test = 0.2            # repeated only: fraction held out as the report split in each repeat
    seed = 0              # the protocol's own split seed (part of the task, not of the run)

Run f of the task trains on every fold but f (less the select carve), selects on the carve and reports fold f;
the fold is part of the run's identity (``RunSpec.fold``), and one task file runs all folds. Leaderboards
average the folds within a seed (:func:`seed_values`), then summarise over seeds as for any task.

The rules (:mod:`harness.data.splits` computes them): with ``field``, fold f is the items whose fold id is the
f-th smallest id; without it, ``StratifiedKFold(k, shuffle=True, random_state=seed)`` (``KFold`` for other
targets). Repeat r holds out a ``test`` fraction drawn with ``random_state=seed + r``. The select split is a
``select`` fraction of the training items, drawn with ``random_state=seed + f``
(``sklearn.model_selection.train_test_split``). Draws are stratified by class for single-label and binary tasks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import UserError
from harness.tasks.fold_protocol import FoldProtocol

if TYPE_CHECKING:
    from harness.data.dataset import MultimodalDataset
    from harness.runs.record import RobustnessScores, RunRecord
    from harness.tasks.spec import TaskSpec

__all__ = ["FoldProtocol", "data_problems", "fold_spread", "protocol_problems", "robustness_per_seed", "seed_values",
           "task_view"]
STRATIFIED_KINDS = ("single-label", "binary")


def task_view(task: TaskSpec, data: MultimodalDataset, fold: int | None) -> MultimodalDataset:
    """The data a run of ``task`` sees: the dataset itself, or fold ``fold``'s train/select/report splits."""
    from harness.data.dataset import MultimodalDataset
    from harness.data.splits import fold_indices

    if (task.folds is None) != (fold is None):
        raise UserError(f"task {task.name!r} {'has no folds' if task.folds is None else 'is evaluated by folds'}; "
                        f"a run of it {'cannot name' if task.folds is None else 'must name'} a fold (got {fold!r})")
    if task.folds is None:
        return data
    p = task.folds
    pool = data.split(p.split)
    index = fold_indices(pool.labels, p, fold, stratify=task.target_kind in STRATIFIED_KINDS,
                         fold_ids=pool.group(p.field) if p.field else None)
    names = {"train": task.splits.train, "select": task.splits.select, "report": task.splits.report}
    return MultimodalDataset(name=data.name, splits={names[role]: pool.subset(rows) for role, rows in index.items()},
                             synthetic=data.synthetic)


def data_problems(task: TaskSpec, data: MultimodalDataset) -> list[str]:
    """Why the fold protocol cannot run on this data (missing split or field, fold ids that do not make k)."""
    p = task.folds
    if p is None:
        return []
    if p.split not in data.splits:
        return [f"folds.split {p.split!r} is not in dataset {task.dataset!r} (it has {', '.join(data.splits)})"]
    pool = data.split(p.split)
    if p.field is not None:
        if p.field not in pool.groups:
            return [f"folds.field {p.field!r} is not a group field of dataset {task.dataset!r} (it has "
                    f"{', '.join(pool.groups) or 'none'}); declare fold = \"COLUMN\" or fold_file in dataset.toml"]
        ids = np.unique(pool.groups[p.field])
        if len(ids) != p.k:
            return [f"folds.k = {p.k} but field {p.field!r} holds {len(ids)} fold id(s): {ids.tolist()[:10]}"]
    elif p.kind == "kfold" and len(pool) < p.k:
        return [f"split {p.split!r} has {len(pool)} items, fewer than k = {p.k} folds"]
    return []


def seed_values(task: TaskSpec, runs: list[RunRecord], metric: str, split: str | None = None
                ) -> tuple[list[tuple[int, float]], list[str]]:
    """``(seed, value)`` of ``metric`` on ``split`` (default: the report split): one per run, or for a fold task
    one per seed, the mean over its folds.

    A seed whose folds are not all present is left out and described in the second list, so a partial
    cross-validation is never averaged as if it were whole."""
    split = split or task.splits.report
    if task.folds is None:
        return [(r.spec.seed, r.metrics[split][metric]) for r in runs], []
    by_seed: dict[int, dict[int, float]] = defaultdict(dict)
    for r in runs:
        by_seed[r.spec.seed][r.spec.fold] = r.metrics[split][metric]
    values, incomplete = [], []
    for seed, folds in sorted(by_seed.items()):
        missing = sorted(set(range(task.folds.k)) - set(folds))
        if missing:
            incomplete.append(f"seed {seed}: folds {missing} of {task.folds.k} have no finished run; seed left out")
        else:
            values.append((seed, float(np.mean([folds[f] for f in range(task.folds.k)]))))
    return values, incomplete


def fold_spread(task: TaskSpec, runs: list[RunRecord], metric: str) -> float:
    """Sample std (ddof=1) over folds of each fold's score averaged over seeds: how much the folds disagree."""
    if task.folds is None:
        return float("nan")
    by_fold: dict[int, list[float]] = defaultdict(list)
    for r in runs:
        by_fold[r.spec.fold].append(r.metrics[task.splits.report][metric])
    means = [np.mean(v) for v in by_fold.values()]
    return float(np.std(means, ddof=1)) if len(means) > 1 else float("nan")


def protocol_problems(task: TaskSpec) -> list[str]:
    """:func:`data_problems` on the task's dataset, loaded (and cached) only for fold tasks."""
    if task.folds is None:
        return []
    from harness.data.store import load_dataset

    return data_problems(task, load_dataset(task.dataset))


def robustness_per_seed(task: TaskSpec, runs: list[RunRecord]) -> list[RobustnessScores]:
    """Each run's robustness scores, or for a fold task one per complete seed: every score averaged over its folds
    (so a robustness table's n and sd are over seeds, as on the leaderboard)."""
    if task.folds is None:
        return [r.robustness for r in runs]
    by_seed: dict[int, dict[int, RobustnessScores]] = defaultdict(dict)
    for r in runs:
        by_seed[r.spec.seed][r.spec.fold] = r.robustness
    # a partial cross-validation is not averaged as if it were whole (the leaderboard names it)
    return [_mean_scores(list(folds.values())) for _, folds in sorted(by_seed.items()) if len(folds) == task.folds.k]


def _mean_scores(scores: list[RobustnessScores]) -> RobustnessScores:
    from harness.runs.record import RobustnessScores as Scores

    def mean(values) -> float:
        return float(np.mean(list(values)))

    first = scores[0]
    return Scores(metric=first.metric, clean=mean(s.clean for s in scores),
                  zeros={m: mean(s.zeros[m] for s in scores) for m in first.zeros},
                  mask={m: mean(s.mask[m] for s in scores) for m in first.mask} if all(s.mask for s in scores) else {},
                  noise_levels=first.noise_levels,
                  noise=[mean(s.noise[i] for s in scores) for i in range(len(first.noise))],
                  noise_auc=mean(s.noise_auc for s in scores))
