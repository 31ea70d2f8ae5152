"""Checkpoints as safetensors (tensors only, so loading one can never execute code), and resumable stages.

A *stage* is one unit of staged training (e.g. masked pre-training, then fine-tuning), each run by the shared
``Trainer``. :class:`StageStore` saves the module's weights after each stage, keyed by a hash of everything that
determines them (:func:`config_hash` of the stage's settings, its seed, its data and the key of the stage
before it), so a new process resumes after the last finished stage and a changed setting never resumes a stale
one: the key chains, so changing stage 1 also invalidates stages 2 and 3. Every write is atomic (temporary file,
then rename): an interruption leaves either the old file or the new one, never half of one.

Resuming is at stage granularity: a stage interrupted half-way runs again from its start. A stage resumed from
its checkpoint gives bit-identical weights to an uninterrupted run only if each stage's randomness depends on its
own seed alone (not on what ran before it in the process); :func:`stage_seed` derives such a seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from harness.errors import UserError

MODEL_PREFIX = "model."
STAGE_META = "stage"  # metadata entries of a stage checkpoint: its name, key and record (JSON)
KEY_META = "key"
RECORD_META = "record"


def save_checkpoint(path: Path, state: dict[str, torch.Tensor], metadata: dict[str, str] | None = None,
                    extra: dict[str, torch.Tensor] | None = None) -> None:
    """Write a module state dict (plus ``extra`` tensors, e.g. input statistics) atomically."""
    tensors = {MODEL_PREFIX + k: v.detach().cpu().contiguous() for k, v in state.items()}
    tensors |= {k: v.detach().cpu().contiguous() for k, v in (extra or {}).items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # per process: two workers may save one stage
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``(module state dict, extra tensors)`` from a file written by :func:`save_checkpoint`."""
    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as err:
        raise UserError(f"cannot read checkpoint {path}: {err}") from err
    state = {k[len(MODEL_PREFIX):]: v for k, v in tensors.items() if k.startswith(MODEL_PREFIX)}
    extra = {k: v for k, v in tensors.items() if not k.startswith(MODEL_PREFIX)}
    return state, extra


def checkpoint_metadata(path: Path) -> dict[str, str]:
    """The string metadata of a safetensors file, read without loading its tensors."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except (OSError, SafetensorError) as err:
        raise UserError(f"cannot read checkpoint {path}: {err}") from err


def config_hash(*parts: Any) -> str:
    """A short stable hash of JSON-able parts (dict keys sorted; tuples as lists), e.g. a stage's settings."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stage_seed(seed: int, stage: str) -> int:
    """A seed for one stage derived from the run's seed and the stage's name (not from earlier stages)."""
    return int(hashlib.sha256(f"{seed}:{stage}".encode()).hexdigest()[:8], 16)


@dataclass
class StageResult:
    """One stage as it ended: its key, its record (e.g. the Trainer's history) and whether it was resumed."""

    name: str
    key: str
    record: dict[str, Any] = field(default_factory=dict)
    resumed: bool = False


class StageStore:
    """A folder of stage checkpoints ``<stage>-<key>.safetensors``; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, stage: str, key: str) -> Path:
        return self.root / f"{stage}-{key}.safetensors"

    def run(self, stage: str, key: str, module: nn.Module, train: Callable[[], dict[str, Any]]) -> StageResult:
        """Load ``stage``'s weights into ``module`` if a checkpoint with ``key`` exists; otherwise call
        ``train()`` (which trains ``module`` in place and returns the stage's JSON-able record), then save."""
        path = self.path(stage, key)
        if path.exists():
            meta = checkpoint_metadata(path)
            if meta.get(KEY_META) != key or meta.get(STAGE_META) != stage:
                raise UserError(f"checkpoint {path} names stage {meta.get(STAGE_META)!r} key {meta.get(KEY_META)!r},"
                                f" not {stage!r} {key!r}; delete it")
            state, _ = load_checkpoint(path)
            try:
                module.load_state_dict(state)
            except RuntimeError as err:  # torch's first line only says "Error(s) in loading"; the rest says what
                details = "; ".join(line.strip() for line in str(err).splitlines()[1:]) or str(err)
                raise UserError(f"checkpoint {path} does not fit the module: {details}") from err
            return StageResult(stage, key, json.loads(meta.get(RECORD_META, "{}")), resumed=True)
        t0, c0 = time.perf_counter(), time.process_time()
        record = dict(train())
        record.setdefault("seconds", time.perf_counter() - t0)
        record.setdefault("cpu_seconds", time.process_time() - c0)  # this process's CPU time (machine is shared)
        save_checkpoint(path, module.state_dict(),
                        {STAGE_META: stage, KEY_META: key, RECORD_META: json.dumps(record, default=float)})
        return StageResult(stage, key, record)

    def keys(self, stage: str) -> list[str]:
        """Keys of the saved checkpoints of ``stage`` (for inspection and tests)."""
        return sorted(p.name[len(stage) + 1:-len(".safetensors")] for p in self.root.glob(f"{stage}-*.safetensors"))


def chain_keys(stages: Mapping[str, Any], *shared: Any) -> dict[str, str]:
    """Each stage's key from its own settings, ``shared`` parts (seed, data) and the previous stage's key."""
    keys, previous = {}, ""
    for name, settings in stages.items():
        previous = keys[name] = config_hash(name, settings, previous, *shared)
    return keys
