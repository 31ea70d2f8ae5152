"""Checks of a task against its data, done when a run is planned (before any fitting).

Why here and not in the model: a task that names a modality the data lacks, trains on items it reports,
or declares fewer classes than its labels hold would otherwise train and either crash late or land a
plausible-looking leaderboard row (labels 0..7 on a 3-class task scored accuracy 0.15, recorded as ``ok``).
Prepared data is read through its memory-mapped Arrow columns (ids and labels only), so the check costs
little even on large datasets.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from harness.errors import UserError
from harness.tasks.spec import TaskSpec

CLASS_KINDS = ("single-label", "binary")


def _data_view(dataset: str) -> tuple[set[str], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The dataset's modalities and, per split, its (ids, labels)."""
    from harness.data.sources import DATASETS
    from harness.data.store import flat_values, load_dataset, open_prepared, read_manifest

    if DATASETS.get(dataset).embedded:
        data = load_dataset(dataset)
        return set(data.modalities), {s: (split.ids, split.labels) for s, split in data.splits.items()}
    manifest = read_manifest(dataset)
    dd = open_prepared(dataset)
    view = {}
    for name in manifest["splits"]:
        table = dd[name].data.table
        labels = table.column("label").combine_chunks()
        y = (flat_values(labels).reshape(len(table), labels.type.list_size)
             if pa.types.is_fixed_size_list(labels.type) else labels.to_numpy(zero_copy_only=False))
        view[name] = (np.asarray(table.column("id").to_pylist(), dtype=np.str_), y)
    return set(manifest["features"]), view


def unknown_dataset(task: TaskSpec) -> str:
    """The message for a task whose dataset is registered nowhere (a typo, or generic data not prepared yet)."""
    from harness.data.sources import DATASETS

    try:
        DATASETS.get(task.dataset)
    except UserError as err:
        return f"{err}. Prepare your own data first with: mmrepro data prepare {task.dataset} --from DIR " \
               "--format generic"
    return ""


def task_data_problems(task: TaskSpec, modalities: set[str],
                       splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[str]:
    """What makes ``task`` unusable on data with these modalities and (ids, labels) per split."""
    problems = []
    missing = [m for m in task.modalities if m not in modalities]
    if missing:
        problems.append(f"modality {', '.join(map(repr, missing))} is not in dataset {task.dataset!r} "
                        f"(it has {', '.join(sorted(modalities))})")
    protocol = task.splits
    roles = () if task.folds else (("train", protocol.train), ("select", protocol.select), ("report", protocol.report))
    for role, name in roles:  # a fold task's splits are carved from folds.split (harness.tasks.folds)
        if name not in splits:
            problems.append(f"{role} split {name!r} is not in dataset {task.dataset!r} (it has {', '.join(splits)})")
    if problems or task.folds:
        return problems
    report_ids = set(splits[protocol.report][0].tolist())
    for role, name in (("train", protocol.train), ("select", protocol.select)):
        shared = [i for i in splits[name][0].tolist() if i in report_ids]
        if shared:
            problems.append(f"{len(shared)} item id(s) of the {role} split {name!r} are also in the reported split "
                            f"{protocol.report!r} (e.g. {shared[0]!r}); a model would be scored on items it saw")
    if task.target_kind in CLASS_KINDS and task.num_classes:
        for name, (_, labels) in splits.items():
            if not labels.size:
                continue
            if labels.ndim != 1 or labels.dtype.kind not in "biuf":
                problems.append(f"split {name!r}: labels are {labels.dtype} {labels.shape[1:] or ''}; a "
                                f"{task.target_kind} task needs one class id per item")
            elif not np.array_equal(labels, np.round(labels)) or labels.min() < 0 or labels.max() >= task.num_classes:
                bad = labels[(labels != np.round(labels)) | (labels < 0) | (labels >= task.num_classes)]
                problems.append(f"split {name!r}: label {bad[0]} is not a class id in 0..{task.num_classes - 1} "
                                f"(num_classes = {task.num_classes}, labels span {labels.min()}..{labels.max()})")
    return problems


@lru_cache(maxsize=64)
def _checked(task: TaskSpec, fingerprint: str) -> None:
    from harness.tasks.folds import protocol_problems
    from harness.tasks.positive import positive_class_problems

    modalities, splits = _data_view(task.dataset)
    problems = task_data_problems(task, modalities, splits)
    problems += protocol_problems(task) + positive_class_problems(task.positive_class, task.dataset)
    if problems:
        raise UserError(f"task {task.name!r} on dataset {task.dataset!r}: " + "; ".join(problems))


def check_task_data(task: TaskSpec, fingerprint: str) -> None:
    """Refuse the task before any run if its data cannot honestly serve it (once per task and data version).

    A pass is remembered on disk (a marker under the data root's cache, keyed by the task, the data fingerprint
    and the source of the checks), so a cached leaderboard does not read the data again in every process."""
    marker = _pass_marker(task, fingerprint)
    if marker.exists():
        return
    _checked(task, fingerprint)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:  # a read-only cache only costs the next process the same check
        pass


@lru_cache(maxsize=1)
def _checks_source_hash() -> str:
    """The source of every module of ``harness.tasks`` (the checks and the fold / positive-class rules they call):
    a changed check is run again on data it passed before."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _pass_marker(task: TaskSpec, fingerprint: str) -> Path:
    from harness.data.paths import cache_dir

    payload = json.dumps([dataclasses.asdict(task), fingerprint, _checks_source_hash()], sort_keys=True, default=str)
    return cache_dir("task-checks") / hashlib.sha256(payload.encode()).hexdigest()[:32]
