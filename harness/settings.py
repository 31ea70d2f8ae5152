"""Model settings as text: ``--set key=value`` on the command line and ``set = {...}`` tables in TOML files.

One place parses them, so a setting means the same thing in ``mmrepro run``, a suite and a claim: TOML
values are first written as ``--set`` strings (:func:`as_setting`), then every string is parsed against the
type of the config field it overrides (:func:`apply_overrides`). A tuple field takes ``a,b`` (``--set
grid=0.1,1,10``; one value is a 1-tuple, an empty value the empty tuple) or a JSON list (``[0.1, 1]``, the form TOML
lists are written in).
"""

from __future__ import annotations

import dataclasses
import json
import typing
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


def _scalar(raw: str, kind: type | None) -> Any:
    """One item of a comma-separated tuple, as ``kind`` (the field's element type), else an int, float or text."""
    if kind is bool:
        if raw.lower() in _TRUE + _FALSE:
            return raw.lower() in _TRUE
        raise ValueError(raw)
    if kind is str:
        return raw
    if kind in (int, float):
        # Read as JSON reads it (``1`` stays an int in a float tuple), so ``--set grid=1,10`` and the TOML
        # ``grid = [1, 10]`` resolve to the same config, hence the same run id.
        try:
            value = json.loads(raw)
        except ValueError:
            value = float(raw) if kind is float else int(raw)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and isinstance(value, float)):
            raise ValueError(raw)
        return value
    for guess in (int, float):
        try:
            return guess(raw)
        except ValueError:
            pass
    return raw


def _element_type(current: Any, hint: Any) -> type | None:
    """``float`` for a ``tuple[float, ...]`` field (from its annotation, else from its default's first item)."""
    args = [a for a in typing.get_args(hint) if a is not Ellipsis]
    if args and isinstance(args[0], type):
        return args[0]
    return type(current[0]) if current else None


def parse_value(raw: str, current: Any, key: str, owner: str, hint: Any = None) -> Any:
    """``raw`` as the type of the field's default ``current`` (``hint``: the field's annotation, for tuples);
    ``owner`` names the config in errors."""
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
        if isinstance(current, (tuple, list)) and not raw.lstrip().startswith("["):
            kind = _element_type(current, hint)
            return tuple(_scalar(item.strip(), kind) for item in raw.split(",")) if raw.strip() else ()
        if isinstance(current, (tuple, list)) or current is None:
            value = json.loads(raw)
            return tuple(value) if isinstance(value, list) else value
    except ValueError as err:
        if isinstance(current, (tuple, list)):
            kind = _element_type(current, hint)
            of = f" {kind.__name__}" if kind else ""
            raise UserError(f"--set {key}={raw}: expected comma-separated{of} values for {owner}.{key} "
                            f"(e.g. --set {key}=1,2) or a JSON list") from err
        kind = type(current).__name__
        raise UserError(f"--set {key}={raw}: expected a {kind} for {owner}.{key}") from err
    return raw


def apply_overrides(config: Any, overrides: dict[str, str] | None, owner: str) -> Any:
    """A copy of the dataclass ``config`` with string overrides parsed and applied; unknown keys are refused."""
    names = [f.name for f in dataclasses.fields(config)]
    try:
        hints = typing.get_type_hints(type(config))
    except Exception:  # an annotation that does not resolve here: fall back to the default's type
        hints = {}
    for key, raw in (overrides or {}).items():
        if key not in names:
            raise UserError(f"--set {key}: {owner} has no setting {key!r}. Valid settings: {', '.join(names)}")
        value = parse_value(raw, getattr(config, key), key, type(config).__name__, hints.get(key))
        config = dataclasses.replace(config, **{key: value})
    return config
