"""The run spec (cache key and row label) where the older tests were silent (issue 20, mutation testing).

Each test kills mutmut survivors of harness.runs.spec: the run id of a hand-built spec is pinned (records on disk
are found by it), a fold is part of it only when set, and the leaderboard label names exactly the settings that
differ from the model's defaults.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from harness.runs.spec import RunSpec, plain_config

BASE = RunSpec(task="breast-cancer-views", task_version=1, task_hash="fd084a5e99ef", model="linear-early",
               config={"grid": [0.01, 0.1, 1.0, 10.0, 100.0], "max_iter": 2000}, seed=0,
               data_fingerprint="98a4077a69333c7c", device_class="cpu", precision="fp32")


def test_the_run_id_of_a_spec_is_pinned_and_a_fold_enters_it_only_when_set() -> None:
    # Cached records are found by this id: the id of a spec without a fold is the one it had before folds existed.
    assert BASE.run_id == "0ebf5b65f3058371"
    fold0 = dataclasses.replace(BASE, fold=0)
    assert fold0.run_id not in (BASE.run_id, dataclasses.replace(BASE, fold=1).run_id)
    assert len(fold0.run_id) == 16 and int(fold0.run_id, 16) >= 0


def test_the_model_label_names_the_settings_that_differ_from_the_defaults_in_order() -> None:
    assert BASE.model_label == "linear-early"
    changed = dataclasses.replace(BASE, config={**BASE.config, "max_iter": 10, "grid": [1.0]})
    assert changed.model_label == "linear-early[grid=[1.0],max_iter=10]"


def test_plain_config_turns_tuples_into_lists() -> None:
    @dataclasses.dataclass
    class Config:
        sizes: tuple[int, ...] = (1, 2)
        name: str = "x"

    assert plain_config(Config()) == {"sizes": [1, 2], "name": "x"}


def test_make_spec_keeps_the_fold_it_is_given() -> None:
    from harness.models import get_model
    from harness.runs.spec import make_spec
    from harness.tasks import get_task

    task, model = get_task("breast-cancer-views"), get_model("linear-early")
    assert make_spec(task, model, 0, "f" * 16, fold=2).fold == 2
    assert make_spec(task, model, 0, "f" * 16).fold is None


def test_plain_config_writes_a_set_valued_setting_as_a_list() -> None:
    @dataclasses.dataclass
    class Config:
        tags: frozenset = frozenset({"a"})

    assert plain_config(Config()) == {"tags": ["a"]}


# ---- the store: where records go, how they are found, what a refusal says -------------------------------------

def _stored(root, task: str, seed: int = 0):
    from harness.runs.record import SCHEMA_VERSION, RunRecord
    from harness.runs.store import record_path, write_record

    spec = dataclasses.replace(BASE, task=task, seed=seed)
    record = RunRecord(
        schema_version=SCHEMA_VERSION, run_id=spec.run_id, spec=spec, status="ok", reason=None, task_display=task,
        synthetic=False, primary_metric="accuracy", report_split="test", select_split="valid",
        started="2026-12-01T00:00:00+00:00", finished="2026-12-01T00:00:01+00:00", wall_time_s=1.0,
        peak_rss_mb=1.0, provenance={}, metrics={"test": {"accuracy": 0.5}}, n_parameters=0, fit_time_s=1.0)
    path = record_path(root, spec)
    write_record(path, record, None)
    return path, record


def test_iter_records_of_a_task_reads_only_that_tasks_folder_and_names_what_it_skips(tmp_path, caplog) -> None:
    import logging

    from harness.runs.store import iter_records

    mine, _ = _stored(tmp_path, "breast-cancer-views")
    other, _ = _stored(tmp_path, "digits-views")
    broken = other.with_name("0" * 16 + ".json")
    broken.write_text("{ truncated")
    with caplog.at_level(logging.WARNING, logger="harness.runs.store"):
        assert [p for p, _ in iter_records(tmp_path, "breast-cancer-views")] == [mine]
    assert not caplog.records  # the other task's broken record is not even read
    with caplog.at_level(logging.WARNING, logger="harness.runs.store"):
        assert sorted(p for p, _ in iter_records(tmp_path)) == sorted([mine, other])
    assert [r.getMessage().startswith(f"skipped run record {broken}: ") for r in caplog.records] == [True]


def test_find_record_refusals_say_how_to_list_runs(tmp_path) -> None:
    from harness.errors import UserError
    from harness.runs.store import find_record

    path, record = _stored(tmp_path, "breast-cancer-views")
    _stored(tmp_path, "breast-cancer-views", seed=1)
    assert find_record(tmp_path, record.run_id[:8]) == (path, record)
    with pytest.raises(UserError, match=r"^run id 'x\*' is not a run id \(hexadecimal, as `mmrepro leaderboard` "
                                        r"lists them\)$"):
        find_record(tmp_path, "x*")
    tail = r" under .*/runs; list them with `mmrepro leaderboard` or `ls results/runs/\*/\*`$"
    with pytest.raises(UserError, match=r"^no run with id starting 'fff'" + tail):
        find_record(tmp_path, "fff")
    with pytest.raises(UserError, match=r"^2 runs with id starting ''" + tail):
        find_record(tmp_path, "")


def test_an_unreadable_record_is_refused_naming_its_path(tmp_path) -> None:
    from harness.runs.record import RecordError
    from harness.runs.store import read_record

    folder = tmp_path / ("a" * 16 + ".json")
    folder.mkdir()  # a folder where a record file should be
    with pytest.raises(RecordError, match=rf"{re.escape(str(folder))}.*unreadable \(") as info:
        read_record(folder)
    assert str(folder) in str(info.value)


def test_predictions_given_for_a_record_that_names_none_are_refused(tmp_path) -> None:
    from harness.runs.store import record_path, write_record

    _, record = _stored(tmp_path, "breast-cancer-views")
    with pytest.raises(ValueError, match=rf"^run {record.run_id}: its record names predictions None, but predictions "
                                         r"were given$"):
        write_record(record_path(tmp_path, record.spec), record, object())


def test_check_writable_makes_the_runs_folder_and_leaves_nothing_behind(tmp_path) -> None:
    from harness.errors import UserError
    from harness.runs.store import check_writable

    results = tmp_path / "deep" / "results"
    check_writable(results)
    check_writable(results)  # again: the folder exists
    assert (results / "runs").is_dir() and list((results / "runs").iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    refusal = (rf"^--results {re.escape(str(blocker))}: cannot write run records there \(.+\); nothing was run\. "
               r"Give a writable folder$")
    with pytest.raises(UserError, match=refusal):
        check_writable(blocker)


def test_atomic_write_renames_a_hidden_temporary_from_the_same_folder(tmp_path, monkeypatch) -> None:
    # A rename is atomic only within one file system: the temporary must sit beside the target.
    import os

    from harness.runs import store

    renames = []
    real = os.replace
    monkeypatch.setattr(store.os, "replace", lambda src, dst: (renames.append((src, dst)), real(src, dst)))
    target = tmp_path / "sub" / "x.json"
    store.atomic_write(target, lambda f: f.write(b"{}"))
    ((src, dst),) = renames
    assert Path(dst) == target and Path(src).parent == target.parent and Path(src).name.startswith(".x.json.")
    assert target.read_bytes() == b"{}" and sorted(p.name for p in target.parent.iterdir()) == ["x.json"]


def test_current_records_of_a_task_do_not_read_other_tasks_records(tmp_path, caplog) -> None:
    import logging

    from harness.runs.store import current_records
    from harness.tasks import get_task

    other, _ = _stored(tmp_path, "digits-views")
    other.with_name("0" * 16 + ".json").write_text("{ truncated")
    with caplog.at_level(logging.WARNING, logger="harness.runs.store"):
        assert current_records(tmp_path, get_task("breast-cancer-views")) == []
    assert not caplog.records


def test_the_writability_probe_is_a_hidden_file_in_the_runs_folder(tmp_path, monkeypatch) -> None:
    import tempfile

    from harness.runs import store

    made = []
    real = tempfile.mkstemp
    monkeypatch.setattr(store.tempfile, "mkstemp", lambda **kw: (made.append(kw), real(**kw))[1])
    store.check_writable(tmp_path)
    assert made == [{"prefix": ".probe.", "dir": tmp_path / "runs"}]


def test_write_refusals_quote_the_system_reason(tmp_path) -> None:
    from harness.errors import UserError
    from harness.runs.store import check_writable, write_text_atomic

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match=r"cannot write run records there \(Not a directory\); nothing"):
        check_writable(blocker)
    with pytest.raises(UserError, match=rf"^cannot write {re.escape(str(blocker / 'x.md'))} \(File exists\); give a "
                                        r"writable --results folder$"):
        write_text_atomic(blocker / "x.md", "text")
    write_text_atomic(tmp_path / "t" / "x.md", "héllo")
    assert (tmp_path / "t" / "x.md").read_text(encoding="utf-8") == "héllo"


@pytest.mark.parametrize(("field", "value", "what"), [("task", "../x", "task"), ("model", "a/b", "model")])
def test_a_record_path_never_leaves_its_folder(tmp_path, field: str, value: str, what: str) -> None:
    from harness.errors import UserError
    from harness.runs.store import record_path

    with pytest.raises(UserError, match=rf"^{what} name '{re.escape(value)}'"):
        record_path(tmp_path, dataclasses.replace(BASE, **{field: value}))


def test_a_record_naming_another_predictions_file_is_refused_naming_the_record(tmp_path) -> None:
    from harness.runs.predictions import PredictionsError
    from harness.runs.store import load_predictions, record_path

    path, record = _stored(tmp_path, "breast-cancer-views")
    odd = dataclasses.replace(record, predictions="elsewhere.pred.npz")
    with pytest.raises(PredictionsError, match=rf"^{re.escape(str(path))}: names predictions 'elsewhere\.pred\.npz', "
                                               rf"expected {record.run_id}\.pred\.npz; rerun that run with --force$"):
        load_predictions(tmp_path, odd)
    assert record_path(tmp_path, record.spec) == path


def test_predictions_of_another_split_are_refused_naming_both_splits(tmp_path) -> None:
    import numpy as np

    from harness.runs.predictions import ItemPredictions, PredictionsError
    from harness.runs.store import load_predictions, predictions_name, record_path, write_record

    path, record = _stored(tmp_path, "breast-cancer-views")
    record = dataclasses.replace(record, predictions=predictions_name(record.run_id))
    valid = ItemPredictions(split="valid", ids=np.array(["a", "b"]), targets=np.array([0, 1]),
                            stored=np.array([1, 1]), form="labels", width=2)
    write_record(path, record, valid)
    pred = path.with_name(predictions_name(record.run_id))
    with pytest.raises(PredictionsError, match=rf"^{re.escape(str(pred))}: holds split 'valid', but run "
                                               rf"{record.run_id} reports 'test'; rerun that run with --force$"):
        load_predictions(tmp_path, record)
    assert record_path(tmp_path, record.spec) == path


# ---- the record file format ----------------------------------------------------------------------------------

def test_a_record_is_written_as_sorted_two_space_json_and_keeps_nan_metrics(tmp_path) -> None:
    import json

    from harness.runs.record import dump_record, parse_record

    _, record = _stored(tmp_path, "breast-cancer-views")
    record = dataclasses.replace(record, metrics={"test": {"accuracy": float("nan"), "macro_f1": 0.5}})
    text = dump_record(record).decode()
    assert text == json.dumps(record.to_dict(), indent=2, sort_keys=True, allow_nan=True)  # diffable, stable bytes
    assert '\n  "fit_time_s"' in text and '"accuracy": NaN' in text
    again = parse_record(text, "x.json")
    assert again.metrics["test"]["macro_f1"] == 0.5 and again.metrics["test"]["accuracy"] != 0.0


def test_other_schema_versions_are_refused_with_a_migrate_hint_only_for_v1(tmp_path) -> None:
    import json

    from harness.runs.record import SCHEMA_VERSION, RecordError, dump_record, parse_record

    _, record = _stored(tmp_path, "breast-cancer-views")
    data = json.loads(dump_record(record))
    for version, hint in ((1, "; run `mmrepro records migrate`"), (SCHEMA_VERSION + 5, "")):
        with pytest.raises(RecordError) as info:
            parse_record(json.dumps(data | {"schema_version": version}), "r.json")
        assert info.value.problem == f"schema version {version!r}, expected {SCHEMA_VERSION}{hint}"


def test_schema_problem_reports_what_the_schema_refuses_and_errors_survive_pickling(tmp_path) -> None:
    import pickle

    from harness.runs.record import RecordError, schema_problem

    _, record = _stored(tmp_path, "breast-cancer-views")
    assert schema_problem(record) == ""
    bad = dataclasses.replace(record, metrics={"test": {"accuracy": "0.9"}})
    problem = schema_problem(bad)
    assert problem and "metrics" in problem and not problem.startswith("not JSON-encodable")
    err = pickle.loads(pickle.dumps(RecordError("a/b.json", "broken")))
    assert (err.path, err.problem, str(err)) == (Path("a/b.json"), "broken", "run record a/b.json: broken")


def test_schema_refusals_list_every_problem_by_location(tmp_path) -> None:
    import json

    from harness.runs.record import RecordError, dump_record, parse_record

    _, record = _stored(tmp_path, "breast-cancer-views")
    data = json.loads(dump_record(record))
    bad = data | {"wall_time_s": "slow", "metrics": {"test": {"accuracy": "high"}}}
    with pytest.raises(RecordError) as info:
        parse_record(json.dumps(bad), "r.json")
    problem = info.value.problem
    assert problem.startswith("does not match the schema (") and "metrics.test.accuracy: " in problem
    assert "; wall_time_s: " in problem or "; metrics.test.accuracy: " in problem  # problems joined by "; "
    with pytest.raises(RecordError) as info:
        parse_record(json.dumps(data | {"cached": True}), "r.json")
    assert info.value.problem == "stores 'cached', which is a property of a read, not of a run"


# ---- provenance: what a record says about where its number came from -------------------------------------------

def test_provenance_reads_git_the_cpu_and_package_versions(monkeypatch) -> None:
    import platform
    import subprocess
    from importlib import metadata

    from harness.runs import provenance as prov

    head = subprocess.run(["git", "-C", str(prov.REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert prov._git("rev-parse", "HEAD") == (head.stdout.strip() if head.returncode == 0 else None)
    assert prov._git("no-such-git-command") is None
    lines = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")] \
        if Path("/proc/cpuinfo").exists() else []
    expected = lines[0].split(":", 1)[1].strip() if lines else (platform.processor() or platform.machine())
    assert prov._cpu_name() == expected
    monkeypatch.setattr(prov, "PACKAGES", ("numpy", "no-such-package-xyz"))
    assert prov._versions() == {"numpy": metadata.version("numpy"), "no-such-package-xyz": None}


def test_last_commit_is_gits_newest_commit_over_all_the_paths() -> None:
    """The site footer's code commit: git's answer over all the paths at once; None where git has none."""
    import subprocess

    from harness.runs import provenance as prov

    paths = (":/harness/runs/spec.py", ":/harness/runs/provenance.py")  # from the top, wherever REPO is
    git = subprocess.run(["git", "-C", str(prov.REPO), "log", "-1", "--format=%H", "--", *paths], capture_output=True,
                         text=True)
    if git.returncode or not git.stdout.strip():
        pytest.skip("not a git checkout with history")
    assert prov.last_commit(*paths) == git.stdout.strip() and len(git.stdout.strip()) == 40
    assert prov.last_commit(":/no/such/path/in/any/commit") is None
    gone = ":/benchmarks/results/vs_mmsa_cpu_mult.json"  # deleted from the tree: still a path, not a revision
    deleted_in = subprocess.run(["git", "-C", str(prov.REPO), "log", "-1", "--format=%H", "--", gone],
                                capture_output=True, text=True).stdout.strip()
    assert deleted_in and prov.last_commit(gone) == deleted_in


def test_a_single_process_run_reports_world_size_one_and_no_backend() -> None:
    import torch

    from harness.runs import provenance as prov

    assert prov.distributed() == {"world_size": 1, "backend": None}
    assert prov._gpu_name() == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
