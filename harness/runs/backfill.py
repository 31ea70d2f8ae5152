"""``mmrepro records predictions``: give records written before ``RunRecord.predictions`` existed their
``<run_id>.pred.npz``, from the ``<run_id>.npz`` those runs wrote (raw outputs of the select and report splits),
without retraining anything.

The group fields (dialogue, speaker, pair) were not in the old file; they are read from the current data, which
must be the data the run used (same content fingerprint) and list the same report items in the same order. The
old outputs must reproduce the record's report metrics exactly, and the stored form is chosen as for a new run
(``harness/runs/predictions.py``). Anything that does not hold is listed and left as it was.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.data.dataset import Split
from harness.data.store import dataset_available, load_dataset
from harness.errors import UserError
from harness.metrics.registry import compute_metrics
from harness.runs.predictions import make_predictions
from harness.runs.record import RunRecord
from harness.runs.store import current_records, load_predictions, record_path, write_record
from harness.tasks import TASKS, get_task


@dataclass
class BackfillReport:
    written: list[Path] = field(default_factory=list)
    present: int = 0  # records that already name their predictions
    refused: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{len(self.written)} predictions file(s) written, {self.present} record(s) already had one, "
                 f"{len(self.refused)} left as they were"]
        lines += [f"  {path}: {why}" for path, why in self.refused]
        return "\n".join(lines)


def _backfill_one(results: Path, record: RunRecord, data: Split, dry_run: bool) -> Path:
    """Write one record's predictions from its old file (``data``: the task's report split as prepared here);
    raises UserError saying why it cannot."""
    task = get_task(record.spec.task)
    path = record_path(results, record.spec)
    old = path.with_suffix(".npz")
    if not old.exists():
        raise UserError("no old predictions file (<run_id>.npz) to convert; rerun with --force")
    split = record.report_split
    try:
        with np.load(old, allow_pickle=False) as npz:
            ids, labels, output = (npz[f"{split}.{k}"] for k in ("ids", "labels", "output"))
    except (OSError, KeyError, ValueError, EOFError) as err:
        raise UserError(f"{old.name} unreadable or without the {split!r} split ({err})") from None
    if not np.array_equal(data.ids.astype(str), ids):
        raise UserError(f"the {split!r} items of the current data differ from the run's")
    if not np.array_equal(data.labels, labels):
        raise UserError(f"the {split!r} labels of the current data differ from the run's")
    metrics = record.metrics[split]
    again = compute_metrics(list(metrics), labels, output)
    if any(again[m] != v and not (np.isnan(again[m]) and np.isnan(v)) for m, v in metrics.items()):
        raise UserError(f"{old.name} does not reproduce the record's {split} metrics")
    item = make_predictions(dataclasses.replace(task, metrics=tuple(metrics)), split, data, output, metrics)
    if not dry_run:
        new = dataclasses.replace(record, predictions=f"{record.run_id}.pred.npz", cached=False)
        write_record(path, new, item)
        load_predictions(results, new)  # read back before the old file goes
        old.unlink()
    return path.with_name(f"{record.run_id}.pred.npz")


def backfill_predictions(results: Path, *, dry_run: bool = False) -> BackfillReport:
    """Every current ok record without a predictions file, on data prepared here, gets one (see module doc)."""
    report = BackfillReport()
    for name in TASKS:
        task = get_task(name)
        if task.folds is not None or not dataset_available(task.dataset):
            continue  # fold runs postdate the field; unprepared data cannot supply the group fields
        data = None
        for record in current_records(results, task):  # current: on the data prepared here (same fingerprint)
            if record.predictions is not None:
                report.present += 1
            else:
                data = data or load_dataset(task.dataset).split(task.splits.report)  # once per task
                try:
                    report.written.append(_backfill_one(results, record, data, dry_run))
                except UserError as err:
                    report.refused.append((record_path(results, record.spec), str(err)))
    return report
