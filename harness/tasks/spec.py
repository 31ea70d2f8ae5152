"""Task specs: what is measured, on which data, selected and reported on which splits.

A task is data, not code (one TOML file each). ``spec_hash`` covers every field but the version;
``tests/tasks/test_task_specs.py`` fails when a hash changes without a version bump, so numbers
from different definitions of a task can never share a run key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

from harness.errors import UserError
from harness.names import NAME_RULE, RULE_TEXT
from harness.tasks.fold_protocol import FoldProtocol

TargetKind = Literal["regression", "single-label", "binary", "multi-label", "retrieval", "class-retrieval"]
TARGET_KINDS: tuple[str, ...] = ("regression", "single-label", "binary", "multi-label", "retrieval",
                                 "class-retrieval")

# The output kinds of the metrics a task of each target kind may list; any other kind lists its own.
# A binary task's outputs are two-class scores, so the single-label metrics (accuracy, macro F1) apply too.
METRIC_KINDS: dict[str, tuple[str, ...]] = {"binary": ("binary", "single-label")}


def canonical_kind(kind: str) -> str:
    """Kinds are spelled with hyphens (``single-label``); the underscore spelling is read as the same kind."""
    return kind.replace("_", "-")


@dataclass(frozen=True)
class SplitProtocol:
    """Which split trains, which selects (early stopping, hyper-parameters) and which is reported."""

    train: str = "train"
    select: str = "valid"
    report: str = "test"
    description: str = ""


OPTIONAL_FIELDS = ("positive_class", "folds")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    version: int
    description: str
    dataset: str
    modalities: tuple[str, ...]
    target_kind: TargetKind
    metrics: tuple[str, ...]
    primary_metric: str
    citation: str
    splits: SplitProtocol = field(default_factory=SplitProtocol)
    num_classes: int | None = None
    synthetic: bool = False
    positive_class: str | None = None
    """Binary tasks: the class (a label_map key of the dataset) binary metrics score as positive; checked
    against the prepared data, whose label map must send it to class id 1."""
    folds: FoldProtocol | None = None
    """k-fold or repeated-split protocol (``[folds]``, :mod:`harness.tasks.folds`); None: one fixed split."""

    @property
    def higher_is_better(self) -> bool:
        from harness.metrics.registry import get_metric

        return get_metric(self.primary_metric).higher_is_better

    @property
    def display_name(self) -> str:
        return f"{self.name} (SYNTHETIC)" if self.synthetic else self.name

    def spec_hash(self) -> str:
        fields = asdict(self)
        fields.pop("version")
        for optional in OPTIONAL_FIELDS:  # added later: absent, they leave the hashes (and run ids) as they were
            if fields[optional] is None:
                fields.pop(optional)
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def _check(spec: TaskSpec, origin: str) -> None:
    from harness.metrics.registry import get_metric

    problems = []
    if spec.target_kind not in TARGET_KINDS:
        problems.append(f"target_kind {spec.target_kind!r} is not one of {TARGET_KINDS}")
    if spec.primary_metric not in spec.metrics:
        problems.append(f"primary_metric {spec.primary_metric!r} is not in metrics {list(spec.metrics)}")
    for kind, name in (("task", spec.name), ("dataset", spec.dataset)):
        if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
            problems.append(f"{kind} name {name!r} is not allowed ({RULE_TEXT})")
    if spec.splits.train == spec.splits.report:
        problems.append(f"train and report split are both {spec.splits.report!r}; a model may not be scored on "
                        "the items it was fitted on")
    if spec.splits.select == spec.splits.report:
        problems.append(f"select and report split are both {spec.splits.report!r}; selection on the "
                        "reported split is not allowed")
    if spec.target_kind == "single-label" and not spec.num_classes:
        problems.append("single-label tasks need num_classes (binary tasks have 2)")
    if spec.target_kind == "binary" and spec.num_classes != 2:
        problems.append(f"a binary task has 2 classes, not num_classes = {spec.num_classes}; use target_kind = "
                        "\"single-label\" for more")
    if spec.positive_class is not None and spec.target_kind != "binary":
        problems.append("positive_class applies to binary tasks")
    if spec.folds is not None:
        problems += spec.folds.problems()
    for metric in spec.metrics:
        try:
            kind = canonical_kind(get_metric(metric).output_kind)
        except KeyError as err:
            raise UserError(f"task file {origin}: {err}") from None
        allowed = METRIC_KINDS.get(spec.target_kind, (spec.target_kind,))
        if kind not in allowed:
            problems.append(f"metric {metric!r} scores {kind} outputs; a {spec.target_kind} task takes metrics "
                            f"of kind {' or '.join(allowed)}")
    if problems:
        raise UserError(f"task file {origin}: " + "; ".join(problems))


def _refuse_unknown_fields(path: Path, raw: object, cls: type, prefix: str) -> None:
    """An unknown key is a typo until shown otherwise: name it and the closest field."""
    known = [f.name for f in fields(cls)]
    if not isinstance(raw, dict):
        raise UserError(f"task file {path}: {prefix.rstrip('.') or 'the file'} must be a table of fields")
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(f"task file {path}: unknown field {prefix + key!r}{hint} (fields: {', '.join(known)})")


def load_task_file(path: Path) -> TaskSpec:
    """Parse and validate one task TOML; errors name the file and the field."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"cannot read task file {path}: {err}") from err
    _refuse_unknown_fields(path, raw, TaskSpec, "")
    _refuse_unknown_fields(path, raw.get("splits", {}), SplitProtocol, "splits.")
    raw["splits"] = SplitProtocol(**raw.get("splits", {}))
    if "folds" in raw:
        _refuse_unknown_fields(path, raw["folds"], FoldProtocol, "folds.")
        if "k" not in raw["folds"]:
            raise UserError(f"task file {path}: [folds] needs k (the number of folds or repeats)")
        raw["folds"] = FoldProtocol(**raw["folds"])
    if canonical_kind(str(raw.get("target_kind", ""))) == "binary":
        raw.setdefault("num_classes", 2)  # binary means two classes; saying so again is optional
    if isinstance(raw.get("positive_class"), int | bool):
        from harness.data.labels import label_key

        raw["positive_class"] = label_key(raw["positive_class"])
    if isinstance(raw.get("target_kind"), str):
        raw["target_kind"] = canonical_kind(raw["target_kind"])
    for key in ("modalities", "metrics"):
        raw[key] = tuple(raw.get(key, ()))
    try:
        spec = TaskSpec(**raw)
    except TypeError as err:
        raise UserError(f"task file {path}: {err}") from err
    _check(spec, str(path))
    return spec
