"""The run record: what one finished (or failed) run wrote, field by field. Schema version 2.

A record is the only source of an achieved number, so every reader gets the same typed object and every
stored record is checked against this schema when it is read (``parse_record``): a malformed record is
reported by its path with what is wrong, never half-read. Validation is pydantic's, in strict JSON mode (no
``"3"`` silently read as ``3``; unknown keys refused), over these plain dataclasses.

Schema history: v1 (until 2026-12) had no resolved precision or device class in ``spec``, so a CPU and a
GPU run of ``precision="auto"`` shared one run id; ``harness.runs.migrate`` rewrites v1 records as v2.
v2 later gained the optional ``predictions`` field without a version bump: a record without it reads as
``None`` (no per-item predictions kept) and means exactly what it meant before, so every stored v2 record
stays valid and no migration is needed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, ValidationError

from harness.errors import UserError
from harness.runs.spec import RunSpec

SCHEMA_VERSION = 2
_STRICT = ConfigDict(extra="forbid", strict=True)


class RecordError(UserError):
    """A stored record that cannot be used: unreadable, another schema version, or not matching the schema."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path, self.problem = Path(path), problem
        super().__init__(f"run record {path}: {problem}")

    def __reduce__(self):  # raised in a worker process, it must survive the trip back to the sweep
        return type(self), (self.path, self.problem)


@dataclass(frozen=True)
class RobustnessScores:
    """Primary-metric scores of the trained model on the report split under perturbations
    (``harness/robustness/evaluate.py`` defines them)."""

    __pydantic_config__ = _STRICT

    metric: str
    """Name of the metric scored (the task's primary metric)."""
    clean: float
    """Score on the unperturbed report split."""
    zeros: dict[str, float]
    """Modality -> score with that modality's raw features set to zero."""
    mask: dict[str, float]
    """Modality -> score with that modality removed inside the model; empty for models that cannot."""
    noise_levels: list[float]
    """Gaussian-noise levels (multiples of each feature's sd)."""
    noise: list[float]
    """Score at each noise level, in the order of ``noise_levels``."""
    noise_auc: float
    """Area under score-vs-level divided by the level range (the mean score over the range)."""


@dataclass(frozen=True)
class RunRecord:
    """One run: its spec (the cache key), what it scored, how it trained, and where it ran."""

    __pydantic_config__ = _STRICT

    schema_version: int
    """Version of this schema the record was written with; readers accept only ``SCHEMA_VERSION``."""
    run_id: str
    """``spec.run_id``: 16 hex digits of the spec's hash; also the record's file name."""
    spec: RunSpec
    """Everything that determines the numbers (task version and hash, model config, seed, data fingerprint,
    resolved precision and device class)."""
    status: Literal["ok", "failed"]
    """``ok``: trained and scored. ``failed``: crashed or diverged; kept for inspection, never a result."""
    reason: str | None
    """Why a failed run failed (one line); None when ok."""
    task_display: str
    """The task's display name when the run was made (marks synthetic tasks)."""
    synthetic: bool
    """Whether the task's data is synthetic (a check of the machinery, not of a paper)."""
    primary_metric: str
    """The task's primary (ranking) metric."""
    report_split: str
    """Split whose metrics are reported (never seen while fitting)."""
    select_split: str
    """Split the model selected on (early stopping, grids)."""
    started: str
    """Start time, ISO 8601 UTC, seconds."""
    finished: str
    """End time, ISO 8601 UTC, seconds."""
    wall_time_s: float
    """Seconds from building the model to the end of scoring (robustness included)."""
    peak_rss_mb: float
    """Process-lifetime peak resident memory when the run ended (MiB): an upper bound for the run."""
    provenance: dict[str, Any]
    """Where the number came from: ``git_commit``, ``git_dirty``, ``packages`` (name -> version),
    ``python``, ``platform``, ``cpu``, ``gpu``, and (records since 2026-12) ``distributed``: ``world_size`` and
    ``backend`` of the torch.distributed group that trained the run (1 and None for one process; see
    ``harness/runs/provenance.py``)."""
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    """Split -> metric name -> value, for the select and report splits; empty when failed."""
    best_epoch: int | None = None
    """Epoch whose weights were kept (models that train by epochs), else None."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """Per-epoch log written by the model (epoch, losses, selection metric, learning rate; the phase name under
    staged training)."""
    n_parameters: int | None = None
    """Trainable parameters reported by the model (0 for non-parametric ones); None when failed."""
    device: str | None = None
    """Device the model reported it ran on (e.g. ``cpu``, ``cuda:0``); None when failed before fitting."""
    precision: str | None = None
    """Autocast precision the model reported it used (``fp32``, ``bf16``, ``fp16``); None when failed."""
    fit_time_s: float | None = None
    """Seconds spent in ``fit`` (building included)."""
    predict_time_s: float | None = None
    """Seconds spent predicting the select and report splits."""
    latency_ms_per_sample: float | None = None
    """``predict_time_s`` per scored item, in milliseconds."""
    train_time_per_epoch_s: float | None = None
    """Mean seconds per training epoch, when the model reports it."""
    cuda_max_allocated_mb: float | None = None
    """Peak CUDA memory allocated while fitting (MiB), when on a GPU."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Anything else the model reported (``FitInfo.extras``): diagnostics, not results."""
    robustness: RobustnessScores | None = None
    """Perturbation scores on the report split; None when failed."""
    traceback: str | None = None
    """Shortened traceback of a crash, for debugging."""
    migrated_from: str | None = None
    """Run id of the schema-1 record this record was migrated from; None for records written as v2."""
    predictions: str | None = None
    """File name, beside this record, of the report split's per-item predictions (``<run_id>.pred.npz``,
    ``harness/runs/predictions.py``); None when none were kept (failed runs, records written before)."""
    cached: bool = field(default=False, compare=False, metadata={"stored": False})
    """Not stored: True when ``execute`` served this record from disk instead of running."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-plain form written to disk (``cached`` left out)."""
        raw = dataclasses.asdict(self)
        for f in dataclasses.fields(self):
            if not f.metadata.get("stored", True):
                raw.pop(f.name)
        return raw


_ADAPTER = TypeAdapter(RunRecord)


def parse_record(text: str | bytes, path: Path | str) -> RunRecord:
    """Validate a record's JSON text; raises :class:`RecordError` naming ``path`` and every problem found."""
    try:
        version = json.loads(text).get("schema_version")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as err:
        raise RecordError(path, f"not a JSON object ({err})") from err
    if version != SCHEMA_VERSION:
        hint = "; run `mmrepro records migrate`" if version == 1 else ""
        raise RecordError(path, f"schema version {version!r}, expected {SCHEMA_VERSION}{hint}")
    try:
        record = _ADAPTER.validate_json(text)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(record)'}: {e['msg']}" for e in err.errors())
        raise RecordError(path, f"does not match the schema ({problems})") from err
    if record.cached:
        raise RecordError(path, "stores 'cached', which is a property of a read, not of a run")
    if record.run_id != record.spec.run_id:
        raise RecordError(path, f"run_id {record.run_id} is not the hash of its spec ({record.spec.run_id})")
    return record


def dump_record(record: RunRecord) -> bytes:
    return json.dumps(record.to_dict(), indent=2, sort_keys=True, allow_nan=True).encode()


def schema_problem(record: RunRecord) -> str:
    """What would make ``record`` unreadable once written ('' when it reads back as it is): checked before writing."""
    try:
        parse_record(dump_record(record), f"<run {record.run_id}>")
    except (TypeError, ValueError) as err:  # json cannot encode a value (e.g. a numpy scalar in extras)
        return f"not JSON-encodable ({err})"
    except RecordError as err:
        return err.problem
    return ""
