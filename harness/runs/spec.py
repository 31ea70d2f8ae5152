"""RunSpec: everything that determines a run's numbers; its hash is the cache key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from harness.models import ModelDef, resolve_config
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class RunSpec:
    task: str
    task_version: int
    task_hash: str
    model: str
    config: dict[str, Any]
    seed: int
    data_fingerprint: str

    @property
    def run_id(self) -> str:
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def model_label(self) -> str:
        """The model name, plus the settings that differ from its defaults (leaderboard row label)."""
        from harness.models import get_model

        defaults = plain_config(get_model(self.model).config_cls())
        changed = {k: v for k, v in self.config.items() if defaults.get(k) != v}
        if not changed:
            return self.model
        return self.model + "[" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + "]"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunSpec:
        return cls(**raw)


def make_spec(task: TaskSpec, model: ModelDef, seed: int, fingerprint: str,
              overrides: dict[str, str] | None = None) -> RunSpec:
    config = plain_config(resolve_config(model, overrides))
    return RunSpec(task=task.name, task_version=task.version, task_hash=task.spec_hash(), model=model.name,
                   config=config, seed=seed, data_fingerprint=fingerprint)


def plain_config(config: Any) -> dict[str, Any]:
    """A config dataclass as JSON-plain values (tuples become lists), the form stored in records."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=list))
