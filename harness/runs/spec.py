"""RunSpec: everything that determines a run's numbers; its hash is the cache key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from harness.models import MODELS, ModelDef, plain_config, resolve_config
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class RunSpec:
    """Every field changes the run id (a test perturbs each one); add a field here if it can change a number."""

    task: str
    task_version: int
    task_hash: str
    model: str
    config: dict[str, Any]
    seed: int
    data_fingerprint: str
    device_class: str
    """Device type the run computes on (``cpu``, ``cuda``): kernels differ, so numbers differ."""
    precision: str
    """Resolved autocast precision (``fp32``, ``bf16``, ``fp16``), never ``auto``."""
    fold: int | None = None
    """Fold (or repeat) index of a task with a fold protocol (``harness.tasks.folds``); None for one fixed split."""

    @property
    def run_id(self) -> str:
        fields = dataclasses.asdict(self)
        if fields["fold"] is None:  # runs without folds keep the ids they had before folds existed
            fields.pop("fold")
        payload = json.dumps(fields, sort_keys=True, default=list)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def model_label(self) -> str:
        """The model name, plus the settings that differ from its defaults (leaderboard row label)."""
        defaults = MODELS.peek(self.model, "defaults")  # from the plug-in index: no model code imported
        changed = {k: v for k, v in self.config.items() if defaults.get(k) != v}
        if not changed:
            return self.model
        return self.model + "[" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + "]"


def resolve_execution(config: Any) -> tuple[str, str]:
    """``(device class, precision)`` a model with this config will run at on this machine.

    Models with a ``precision`` setting train with the Trainer, which picks the device (``MMREPRO_DEVICE``, else
    CUDA when present) and resolves ``auto``; the others (scikit-learn, probes) compute on the CPU in fp32 or
    wider, which ``FitInfo``'s defaults also report. The runner checks the model's report against this.
    """
    if not hasattr(config, "precision"):
        return "cpu", "fp32"
    from harness.train.device import resolve_precision, select_device  # torch: only for models that train with it

    device = select_device()
    return device.type, resolve_precision(config.precision, device)


def make_spec(task: TaskSpec, model: ModelDef, seed: int, fingerprint: str,
              overrides: dict[str, str] | None = None, fold: int | None = None) -> RunSpec:
    resolved = resolve_config(model, overrides)
    device_class, precision = resolve_execution(resolved)
    return RunSpec(task=task.name, task_version=task.version, task_hash=task.spec_hash(), model=model.name,
                   config=plain_config(resolved), seed=seed, data_fingerprint=fingerprint,
                   device_class=device_class, precision=precision, fold=fold)
