"""Schema-1 migration and the ``records`` commands where the older tests were silent (issue 20, mutation testing of
harness/runs/migrate.py and harness/runs/commands.py).

What a user relies on: every record that can be migrated is, whatever else lies in the folder; a refusal says
exactly why; an interrupted or partial migration completes from what is left; the v1 run id (how a new run finds an
unmigrated record) is the v1 hash of the spec, whatever its key order; and the two commands parse their options,
print one summary and say when nothing was written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.runs.migrate import legacy_path, migrate_results, v1_run_id
from harness.runs.store import read_record

V1 = Path(__file__).parent / "data" / "v1"
PRIOR = Path("runs/breast-cancer-views/prior/092dd67f08363e70.json")  # a v1 record of the prior model


@pytest.fixture
def results(tmp_path: Path) -> Path:
    shutil.copytree(V1, tmp_path / "results")
    return tmp_path / "results"


def _edit(path: Path, change) -> None:
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw))


def _refusal(results: Path, path: Path) -> str:
    report = migrate_results(results)
    return dict(report.refused)[path]


def test_the_v1_run_id_ignores_key_order_and_finds_the_v1_record_of_a_migrated_spec(results: Path) -> None:
    raw = json.loads((V1 / PRIOR).read_text())
    assert v1_run_id(dict(reversed(list(raw["spec"].items())))) == raw["run_id"] == PRIOR.stem
    (old, new), = [pair for pair in migrate_results(results).migrated if pair[0] == results / PRIOR]
    assert legacy_path(new, read_record(new).spec) == old


def test_refusals_say_exactly_why(results: Path) -> None:
    target = results / PRIOR
    _edit(target, lambda r: r["spec"].update(seed=9))
    spec = json.loads(target.read_text())["spec"]
    assert _refusal(results, target) == (f"run_id '{PRIOR.stem}' (file {PRIOR.name}) is not the hash of its spec "
                                         f"({v1_run_id(spec)}); the record was edited or copied")
    shutil.copy(V1 / PRIOR, target)
    _edit(target, lambda r: r["spec"].pop("seed"))
    assert _refusal(results, target) == ("its spec does not have exactly the v1 fields task, task_version, "
                                         "task_hash, model, config, seed, data_fingerprint")
    shutil.copy(V1 / PRIOR, target)
    _edit(target, lambda r: r.update(precision=None))
    assert _refusal(results, target) == ("it records no device or precision (a run that failed before fitting); "
                                         "rerun it instead")


def test_a_redundant_v1_record_is_refused_saying_to_delete_it(results: Path) -> None:
    old, new = next(pair for pair in migrate_results(results).migrated if pair[0] == results / PRIOR)
    shutil.copy(V1 / PRIOR, old)
    _edit(new, lambda r: r.update(migrated_from=None))  # the run was redone under v2 meanwhile
    assert _refusal(results, old) == (f"{new.name} already holds a v2 run of the same spec; this v1 record is "
                                      "redundant (delete it)")


def test_a_record_without_an_old_npz_migrates_without_one(results: Path) -> None:
    (results / PRIOR).with_suffix(".npz").unlink()
    report = migrate_results(results)
    new = dict(report.migrated)[results / PRIOR]
    assert not report.refused and read_record(new).migrated_from == PRIOR.stem
    assert not new.with_suffix(".npz").exists() and not (results / PRIOR).exists()


def test_a_lost_new_npz_is_copied_again_from_the_old_one(results: Path) -> None:
    old, new = next(pair for pair in migrate_results(results).migrated if pair[0] == results / PRIOR)
    shutil.copy(V1 / PRIOR, old)  # an interrupted migration: the old files are still there ...
    shutil.copy((V1 / PRIOR).with_suffix(".npz"), old.with_suffix(".npz"))
    new.with_suffix(".npz").unlink()  # ... but the new npz is not
    again = migrate_results(results)
    assert dict(again.migrated)[old] == new and not again.refused
    assert new.with_suffix(".npz").read_bytes() == (V1 / PRIOR).with_suffix(".npz").read_bytes()
    assert not old.exists() and not old.with_suffix(".npz").exists()


def test_a_nan_metric_is_migrated_as_nan(results: Path) -> None:
    _edit(results / PRIOR, lambda r: r["metrics"]["test"].update(f1_pos=float("nan")))
    new = dict(migrate_results(results).migrated)[results / PRIOR]
    value = read_record(new).metrics["test"]["f1_pos"]
    assert value != value  # nan


def test_a_bad_file_is_refused_and_every_other_record_still_migrated(results: Path) -> None:
    folder = results / PRIOR.parent
    (folder / "000-broken.json").write_text("{")  # sorted first: the others come after it
    (folder / "001-list.json").write_text("[1, 2]")
    report = migrate_results(results)
    assert len(report.migrated) == 3
    assert [p.name for p, _ in report.refused] == ["000-broken.json", "001-list.json"]
    assert dict(report.refused)[folder / "001-list.json"] == "schema version None: only v1 records are migrated"
    again = migrate_results(results)
    assert sorted(again.skipped) == sorted(new for _, new in report.migrated)


# ---- the commands --------------------------------------------------------------------------------------------------

def test_records_migrate_prints_one_summary_and_marks_a_dry_run(results: Path, capsys) -> None:
    broken = results / PRIOR.parent / "broken.json"
    broken.write_text("{")
    folder = f"{results}/"  # a trailing slash (tab completion) still names <results>/runs
    assert main(["records", "migrate", "--results", folder, "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"dry run: {results}/runs: migrated 3, skipped 0 (already v2), refused 1\n"
                          f"refused {broken}: unreadable (")
    broken.unlink()
    assert main(["records", "migrate", "--results", folder]) == 0
    assert capsys.readouterr().out == f"{results}/runs: migrated 3, skipped 0 (already v2), refused 0\n"


def test_records_predictions_prints_one_summary_and_marks_a_dry_run(tmp_path: Path, capsys) -> None:
    summary = "0 predictions file(s) written, 0 record(s) already had one, 0 left as they were\n"
    assert main(["records", "predictions", "--results", f"{tmp_path}/", "--dry-run"]) == 0
    assert capsys.readouterr().out == f"dry run: {tmp_path}/runs: {summary}"
    assert main(["--results", str(tmp_path), "records", "predictions"]) == 0
    assert capsys.readouterr().out == f"{tmp_path}/runs: {summary}"


def test_records_needs_an_action(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["records"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.endswith("error: the following arguments are required: records_command\n")


def test_the_records_help_names_each_action_and_option(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # argparse wraps help text to the terminal's width
    helps = {}
    for argv in (["--help"], ["records", "--help"], ["records", "migrate", "--help"],
                 ["records", "predictions", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
        helps[" ".join(argv[:-1])] = capsys.readouterr().out
    assert "    records             maintain stored run records\n" in helps[""]
    assert helps["records"].endswith(
        "positional arguments:\n  {migrate,predictions}\n"
        "    migrate             rewrite schema-1 run records as schema 2 under their new run ids (idempotent; "
        "refusals are listed and left untouched)\n"
        "    predictions         give records written before per-item predictions were named their <run_id>.pred.npz, "
        "converted from the old <run_id>.npz (no retraining; groups from the current data)\n\n"
        "options:\n  -h, --help            show this help message and exit\n")
    for action, dest in (("migrate", "MIGRATE_RESULTS"), ("predictions", "PREDICTIONS_RESULTS")):
        assert helps[f"records {action}"] == (
            f"usage: mmrepro records {action} [-h] [--results {dest}] [--dry-run]\n\n"
            "options:\n  -h, --help            show this help message and exit\n"
            f"  --results {dest}\n"
            "                        results folder (default: the global --results, ./results)\n"
            "  --dry-run             check every record, write nothing\n")
