"""Model registry: plug-ins (baselines, papers) register a builder and a config dataclass by name.

The contract keeps selection honest: the runner calls ``fit(train, select)`` and only afterwards
``predict`` on the selection and report splits, so no model ever sees reported labels while training.
Outputs are raw, per target kind: regression ``(n,)``; single-label/binary ``(n, C)`` class scores;
multi-label ``(n, L)`` scores; retrieval ``(n_query, n_gallery)`` similarities.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from harness.data.dataset import MultimodalDataset, Split
from harness.registry import Registry
from harness.settings import apply_overrides
from harness.tasks.spec import TaskSpec


class Model(Protocol):
    def fit(self, train: Split, valid: Split) -> None: ...

    def predict(self, split: Split) -> np.ndarray: ...


@dataclass
class FitInfo:
    """What a model reports about its own training, copied into the run record."""

    n_parameters: int = 0
    best_epoch: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    device: str = "cpu"
    precision: str = "fp32"
    extras: dict[str, Any] = field(default_factory=dict)


class NonFiniteError(RuntimeError):
    """Training diverged (NaN/inf loss or outputs); the run is recorded as failed with this reason."""


Builder = Callable[[TaskSpec, MultimodalDataset, Any, int], Model]


@dataclass(frozen=True)
class ModelDef:
    name: str
    description: str
    config_cls: type
    build: Builder
    target_kinds: tuple[str, ...]

    def supports(self, task: TaskSpec) -> bool:
        return task.target_kind in self.target_kinds

    @property
    def defaults(self) -> dict[str, Any]:
        """The default config as stored in records; kept in the plug-in index, so a leaderboard labels rows
        (``model[changed=value]``) without importing the model's code."""
        return plain_config(self.config_cls())


MODELS: Registry[ModelDef] = Registry("model")


def register_model(name: str, *, config: type, description: str, target_kinds: tuple[str, ...]):
    """Decorator: ``@register_model("x", config=XConfig, ...)`` on a builder ``(task, data, cfg, seed)``."""

    def wrap(build: Builder) -> Builder:
        MODELS.add(name, ModelDef(name, description, config, build, target_kinds))
        return build

    return wrap


def get_model(name: str) -> ModelDef:
    return MODELS.get(name)


def list_models() -> list[str]:
    return MODELS.names()


def plain_config(config: Any) -> dict[str, Any]:
    """A config dataclass as JSON-plain values (tuples become lists), the form stored in records."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=list))


def resolve_config(model: ModelDef, overrides: dict[str, str] | None = None) -> Any:
    """Default config with ``key=value`` string overrides applied and type-checked."""
    return apply_overrides(model.config_cls(), overrides, f"model {model.name!r}")
