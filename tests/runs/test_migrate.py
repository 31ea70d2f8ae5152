"""Migrating schema-1 records (copies of three committed ones, in tests/runs/data/v1) to schema 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.runs.migrate import migrate_results, v1_run_id
from harness.runs.spec import RunSpec
from harness.runs.store import iter_records, read_record

V1 = Path(__file__).parent / "data" / "v1"
V1_FILES = sorted(p.relative_to(V1) for p in V1.rglob("*.json"))


@pytest.fixture
def results(tmp_path: Path) -> Path:
    shutil.copytree(V1, tmp_path / "results")
    return tmp_path / "results"


def test_fixtures_are_untouched_v1_records() -> None:
    assert len(V1_FILES) == 3
    for rel in V1_FILES:
        raw = json.loads((V1 / rel).read_text())
        assert raw["schema_version"] == 1 and v1_run_id(raw["spec"]) == raw["run_id"] == rel.stem


def test_migration_rewrites_records_under_their_new_ids(results: Path) -> None:
    report = migrate_results(results)
    assert (len(report.migrated), len(report.skipped), len(report.refused)) == (3, 0, 0)
    for old_rel in V1_FILES:
        old = json.loads((V1 / old_rel).read_text())
        new_path = dict(report.migrated)[results / old_rel]
        assert not (results / old_rel).exists() and not (results / old_rel).with_suffix(".npz").exists()
        record = read_record(new_path)
        assert record.migrated_from == old["run_id"] and record.run_id == new_path.stem != old["run_id"]
        # a CPU run of precision "auto" (or of a model without one) is a cpu/fp32 run
        assert record.spec == RunSpec(**old["spec"], device_class="cpu", precision="fp32")
        assert record.metrics == old["metrics"] and record.history == old["history"]
        assert new_path.with_suffix(".npz").read_bytes() == (V1 / old_rel).with_suffix(".npz").read_bytes()
    assert len(list(iter_records(results))) == 3
    assert not [p for p in results.rglob(".*") if p.is_file()]


def test_migration_is_idempotent(results: Path) -> None:
    first = migrate_results(results)
    files = sorted(p.read_bytes() for p in results.rglob("*.*"))
    again = migrate_results(results)
    assert (len(again.migrated), len(again.skipped), len(again.refused)) == (0, 3, 0)
    assert sorted(p.read_bytes() for p in results.rglob("*.*")) == files
    assert len(first.migrated) == 3


def test_an_interrupted_migration_completes(results: Path) -> None:
    """Crash after the new files were written but before the old ones were removed: rerun finishes the job."""
    report = migrate_results(results)
    for old, _ in report.migrated:
        shutil.copy(V1 / old.relative_to(results), old)
        shutil.copy((V1 / old.relative_to(results)).with_suffix(".npz"), old.with_suffix(".npz"))
    rerun = migrate_results(results)
    assert len(rerun.migrated) == 3 and not rerun.refused
    assert sorted(p.name for p in results.rglob("*.json")) == sorted(new.name for _, new in report.migrated)


def _edit(path: Path, change) -> None:
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))


@pytest.mark.parametrize(("change", "reason"), [
    (lambda r: r["spec"].update(seed=9), "is not the hash of its spec"),
    (lambda r: r.update(precision="bf16"), "precision 'auto' resolves to fp32 on a CPU, but it recorded 'bf16'"),
    (lambda r: r.update(device=None), "records no device or precision"),
    (lambda r: r["spec"].pop("seed"), "does not have exactly the v1 fields"),
    (lambda r: r.update(status="done"), "status: Input should be 'ok' or 'failed'"),
    (lambda r: r.update(schema_version=3), "only v1 records are migrated"),
])
def test_suspect_records_are_refused_and_left_untouched(results: Path, change, reason: str) -> None:
    target = results / next(p for p in V1_FILES if "early-fusion" in str(p))
    _edit(target, change)
    before = target.read_bytes()
    report = migrate_results(results)
    assert [(p, why) for p, why in report.refused if p == target] and reason in dict(report.refused)[target]
    assert target.read_bytes() == before and target.with_suffix(".npz").exists()
    assert len(report.migrated) == 2


def test_explicit_precision_must_match_what_was_recorded(results: Path) -> None:
    target = results / next(p for p in V1_FILES if "early-fusion" in str(p))

    def ask_fp16(raw):
        raw["spec"]["config"]["precision"] = "fp16"
        raw["run_id"] = v1_run_id(raw["spec"])

    _edit(target, ask_fp16)
    target.rename(target.with_name(f"{json.loads(target.read_text())['run_id']}.json"))
    report = migrate_results(results)
    assert len(report.refused) == 1 and "asked for precision 'fp16' but recorded 'fp32'" in report.refused[0][1]


def test_a_redundant_v1_record_is_refused_not_overwritten(results: Path) -> None:
    report = migrate_results(results)
    old, new = report.migrated[0]
    shutil.copy(V1 / old.relative_to(results), old)
    _edit(new, lambda r: r.update(migrated_from=None))  # as if the run had been redone under v2
    again = migrate_results(results)
    assert [p for p, _ in again.refused] == [old] and "redundant" in again.refused[0][1]


def test_unreadable_file_is_refused(results: Path) -> None:
    (results / "runs" / "synth-msa" / "linear-early" / "broken.json").write_text("{")
    assert [p.name for p, _ in migrate_results(results).refused] == ["broken.json"]


def test_cli_reports_counts_and_dry_run_writes_nothing(results: Path, capsys) -> None:
    before = sorted(p.relative_to(results) for p in results.rglob("*.*"))
    assert main(["records", "migrate", "--results", str(results), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert sorted(p.relative_to(results) for p in results.rglob("*.*")) == before
    assert main(["--results", str(results), "records", "migrate"]) == 0
    assert "migrated 3, skipped 0 (already v2), refused 0" in capsys.readouterr().out
    (results / "runs" / "synth-msa" / "linear-early" / "broken.json").write_text("{")
    assert main(["records", "migrate", "--results", str(results)]) == 1
    assert "refused 1" in capsys.readouterr().out


def test_a_model_without_a_precision_setting_that_recorded_a_gpu_run_is_refused(results: Path) -> None:
    target = results / next(p for p in V1_FILES if "linear-early" in str(p))
    assert "precision" not in json.loads(target.read_text())["spec"]["config"]
    _edit(target, lambda r: r.update(device="cuda:0"))
    report = migrate_results(results)
    why = dict(report.refused)[target]
    assert "without a precision setting is planned as cpu/fp32, but it recorded cuda/fp32" in why


def test_an_unusable_record_at_the_new_id_is_refused_not_overwritten(results: Path) -> None:
    old, new = migrate_results(results).migrated[0]
    shutil.copy(V1 / old.relative_to(results), old)
    new.write_text("{")
    again = migrate_results(results)
    assert "exists but is unusable" in dict(again.refused)[old] and new.read_text() == "{"
