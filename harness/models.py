"""Model registry: baselines and reproductions register a builder and a config dataclass by name.

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
from harness.errors import UserError
from harness.registry import Registry
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


MODELS: Registry[ModelDef] = Registry("model")


def register_model(name: str, *, config: type, description: str, target_kinds: tuple[str, ...]):
    """Decorator: ``@register_model("x", config=XConfig, ...)`` on a builder ``(task, data, cfg, seed)``."""

    def wrap(build: Builder) -> Builder:
        MODELS.add(name, ModelDef(name, description, config, build, target_kinds))
        return build

    return wrap


def get_model(name: str) -> ModelDef:
    _load_plugins()
    return MODELS.get(name)


def list_models() -> list[str]:
    _load_plugins()
    return MODELS.names()


def _load_plugins() -> None:
    """Importing the packages runs their registrations (baselines first, then reproductions)."""
    import baselines  # noqa: F401
    import reproductions  # noqa: F401


def _parse_value(raw: str, current: Any, key: str, config_cls: type) -> Any:
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(f"--set {key}={raw}: expected true or false")
    try:
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, (tuple, list)) or current is None:
            value = json.loads(raw)
            return tuple(value) if isinstance(value, list) else value
    except ValueError as err:
        kind = type(current).__name__
        raise UserError(f"--set {key}={raw}: expected a {kind} for {config_cls.__name__}.{key}") from err
    return raw


def resolve_config(model: ModelDef, overrides: dict[str, str] | None = None) -> Any:
    """Default config with ``key=value`` string overrides applied and type-checked."""
    config = model.config_cls()
    names = [f.name for f in dataclasses.fields(config)]
    for key, raw in (overrides or {}).items():
        if key not in names:
            raise UserError(
                f"--set {key}: model {model.name!r} has no setting {key!r}. Valid settings: {', '.join(names)}"
            )
        config = dataclasses.replace(config, **{key: _parse_value(raw, getattr(config, key), key,
                                                                  model.config_cls)})
    return config


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--set {pair!r}: expected key=value, e.g. --set lr=3e-4")
        out[key.strip()] = value.strip()
    return out
