"""Claims: what a paper says it achieved, as data, each with the place it was read.

A reproduction's ``claims.toml`` holds one ``[paper]`` table and a ``[[claim]]`` list::

    floor = "essl-untrained"            # optional: the arm every task claim is read against

    [paper]
    key = "essl"; title = "..."; venue = "ICLR"; year = 2022; link = "https://..."

    [[claim]]
    key = "esimclr-imagenet-100ep"      # unique within the paper
    kind = "absolute"                   # or "relative"
    statement = "E-SimCLR reaches 68.2% top-1 ..."
    dataset = "imagenet"                # or task = "digits-ssl" (a task we can run)
    metric = "accuracy"                 # a harness metric of that task
    variant = "top-1 linear probe, ResNet-50, 100 epochs"
    value = 68.2                        # absolute: the value; relative: the claimed a - b (optional)
    unit = "%"                          # "%" compares accuracy x 100; "" compares the metric as it is
    arm = "essl-esimclr"                # absolute: the model (or {model = ..., set = {...}})
    # relative: a = ..., b = ..., sign = "+" (a > b) or "-"
    std = 0.1; seeds = 5                # as reported, if stated
    tolerance = 0.5                     # in the claim's unit
    source = "Table 2, p. 6"            # required: table/figure and page, or the repository file
    notes = "..."
    differs = "..."                     # set when our setting differs in a way that voids the comparison

A claim without a source is refused: a number nobody can look up is not a claim.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.errors import UserError

UNITS = {"%": 100.0, "": 1.0}


@dataclass(frozen=True)
class Paper:
    key: str
    title: str
    venue: str
    year: int
    link: str


@dataclass(frozen=True)
class Arm:
    """One configuration: a registered model and setting overrides (``--set`` style, as strings)."""

    model: str
    overrides: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        if not self.overrides:
            return self.model
        return self.model + "[" + ",".join(f"{k}={v}" for k, v in self.overrides) + "]"

    def with_overrides(self, shared: dict[str, str]) -> Arm:
        merged = {**shared, **dict(self.overrides)}
        return Arm(self.model, tuple(sorted(merged.items())))


@dataclass(frozen=True)
class Claim:
    paper: Paper
    key: str
    kind: Literal["absolute", "relative"]
    statement: str
    metric: str
    variant: str
    source: str
    task: str | None = None
    dataset: str | None = None
    value: float | None = None
    unit: str = ""
    arm: Arm | None = None
    a: Arm | None = None
    b: Arm | None = None
    sign: Literal["+", "-"] = "+"
    std: float | None = None
    seeds: int | None = None
    tolerance: float = 0.0
    notes: str = ""
    differs: str = ""
    floor: Arm | None = None  # the reference every arm is read against (e.g. an untrained encoder)
    origin: str = field(default="", compare=False)

    @property
    def scale(self) -> float:
        """Multiplier from the harness metric's scale to the claim's unit (100 for percentages)."""
        return UNITS[self.unit]

    @property
    def arms(self) -> tuple[Arm, ...]:
        return tuple(a for a in (self.arm, self.a, self.b) if a is not None)


def as_setting(value: Any) -> str:
    """TOML values as ``--set`` strings (booleans lower-case, lists as JSON), the form configs parse."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return str(value)


def _arm(raw: Any, shared: dict[str, str], where: str) -> Arm:
    if isinstance(raw, str):
        return Arm(raw).with_overrides(shared)
    if isinstance(raw, dict) and isinstance(raw.get("model"), str):
        own = {k: as_setting(v) for k, v in raw.get("set", {}).items()}
        return Arm(raw["model"], tuple(sorted(own.items()))).with_overrides(shared)
    raise UserError(f"{where}: an arm is a model name or {{model = \"...\", set = {{...}}}}, got {raw!r}")


_CLAIM_KEYS = {"key", "kind", "statement", "metric", "variant", "source", "task", "dataset", "value", "unit",
               "arm", "a", "b", "sign", "std", "seeds", "tolerance", "notes", "differs", "set"}


def _claim(raw: dict[str, Any], paper: Paper, floor: Any, path: Path, index: int) -> Claim:
    key = raw.get("key") or f"#{index + 1}"
    where = f"{path}: claim {key!r}"
    unknown = set(raw) - _CLAIM_KEYS
    if unknown:
        raise UserError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                        f"valid: {', '.join(sorted(_CLAIM_KEYS))}")
    if not str(raw.get("source", "")).strip():
        raise UserError(f"{where} has no source. Give the table/figure and page, or the repository file the "
                        "number was read from; a claim nobody can look up is refused")
    for name in ("key", "kind", "statement", "metric", "variant"):
        if not raw.get(name):
            raise UserError(f"{where}: missing {name!r}")
    kind = raw["kind"]
    if kind not in ("absolute", "relative"):
        raise UserError(f"{where}: kind {kind!r} must be 'absolute' or 'relative'")
    if not raw.get("task") and not raw.get("dataset"):
        raise UserError(f"{where}: give task (a task we can run) or dataset (when no task runs it yet)")
    unit = raw.get("unit", "")
    if unit not in UNITS:
        raise UserError(f"{where}: unit {unit!r} must be one of {list(UNITS)}")
    shared = {k: as_setting(v) for k, v in raw.get("set", {}).items()}
    fields: dict[str, Any] = {k: raw[k] for k in ("task", "dataset", "std", "seeds", "notes", "differs")
                              if k in raw}
    if "value" in raw:
        fields["value"] = float(raw["value"])
    if kind == "absolute":
        if "value" not in raw or "arm" not in raw:
            raise UserError(f"{where}: an absolute claim needs value and arm")
        fields["arm"] = _arm(raw["arm"], shared, where)
    else:
        if "a" not in raw or "b" not in raw:
            raise UserError(f"{where}: a relative claim needs arms a and b (the claim is about a - b)")
        fields["a"], fields["b"] = _arm(raw["a"], shared, where), _arm(raw["b"], shared, where)
        sign = raw.get("sign") or ("-" if raw.get("value", 0) < 0 else "+")
        if sign not in ("+", "-"):
            raise UserError(f"{where}: sign {sign!r} must be '+' (a > b) or '-' (a < b)")
        if "value" in raw and raw["value"] != 0 and (raw["value"] > 0) != (sign == "+"):
            raise UserError(f"{where}: value {raw['value']} contradicts sign {sign!r}")
        fields["sign"] = sign
    if floor is not None and raw.get("task"):
        fields["floor"] = _arm(floor, shared, where)
    return Claim(paper=paper, key=key, kind=kind, statement=raw["statement"], metric=raw["metric"],
                 variant=raw["variant"], source=str(raw["source"]).strip(), unit=unit,
                 tolerance=float(raw.get("tolerance", 0.0)), origin=str(path), **fields)


def load_claims(path: Path) -> list[Claim]:
    """Parse and validate a ``claims.toml``; every error names the file and the claim."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"cannot read claims file {path}: {err}") from err
    meta = raw.get("paper")
    if not isinstance(meta, dict):
        raise UserError(f"{path}: missing [paper] table (key, title, venue, year, link)")
    try:
        paper = Paper(**{k: meta[k] for k in ("key", "title", "venue", "year", "link")})
    except KeyError as err:
        raise UserError(f"{path}: [paper] lacks {err.args[0]!r}") from None
    claims = [_claim(c, paper, raw.get("floor"), path, i) for i, c in enumerate(raw.get("claim", []))]
    if not claims:
        raise UserError(f"{path}: no [[claim]] entries")
    keys = [c.key for c in claims]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise UserError(f"{path}: duplicate claim key(s) {', '.join(duplicated)}")
    return claims
