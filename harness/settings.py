"""Model settings as text: ``--set key=value`` on the command line and ``set = {...}`` tables in TOML files.

One place parses them, so a setting means the same thing in ``mmrepro run``, a suite and a claim: TOML
values are first written as ``--set`` strings (:func:`as_setting`), then every string is parsed against the
type of the config field it overrides (:func:`apply_overrides`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from harness.errors import UserError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_overrides(pairs: list[str] | None, *, flag: str = "--set", example: str = "lr=3e-4") -> dict[str, str]:
    """``["lr=3e-4", "hidden=64"]`` -> ``{"lr": "3e-4", "hidden": "64"}`` (also ``data prepare --option``)."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{flag} {pair!r}: expected key=value, e.g. {flag} {example}")
        out[key.strip()] = value.strip()
    return out


def as_setting(value: Any) -> str:
    """A TOML value as a ``--set`` string (booleans lower-case, lists as JSON), the form configs parse."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return str(value)


def as_settings(table: dict[str, Any]) -> dict[str, str]:
    """A TOML ``set = {...}`` table as ``--set`` strings."""
    return {str(k): as_setting(v) for k, v in table.items()}


def parse_value(raw: str, current: Any, key: str, owner: str) -> Any:
    """``raw`` as the type of the field's default ``current``; ``owner`` names the config in errors."""
    if isinstance(current, bool):
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
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
        raise UserError(f"--set {key}={raw}: expected a {kind} for {owner}.{key}") from err
    return raw


def apply_overrides(config: Any, overrides: dict[str, str] | None, owner: str) -> Any:
    """A copy of the dataclass ``config`` with string overrides parsed and applied; unknown keys are refused."""
    names = [f.name for f in dataclasses.fields(config)]
    for key, raw in (overrides or {}).items():
        if key not in names:
            raise UserError(f"--set {key}: {owner} has no setting {key!r}. Valid settings: {', '.join(names)}")
        value = parse_value(raw, getattr(config, key), key, type(config).__name__)
        config = dataclasses.replace(config, **{key: value})
    return config
