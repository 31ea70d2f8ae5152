"""Claims: what a paper says it achieved, as data, with the protocol behind the number and where it was read.

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
    variant = "top-1 linear probe, ResNet-50, 100 epochs"   # the setting, in words
    value = 68.2                        # absolute: the value; relative: the claimed a - b (optional)
    unit = "%"                          # "%" compares accuracy x 100; "" compares the metric as it is
    arm = "essl-esimclr"                # absolute: the model (or {model = ..., set = {...}})
    # relative: a = ..., b = ..., sign = "+" (a > b) or "-"
    tolerance = 0.5                     # in the claim's unit
    source = "Table 2, p. 6"            # required (or sources = [...]): table/figure and page, or repository file
    notes = "..."
    differs = "..."                     # our setting differs in a way that VOIDS the comparison: not comparable

    # The protocol behind the number (schema v2; every field optional, an absent one reads "unknown"):
    aggregation = "best-of-n"           # mean | median | best-of-n | single-run | unknown
    n = 10                              # runs aggregated (required for best-of-n)
    selection = { split = "dev", criterion = "weighted F1" }   # or "test" (a hazard), "none", "unknown"
    metric_variant = "weighted F1 over 6 classes"
    data_version = "IEMOCAP 6-way, 7,433 utterances"           # a release name, or a content hash
    seeds = 10                          # how many seeds (or the list: [0, 1, 2])
    std = 0.4                           # the reported spread's value, in the claim's unit
    spread = "population std"           # population std | sample std | std | none  (what ``std`` is)
    source_quality = "primary-table"    # primary-table | primary-text | official-repository | secondary |
                                        # figure-by-eye | quoted
    protocol_differs = ["..."]          # differences from our protocol that could explain a gap without voiding
                                        # the comparison: under rules v2 a gap then reads inconclusive

    # Several sources: sources = [{ where = "...", quality = "...", value = 68.1 }, ...] (value optional:
    # a source giving another number than ``value`` marks the claim "sources disagree").

    [[claim.reports]]                   # a third party's report of the same number (shown between paper and us)
    who = "MMSA (thuiar)"; where = "results/result-stat.md @ 698bae0"; value = 67.3
    # ...and any protocol field above (aggregation, n, selection, metric_variant, data_version, seeds, std,
    # spread, source_quality), plus notes

A claim without a source is refused: a number nobody can look up is not a claim. Files written before schema v2
load unchanged: their protocol reads "unknown", which every report shows.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.errors import UserError
from harness.settings import as_settings

UNITS = {"%": 100.0, "": 1.0}
AGGREGATIONS = ("mean", "median", "best-of-n", "single-run", "unknown")
SPREADS = ("population std", "sample std", "std", "none")
SOURCE_QUALITIES = ("primary-table", "primary-text", "official-repository", "secondary", "figure-by-eye",
                    "quoted")
HAZARD_SPLITS = ("test",)  # selecting on the split that is reported inflates the number


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
class Selection:
    """Which split picked the reported checkpoint or run, and by what: empty split = not stated.

    ``none`` means nothing was selected (fixed schedule, last checkpoint); ``test`` is a hazard: the number
    was selected on the split it reports."""

    split: str = ""
    criterion: str = ""

    @property
    def known(self) -> bool:
        return bool(self.split)

    @property
    def hazard(self) -> bool:
        return self.split in HAZARD_SPLITS

    def __str__(self) -> str:
        if not self.split:
            return "unknown"
        if self.split == "none":
            return "none (fixed schedule)"
        text = self.split + (f" ({self.criterion})" if self.criterion else "")
        return text + (" [hazard: selected on the reported split]" if self.hazard else "")


@dataclass(frozen=True)
class Protocol:
    """How a number was obtained. ``unknown`` / empty means the source does not say."""

    aggregation: str = "unknown"
    n: int | None = None  # runs aggregated (best-of-n: the n)
    selection: Selection = Selection()
    metric_variant: str = ""
    data_version: str = ""
    seed_values: tuple[int, ...] = ()  # the seeds, when listed
    spread: str = ""  # what the reported std is (one of SPREADS); empty = unknown

    @property
    def aggregation_label(self) -> str:
        if self.aggregation == "best-of-n":
            return f"best of {self.n}"
        if self.aggregation in ("mean", "median") and self.n:
            return f"{self.aggregation} of {self.n}"
        return self.aggregation

    def missing(self) -> list[str]:
        """The protocol fields the source leaves unstated (shown in reports, never guessed)."""
        gaps = []
        if self.aggregation == "unknown":
            gaps.append("aggregation")
        if not self.selection.known:
            gaps.append("selection")
        if not self.metric_variant:
            gaps.append("metric variant")
        if not self.data_version:
            gaps.append("data version")
        return gaps


@dataclass(frozen=True)
class Source:
    """Where a number was read, how trustworthy that place is, and the value it gives if not the claim's."""

    where: str
    quality: str = "unknown"
    value: float | None = None


@dataclass(frozen=True)
class Report:
    """A third party's report of the claimed number: who, where, the value and its own protocol."""

    who: str
    where: str
    value: float
    std: float | None = None
    seeds: int | None = None
    protocol: Protocol = Protocol()
    quality: str = "unknown"
    notes: str = ""


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
    protocol: Protocol = Protocol()
    sources: tuple[Source, ...] = ()  # every place the number was read (the first is ``source``)
    reports: tuple[Report, ...] = ()
    protocol_differs: tuple[str, ...] = ()
    origin: str = field(default="", compare=False)

    @property
    def scale(self) -> float:
        """Multiplier from the harness metric's scale to the claim's unit (100 for percentages)."""
        return UNITS[self.unit]

    @property
    def arms(self) -> tuple[Arm, ...]:
        return tuple(a for a in (self.arm, self.a, self.b) if a is not None)

    @property
    def sources_disagree(self) -> bool:
        """True when some source gives another number than the claim's value."""
        return self.value is not None and any(s.value is not None and s.value != self.value for s in self.sources)

    @property
    def source_quality(self) -> str:
        return self.sources[0].quality if self.sources else "unknown"


_PROTOCOL_KEYS = {"aggregation", "n", "selection", "metric_variant", "data_version", "seeds", "std", "spread",
                  "source_quality"}
_CLAIM_KEYS = {"key", "kind", "statement", "metric", "variant", "source", "sources", "task", "dataset", "value",
               "unit", "arm", "a", "b", "sign", "tolerance", "notes", "differs", "set", "reports",
               "protocol_differs"} | _PROTOCOL_KEYS
_REPORT_KEYS = {"who", "where", "value", "notes"} | _PROTOCOL_KEYS


def _arm(raw: Any, shared: dict[str, str], where: str) -> Arm:
    if isinstance(raw, str):
        return Arm(raw).with_overrides(shared)
    if isinstance(raw, dict) and isinstance(raw.get("model"), str):
        own = as_settings(raw.get("set", {}))
        return Arm(raw["model"], tuple(sorted(own.items()))).with_overrides(shared)
    raise UserError(f"{where}: an arm is a model name or {{model = \"...\", set = {{...}}}}, got {raw!r}")


def _choice(raw: dict[str, Any], name: str, choices: tuple[str, ...], where: str, default: str) -> str:
    value = raw.get(name, default)
    if value not in choices:
        raise UserError(f"{where}: {name} {value!r} must be one of {', '.join(choices)}")
    return value


def _selection(raw: Any, where: str) -> Selection:
    if raw is None or raw == "unknown":
        return Selection()
    if isinstance(raw, str) and raw.strip():
        return Selection(raw.strip())
    if isinstance(raw, dict) and isinstance(raw.get("split"), str) and set(raw) <= {"split", "criterion"}:
        return Selection(raw["split"].strip(), str(raw.get("criterion", "")).strip())
    raise UserError(f"{where}: selection is \"test\", \"none\", \"unknown\" or {{split = \"...\", "
                    f"criterion = \"...\"}}, got {raw!r}")


def _seeds(raw: Any, where: str) -> tuple[int | None, tuple[int, ...]]:
    """``seeds = 5`` (a count) or ``seeds = [0, 1, 2]`` (the list): the count and the listed seeds."""
    if raw is None:
        return None, ()
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw, ()
    if isinstance(raw, list) and raw and all(isinstance(s, int) and not isinstance(s, bool) for s in raw):
        return len(raw), tuple(raw)
    raise UserError(f"{where}: seeds is a positive count or a list of integer seeds, got {raw!r}")


def _number(raw: dict[str, Any], name: str, where: str) -> float | None:
    if name not in raw:
        return None
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def _protocol(raw: dict[str, Any], where: str) -> Protocol:
    aggregation = _choice(raw, "aggregation", AGGREGATIONS, where, "unknown")
    n = raw.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise UserError(f"{where}: n (runs aggregated) must be a positive integer, got {n!r}")
    if aggregation == "best-of-n" and n is None:
        raise UserError(f"{where}: aggregation \"best-of-n\" needs n (how many runs the best was taken from)")
    if aggregation == "single-run":
        if n not in (None, 1):
            raise UserError(f"{where}: aggregation \"single-run\" contradicts n = {n}")
        n = 1
    count, listed = _seeds(raw.get("seeds"), where)
    spread = raw.get("spread", "std" if "std" in raw else "")
    if spread and spread not in SPREADS:
        raise UserError(f"{where}: spread {spread!r} must be one of {', '.join(SPREADS)}")
    if spread == "none" and "std" in raw:
        raise UserError(f"{where}: spread \"none\" (no spread reported) contradicts std = {raw['std']}")
    return Protocol(aggregation=aggregation, n=n if n is not None else count if aggregation in ("mean", "median")
                    else None, selection=_selection(raw.get("selection"), where),
                    metric_variant=str(raw.get("metric_variant", "")).strip(),
                    data_version=str(raw.get("data_version", "")).strip(), seed_values=listed, spread=spread)


def _sources(raw: dict[str, Any], where: str) -> tuple[Source, ...]:
    quality = _choice(raw, "source_quality", (*SOURCE_QUALITIES, "unknown"), where, "unknown")
    found = []
    if str(raw.get("source", "")).strip():
        found.append(Source(str(raw["source"]).strip(), quality))
    extra = raw.get("sources", [])
    if not isinstance(extra, list):
        raise UserError(f"{where}: sources is a list of {{where = \"...\", quality = \"...\", value = ...}}")
    for item in extra:
        if not isinstance(item, dict) or not str(item.get("where", "")).strip() or \
                set(item) - {"where", "quality", "value"}:
            raise UserError(f"{where}: each of sources is {{where = \"...\", quality = \"...\", value = ...}} "
                            f"(where required), got {item!r}")
        found.append(Source(str(item["where"]).strip(),
                            _choice(item, "quality", (*SOURCE_QUALITIES, "unknown"), where, "unknown"),
                            _number(item, "value", where)))
    return tuple(found)


def _report(raw: Any, where: str) -> Report:
    if not isinstance(raw, dict):
        raise UserError(f"{where}: a report is a table ([[claim.reports]]), got {raw!r}")
    unknown = set(raw) - _REPORT_KEYS
    if unknown:
        raise UserError(f"{where}: unknown report field(s) {', '.join(sorted(unknown))}; "
                        f"valid: {', '.join(sorted(_REPORT_KEYS))}")
    for name in ("who", "where", "value"):
        if name not in raw or raw[name] == "":
            raise UserError(f"{where}: a report needs who, where and value (missing {name!r})")
    count, _ = _seeds(raw.get("seeds"), where)
    return Report(who=str(raw["who"]), where=str(raw["where"]), value=_number(raw, "value", where),
                  std=_number(raw, "std", where), seeds=count, protocol=_protocol(raw, where),
                  quality=_choice(raw, "source_quality", (*SOURCE_QUALITIES, "unknown"), where, "unknown"),
                  notes=str(raw.get("notes", "")))


def _claim(raw: dict[str, Any], paper: Paper, floor: Any, path: Path, index: int) -> Claim:
    key = raw.get("key") or f"#{index + 1}"
    where = f"{path}: claim {key!r}"
    unknown = set(raw) - _CLAIM_KEYS
    if unknown:
        raise UserError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                        f"valid: {', '.join(sorted(_CLAIM_KEYS))}")
    sources = _sources(raw, where)
    if not sources:
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
    shared = as_settings(raw.get("set", {}))
    fields: dict[str, Any] = {k: raw[k] for k in ("task", "dataset", "notes", "differs") if k in raw}
    fields["std"] = _number(raw, "std", where)
    fields["seeds"], _ = _seeds(raw.get("seeds"), where)
    if "value" in raw:
        fields["value"] = _number(raw, "value", where)
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
    differs = raw.get("protocol_differs", [])
    if isinstance(differs, str):
        differs = [differs]
    if not isinstance(differs, list) or not all(isinstance(d, str) and d.strip() for d in differs):
        raise UserError(f"{where}: protocol_differs is a list of non-empty strings, got {differs!r}")
    reports = raw.get("reports", [])
    if not isinstance(reports, list):
        raise UserError(f"{where}: reports is a list of tables ([[claim.reports]])")
    return Claim(paper=paper, key=key, kind=kind, statement=raw["statement"], metric=raw["metric"],
                 variant=raw["variant"], source=sources[0].where, unit=unit,
                 tolerance=float(raw.get("tolerance", 0.0)), protocol=_protocol(raw, where), sources=sources,
                 reports=tuple(_report(r, f"{where}, report {i + 1}") for i, r in enumerate(reports)),
                 protocol_differs=tuple(d.strip() for d in differs), origin=str(path), **fields)


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
