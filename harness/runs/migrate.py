"""Rewrite schema-1 run records as schema 2, under their new run ids.

Schema 2 adds the resolved precision and device class to the spec, so every run id changes. A v1 record says
where it ran (``device``, e.g. ``cpu`` or ``cuda:0``) and at what precision (``precision``, already resolved:
``auto`` on a CPU was fp32); those become the spec's ``device_class`` and ``precision``. A record is refused
(left untouched, with the reason) when it is not what it claims: its id is not the hash of its spec, its
recorded precision contradicts its requested one, or it lacks them (a run that failed before fitting; rerun it).

Each record is migrated with atomic writes in a crash-safe order (new npz, new JSON, then the old npz and the
old JSON last), so rerunning after an interruption completes the job; records already at v2 are skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.runs.record import SCHEMA_VERSION, RecordError, RunRecord, dump_record, parse_record
from harness.runs.spec import RunSpec
from harness.runs.store import atomic_write, read_record

V1_SPEC_KEYS = ("task", "task_version", "task_hash", "model", "config", "seed", "data_fingerprint")


class Refused(Exception):
    """This v1 record cannot be migrated safely; the message says why."""


@dataclass
class MigrationReport:
    migrated: list[tuple[Path, Path]] = field(default_factory=list)  # (old file, new file)
    skipped: list[Path] = field(default_factory=list)  # already schema 2
    refused: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"migrated {len(self.migrated)}, skipped {len(self.skipped)} (already v{SCHEMA_VERSION}), "
                 f"refused {len(self.refused)}"]
        lines += [f"refused {path}: {why}" for path, why in self.refused]
        return "\n".join(lines)


def v1_run_id(spec: dict[str, Any]) -> str:
    """The v1 cache key: the same hash as ``RunSpec.run_id``, over the seven v1 fields."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=list).encode()).hexdigest()[:16]


def legacy_path(path: Path, spec: RunSpec) -> Path:
    """Where the schema-1 record of ``spec`` (whose record belongs at ``path``) would lie."""
    v1 = {k: v for k, v in dataclasses.asdict(spec).items() if k in V1_SPEC_KEYS}
    return path.with_name(f"{v1_run_id(v1)}.json")


def _resolved(raw: dict[str, Any]) -> tuple[str, str]:
    """``(device class, precision)`` the v1 run actually used, checked against what it asked for."""
    device, precision = raw.get("device"), raw.get("precision")
    if not isinstance(device, str) or not isinstance(precision, str):
        raise Refused("it records no device or precision (a run that failed before fitting); rerun it instead")
    device_class = device.split(":")[0]
    requested = raw["spec"]["config"].get("precision")
    if requested is None and (device_class, precision) != ("cpu", "fp32"):
        raise Refused(f"a model without a precision setting is planned as cpu/fp32, but it recorded "
                      f"{device_class}/{precision}")
    if requested not in (None, "auto") and precision != requested:
        raise Refused(f"it asked for precision {requested!r} but recorded {precision!r}")
    if requested == "auto" and device_class == "cpu" and precision != "fp32":
        raise Refused(f"precision 'auto' resolves to fp32 on a CPU, but it recorded {precision!r}")
    return device_class, precision


def migrate_v1(raw: dict[str, Any], path: Path) -> RunRecord:
    """The v2 form of the v1 record ``raw`` read from ``path`` (validated); raises :class:`Refused`."""
    spec = raw.get("spec")
    if not isinstance(spec, dict) or sorted(spec) != sorted(V1_SPEC_KEYS):
        raise Refused(f"its spec does not have exactly the v1 fields {', '.join(V1_SPEC_KEYS)}")
    if raw.get("run_id") != v1_run_id(spec) or path.stem != raw.get("run_id"):
        raise Refused(f"run_id {raw.get('run_id')!r} (file {path.name}) is not the hash of its spec "
                      f"({v1_run_id(spec)}); the record was edited or copied")
    device_class, precision = _resolved(raw)
    new_spec = RunSpec(**spec, device_class=device_class, precision=precision)
    migrated = {**raw, "schema_version": SCHEMA_VERSION, "run_id": new_spec.run_id,
                "spec": dataclasses.asdict(new_spec), "migrated_from": raw["run_id"]}
    try:
        return parse_record(json.dumps(migrated, allow_nan=True), path.with_name(f"{new_spec.run_id}.json"))
    except RecordError as err:
        raise Refused(err.problem) from err


def _migrate_file(path: Path, raw: dict[str, Any], dry_run: bool) -> Path:
    record = migrate_v1(raw, path)
    new_path = path.with_name(f"{record.run_id}.json")
    old_npz, new_npz = path.with_suffix(".npz"), new_path.with_suffix(".npz")
    if new_path.exists():  # an interrupted migration, or the run was redone under v2 meanwhile
        try:
            existing = read_record(new_path)
        except RecordError as err:
            raise Refused(f"{new_path} exists but is unusable ({err.problem}); delete it and migrate again") from err
        if existing.migrated_from != raw["run_id"]:
            raise Refused(f"{new_path.name} already holds a v2 run of the same spec; this v1 record is redundant "
                          "(delete it)")
    if dry_run:
        return new_path
    if old_npz.exists() and not (new_path.exists() and new_npz.exists()):
        with old_npz.open("rb") as src:
            atomic_write(new_npz, lambda f: shutil.copyfileobj(src, f))
    if not new_path.exists():
        payload = dump_record(record)
        atomic_write(new_path, lambda f: f.write(payload))
    old_npz.unlink(missing_ok=True)
    path.unlink()
    return new_path


def migrate_results(results: Path, *, dry_run: bool = False) -> MigrationReport:
    """Migrate every v1 record under ``<results>/runs``; idempotent. ``dry_run`` checks without writing."""
    report = MigrationReport()
    for path in sorted((Path(results) / "runs").glob("*/*/*.json")):
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            report.refused.append((path, f"unreadable ({err})"))
            continue
        version = raw.get("schema_version") if isinstance(raw, dict) else None
        if version == SCHEMA_VERSION:
            report.skipped.append(path)
        elif version != 1:
            report.refused.append((path, f"schema version {version!r}: only v1 records are migrated"))
        else:
            try:
                report.migrated.append((path, _migrate_file(path, raw, dry_run)))
            except Refused as err:
                report.refused.append((path, str(err)))
    return report
