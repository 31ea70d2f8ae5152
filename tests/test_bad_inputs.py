"""The bad-input table (issue 18): what a hostile or careless user can type, and what mmrepro does with it.

Each case asserts the exit code, that no traceback escaped, that the message names the file, split, column or
choice at fault, and that nothing was half-written (no dataset folder, no hidden temp folder, no run record).
Everything happens in tmp folders (``MMREPRO_DATA`` and ``--results`` point there); the data are a dozen rows.
Only the two "run on a bad task" cases reach planning, and they are refused before any model is fitted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

N = 12  # rows per split


def _cli(capsys, *argv: str) -> tuple[int, str]:
    """Run the CLI (argparse exits count as its exit code) and return (code, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def _write_npz_folder(folder: Path, *, toml_extra: str = "", modalities: str = 'a = { column = "a" }',
                      split_arrays: Callable[[str], dict[str, np.ndarray]] | None = None,
                      splits: tuple[str, ...] = ("train", "valid", "test")) -> Path:
    """A generic npz dataset: three splits of N rows, 3 classes, one vector modality ``a`` unless overridden."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.toml").write_text(
        f'format = "npz"\nsplits = {list(splits)!r}\nlabel = "label"\nid = "id"\n{toml_extra}\n'
        f"[modalities]\n{modalities}\n".replace("'", '"'))
    rng = np.random.default_rng(0)
    for split in splits:
        arrays = {"id": np.array([f"{split}-{i}" for i in range(N)]), "label": np.arange(N) % 3,
                  "a": rng.normal(size=(N, 3)).astype(np.float32)}
        if split_arrays is not None:
            arrays |= split_arrays(split)
        np.savez(folder / f"{split}.npz", **arrays)
    return folder


def _task_toml(folder: Path, name: str, /, **fields: object) -> Path:
    """A task TOML in its own include folder (fields override a valid 3-class task on dataset 'mine')."""
    spec: dict[str, object] = {"name": name, "version": 1, "description": "bad-input case", "dataset": "mine",
                               "modalities": ["a"], "target_kind": "single-label", "metrics": ["accuracy"],
                               "primary_metric": "accuracy", "citation": "none", "num_classes": 3}
    spec |= fields
    lines = []
    for key, value in spec.items():
        if isinstance(value, dict):
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    for key, value in spec.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "task.toml").write_text("\n".join(lines) + "\n")
    return folder


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.fixture(scope="module")
def prepared_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good dataset prepared once per module (copied into each test's data root: fast)."""
    base = tmp_path_factory.mktemp("prepared-once")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MMREPRO_DATA", str(base / "data"))
        good = _write_npz_folder(base / "good-src")
        assert main(["-q", "data", "prepare", "keepme", "--from", str(good), "--format", "generic"]) == 0
    return base


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_once: Path) -> dict[str, Path]:
    """A data root holding one good prepared dataset (the thing a destructive name would delete) and results."""
    data = tmp_path / "data"
    shutil.copytree(prepared_once / "data", data)
    shutil.copytree(prepared_once / "good-src", tmp_path / "good-src")
    monkeypatch.setenv("MMREPRO_DATA", str(data))
    (tmp_path / "sentinel").write_text("the folder above the data root")
    return {"data": data, "results": tmp_path / "results", "tmp": tmp_path}


# ---- 1. names: refused before anything touches the disk ---------------------------------------------------
BAD_NAMES = [".", "..", "../evil", "a/b", "Upper", "", "x" * 65, "sp ace", ".hidden", "_lead", "ok;rm"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_destructive_or_odd_dataset_name_is_refused_and_the_data_root_is_untouched(capsys, env, name) -> None:
    before = _entries(env["data"])
    code, err = _cli(capsys, "data", "prepare", name, "--from", str(env["tmp"] / "good-src"), "--format", "generic")
    assert code == 2
    assert f"dataset name {name!r} is not allowed" in err
    assert _entries(env["data"]) == before
    assert (env["data"] / "keepme" / "manifest.json").is_file()
    assert (env["tmp"] / "sentinel").is_file()


@pytest.mark.parametrize("command", ["info", "verify"])
def test_reading_a_dataset_by_a_path_like_name_is_refused(capsys, env, command) -> None:
    code, err = _cli(capsys, "data", command, "../keepme")
    assert code == 2 and "dataset name '../keepme' is not allowed" in err


@pytest.mark.parametrize("field, value", [("name", "../../x"), ("name", "Task"), ("dataset", "../keepme")])
def test_a_task_file_with_a_path_like_name_is_refused_when_it_loads(capsys, env, field, value) -> None:
    folder = _task_toml(env["tmp"] / f"inc-{field}-{len(value)}", "path-name", **{field: value})
    code, err = _cli(capsys, "--results", str(env["results"]), "--include-path", str(folder), "tasks")
    assert code == 2 and f"{field if field == 'dataset' else 'task'} name {value!r} is not allowed" in err
    assert "path-name" in err or value in err
    assert not env["results"].exists()


def test_a_run_record_never_leaves_results_runs(tmp_path: Path) -> None:
    """Defence in depth: even a RunSpec built in code with a path-like task name cannot place a record."""
    from harness.errors import UserError
    from harness.runs.spec import RunSpec
    from harness.runs.store import record_path

    spec = RunSpec(task="../../x", task_version=1, task_hash="0", model="prior", config={}, seed=0,
                   data_fingerprint="0", device_class="cpu", precision="fp32")
    with pytest.raises(UserError, match=r"task name '\.\./\.\./x' is not allowed"):
        record_path(tmp_path, spec)


@pytest.mark.parametrize("stem", ["Bad Suite", "../up"])
def test_a_suite_file_name_outside_the_rule_is_refused(tmp_path: Path, stem: str) -> None:
    from harness.errors import UserError
    from harness.sweep.suite import load_suite_file

    path = tmp_path / f"{stem.replace('/', '_')}.toml" if "/" in stem else tmp_path / f"{stem}.toml"
    path.write_text('[[group]]\ntasks = ["digits-views"]\nmodels = ["prior"]\n')
    with pytest.raises(UserError, match=f"suite file {path}: suite name"):
        load_suite_file(path)


# ---- 2. split protocol -------------------------------------------------------------------------------------
def test_a_task_that_trains_on_its_reported_split_is_refused(capsys, env) -> None:
    folder = _task_toml(env["tmp"] / "inc-train-report", "trains-on-test", dataset="keepme",
                        splits={"train": "test", "select": "valid", "report": "test"})
    code, err = _cli(capsys, "--include-path", str(folder), "tasks")
    assert code == 2 and "train and report split are both 'test'" in err and "inc-train-report" in err


def _overlapping(split: str) -> dict[str, np.ndarray]:
    """Train and test share their first three ids: the same items on both sides."""
    ids = [f"{split}-{i}" for i in range(N)]
    if split in ("train", "test"):
        ids[:3] = ["shared-0", "shared-1", "shared-2"]
    return {"id": np.array(ids)}


def test_shared_item_ids_between_splits_are_refused_at_prepare_with_overlap_error(capsys, env) -> None:
    src = _write_npz_folder(env["tmp"] / "overlap-src", split_arrays=_overlapping)
    before = _entries(env["data"])
    code, err = _cli(capsys, "data", "prepare", "leaky", "--from", str(src), "--format", "generic",
                     "--overlap", "error")
    assert code == 2 and "item ids shared between splits (train/test: 3)" in err
    assert _entries(env["data"]) == before


def test_shared_item_ids_warn_at_prepare_and_the_run_that_would_leak_is_refused(capsys, caplog, env) -> None:
    src = _write_npz_folder(env["tmp"] / "overlap-src", split_arrays=_overlapping)
    with caplog.at_level(logging.WARNING):
        code, err = _cli(capsys, "data", "prepare", "leaky", "--from", str(src), "--format", "generic")
    assert code == 0 and "leaky: item ids shared between splits (train/test: 3)" in caplog.text
    manifest = json.loads((env["data"] / "leaky" / "manifest.json").read_text())
    assert manifest["split_overlaps"] == {"train/test": 3}
    folder = _task_toml(env["tmp"] / "inc-leaky", "leaky-task", dataset="leaky")
    code, err = _cli(capsys, "--results", str(env["results"]), "--include-path", str(folder), "run",
                     "--task", "leaky-task", "--model", "prior", "--seeds", "0")
    assert code == 2
    assert "3 item id(s) of the train split 'train' are also in the reported split 'test'" in err
    assert not list(env["results"].rglob("*.json"))


# ---- 3. labels ---------------------------------------------------------------------------------------------
LABEL_CASES = [
    ("nan", lambda s: {"label": np.where(np.arange(N) == 4, np.nan, 1.0)}, "", "1 label(s) are NaN/inf"),
    ("inf", lambda s: {"label": np.where(np.arange(N) == 4, np.inf, 1.0)}, "", "1 label(s) are NaN/inf"),
    ("strings", lambda s: {"label": np.array(["cat", "dog", "eel"] * 4)}, "",
     "holds text ('cat', 'dog', 'eel'); declare the classes in dataset.toml, e.g. label_map"),
    ("negative", lambda s: {"label": np.arange(N) % 3 - 1}, "num_classes = 3",
     "label column 'label' has 4 value(s) outside 0..2"),
    ("too-many-classes", lambda s: {"label": np.arange(N) % 8}, "num_classes = 3",
     "outside 0..2 (e.g. 3)"),
    ("fractional-class", lambda s: {"label": np.arange(N) / 2.0}, "num_classes = 3",
     "label column 'label' holds float64 values; num_classes = 3 needs integer class ids"),
    ("duplicate-ids", lambda s: {"id": np.array(["x"] * N)}, "", "1 item id(s) repeat (e.g. 'x')"),
]


@pytest.mark.parametrize("case, arrays, extra, message", LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
def test_bad_labels_or_ids_are_refused_at_prepare(capsys, env, case, arrays, extra, message) -> None:
    src = _write_npz_folder(env["tmp"] / f"src-{case}", split_arrays=arrays, toml_extra=extra)
    before = _entries(env["data"])
    code, err = _cli(capsys, "data", "prepare", "bad", "--from", str(src), "--format", "generic")
    assert code == 2 and message in err, err
    assert "train" in err  # the split at fault
    assert _entries(env["data"]) == before


def test_float_sequence_lengths_are_refused_not_truncated(capsys, env) -> None:
    def seq(split: str) -> dict[str, np.ndarray]:
        return {"s": np.ones((N, 4, 2), np.float32), "s_len": np.full(N, 2.5)}

    src = _write_npz_folder(env["tmp"] / "src-len", split_arrays=seq,
                            modalities='a = { column = "a" }\ns = { column = "s", lengths = "s_len" }')
    code, err = _cli(capsys, "data", "prepare", "bad", "--from", str(src), "--format", "generic")
    assert code == 2 and "lengths column 's_len' must hold whole numbers" in err


def test_a_task_declaring_fewer_classes_than_its_labels_is_refused_before_fitting(capsys, env) -> None:
    src = _write_npz_folder(env["tmp"] / "src-8", split_arrays=lambda s: {"label": np.arange(N) % 8})
    assert _cli(capsys, "data", "prepare", "eight", "--from", str(src), "--format", "generic")[0] == 0
    folder = _task_toml(env["tmp"] / "inc-8", "three-of-eight", dataset="eight")
    code, err = _cli(capsys, "--results", str(env["results"]), "--include-path", str(folder), "run",
                     "--task", "three-of-eight", "--model", "prior", "--seeds", "0")
    assert code == 2 and "is not a class id in 0..2 (num_classes = 3, labels span 0..7)" in err
    assert not list(env["results"].rglob("*.json"))


def test_a_task_naming_a_modality_its_data_lacks_is_refused_before_fitting(capsys, env) -> None:
    folder = _task_toml(env["tmp"] / "inc-mod", "no-such-modality", dataset="keepme", modalities=["lefty"])
    code, err = _cli(capsys, "--results", str(env["results"]), "--include-path", str(folder), "run",
                     "--task", "no-such-modality", "--model", "prior", "--seeds", "0")
    assert code == 2 and "modality 'lefty' is not in dataset 'keepme' (it has a)" in err
    assert not list(env["results"].rglob("*.json"))


# ---- 4. bad files ------------------------------------------------------------------------------------------
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


FILE_CASES = [
    ("truncated-npz", lambda d: _truncate(d / "train.npz"), "train.npz: not a readable .npz"),
    ("garbage-npz", lambda d: (d / "valid.npz").write_bytes(b"\x00garbage" * 10), "valid.npz: not a readable .npz"),
    ("object-npz", lambda d: np.savez(d / "test.npz", id=np.array([object()] * N, dtype=object),
                                      label=np.zeros(N), a=np.zeros((N, 3))),
     "test.npz: holds an object (pickled) array"),
    ("string-features", lambda d: np.savez(d / "train.npz", id=np.arange(N).astype(str), label=np.zeros(N),
                                           a=np.array([["x", "y", "z"]] * N)),
     "column 'a' holds <U1 values; features must be numbers"),
    ("missing-split", lambda d: (d / "test.npz").unlink(), "test.npz not found (split 'test'"),
    ("missing-column", lambda d: np.savez(d / "train.npz", id=np.arange(N).astype(str), label=np.zeros(N)),
     "missing column(s) ['a']"),
    ("bad-toml", lambda d: (d / "dataset.toml").write_text("format = npz\n"), "dataset.toml: invalid TOML"),
    ("toml-missing-key", lambda d: (d / "dataset.toml").write_text('format = "npz"\n'),
     "dataset.toml: missing key(s) ['splits', 'label', 'modalities']"),
    ("unknown-format", lambda d: (d / "dataset.toml").write_text(
        (d / "dataset.toml").read_text().replace('"npz"', '"xlsx"')), "format 'xlsx' is not one of"),
    ("missing-hf-folder", lambda d: (d / "dataset.toml").write_text(
        (d / "dataset.toml").read_text().replace('"npz"', '"hf"')), "hf not found; format 'hf' reads"),
    ("nan-features", lambda d: np.savez(d / "train.npz", id=np.arange(N).astype(str), label=np.arange(N) % 3,
                                        a=np.full((N, 3), np.nan)),
     "36 NaN/inf values; prepare again with --nonfinite zero"),
    ("no-dataset-toml", lambda d: (d / "dataset.toml").unlink(), "dataset.toml not found"),
]


@pytest.mark.parametrize("case, damage, message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_damaged_source_file_is_refused_naming_it(capsys, env, case, damage, message) -> None:
    src = _write_npz_folder(env["tmp"] / f"src-{case}")
    damage(src)
    before = _entries(env["data"])
    code, err = _cli(capsys, "data", "prepare", "bad", "--from", str(src), "--format", "generic")
    assert code == 2 and message in err, err
    assert _entries(env["data"]) == before


def test_a_truncated_parquet_file_is_refused_naming_it(capsys, env) -> None:
    pd = pytest.importorskip("pandas")
    src = env["tmp"] / "pq"
    src.mkdir()
    (src / "dataset.toml").write_text('format = "parquet"\nsplits = ["train"]\nlabel = "label"\n'
                                      '[modalities]\na = { column = "a" }\n')
    pd.DataFrame({"label": [0, 1], "a": [[0.0, 1.0], [1.0, 0.0]]}).to_parquet(src / "train.parquet")
    _truncate(src / "train.parquet")
    code, err = _cli(capsys, "data", "prepare", "bad", "--from", str(src), "--format", "generic")
    assert code == 2 and "train.parquet: not a readable parquet file" in err


def test_nonfinite_zero_works_for_the_generic_source_and_is_counted(capsys, env) -> None:
    src = _write_npz_folder(env["tmp"] / "src-nan", split_arrays=lambda s: {
        "a": np.where(np.arange(N * 3).reshape(N, 3) == 0, np.nan, 1.0).astype(np.float32)})
    code, err = _cli(capsys, "data", "prepare", "zeroed", "--from", str(src), "--format", "generic",
                     "--nonfinite", "zero")
    assert code == 0, err
    notes = json.loads((env["data"] / "zeroed" / "manifest.json").read_text())["notes"]
    assert notes["nonfinite"] == "zero" and sum(notes["nonfinite_replaced"].values()) == 3


def test_a_truncated_manifest_is_one_warning_and_the_other_commands_go_on(capsys, caplog, env) -> None:
    from harness.data import store
    from harness.data.sources import DATASETS

    src = _write_npz_folder(env["tmp"] / "src-2")
    assert _cli(capsys, "data", "prepare", "broken", "--from", str(src), "--format", "generic")[0] == 0
    _truncate(env["data"] / "broken" / "manifest.json")
    DATASETS.remove("broken")  # as in a fresh process, which registers prepared generic datasets at import
    with caplog.at_level(logging.WARNING):
        assert store.register_generic() == []  # what every process does at import: skips it with a warning
    assert "broken/manifest.json is unreadable" in caplog.text
    assert _cli(capsys, "tasks")[0] == 0
    assert _cli(capsys, "data", "list")[0] == 0
    code, err = _cli(capsys, "data", "info", "broken")
    assert code == 2 and "broken/manifest.json is unreadable" in err and "prepare broken again" in err


def test_a_truncated_predictions_file_is_an_error_naming_it(tmp_path: Path) -> None:
    from harness.errors import UserError
    from harness.runs.predictions import read_predictions

    path = tmp_path / "abc.pred.npz"
    np.savez_compressed(path, output=np.zeros((50, 3)))
    _truncate(path)
    with pytest.raises(UserError, match=r"abc\.pred\.npz: predictions unreadable .* rerun that run with --force"):
        read_predictions(path)


# ---- 5. no lost compute ------------------------------------------------------------------------------------
def test_results_that_is_a_file_is_refused_before_any_run(capsys, env) -> None:
    results = env["tmp"] / "results-file"
    results.write_text("not a folder")
    code, err = _cli(capsys, "--results", str(results), "run", "--task", "digits-views", "--model", "prior",
                     "--seeds", "0")
    assert code == 2 and f"--results {results}: cannot write run records there" in err and "nothing was run" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_results_folder_is_refused_before_any_run(capsys, env) -> None:
    results = env["tmp"] / "ro"
    results.mkdir()
    results.chmod(0o500)
    try:
        code, err = _cli(capsys, "--results", str(results), "run", "--task", "digits-views", "--model", "prior",
                         "--seeds", "0")
    finally:
        results.chmod(0o700)
    assert code == 2 and "cannot write run records there" in err


def test_a_data_root_that_is_a_file_is_refused(capsys, env, monkeypatch) -> None:
    root = env["tmp"] / "root-file"
    root.write_text("x")
    monkeypatch.setenv("MMREPRO_DATA", str(root))
    code, err = _cli(capsys, "data", "prepare", "fine", "--from", str(env["tmp"] / "good-src"), "--format",
                     "generic")
    assert code == 2 and f"cannot create or write the data root {root}" in err


def test_a_killed_prepare_leaves_a_temp_folder_that_list_shows_and_the_next_prepare_removes(capsys, env) -> None:
    stale = env["data"] / ".keepme-abc123"
    stale.mkdir()
    (stale / "partial.arrow").write_bytes(b"x" * 2_000_000)
    (stale / ".owner").write_text("999999999")  # no such process: the prepare that wrote it was killed
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert ".keepme-abc123" in out and "interrupted prepare (2 MB)" in out
    assert _cli(capsys, "data", "prepare", "keepme", "--from", str(env["tmp"] / "good-src"), "--format",
                "generic")[0] == 0
    assert not stale.exists()
    assert not [p for p in env["data"].glob(".keepme-*")]


def test_leaderboard_files_are_written_atomically(tmp_path: Path, monkeypatch) -> None:
    """A reader racing the writer sees the old file or the new one: the text goes through a renamed temp file."""
    from harness.runs import store

    target = tmp_path / "board.json"
    target.write_text("old")
    seen = []

    def replace(src, dst):
        seen.append(Path(dst).read_text())  # the target still holds the old text while the new one is written
        os.rename(src, dst)

    monkeypatch.setattr(store.os, "replace", replace)
    store.write_text_atomic(target, "new")
    assert seen == ["old"] and target.read_text() == "new" and _entries(tmp_path) == {"board.json"}


# ---- 6. parse-time refusals and task files ----------------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["run", "--task", "digits-views", "--model", "prior", "--seeds", ","], "--seeds ',': no seed given"),
    (["run", "--task", "digits-views", "--model", "prior", "--seeds", "-1"], "seed -1 is outside 0..4294967295"),
    (["run", "--task", "digits-views", "--model", "prior", "--seeds", "99999999999999"],
     "seed 99999999999999 is outside"),
    (["run", "--task", "digits-views", "--model", "prior", "--seeds", "1,x"], "expected integers like 0,1,2"),
    (["leaderboard", "--seeds", ""], "--seeds '': no seed given"),
    (["-j", "-3", "run", "--task", "digits-views", "--model", "prior"], "--jobs -3: needs at least 1"),
    (["-j", "0", "leaderboard"], "--jobs 0: needs at least 1"),
    (["-j", "two", "leaderboard"], "--jobs 'two': expected a whole number"),
    (["show", "*"], "run id '*' is not a run id"),
    (["show", "../../etc"], "run id '../../etc' is not a run id"),
    (["data", "prepare", "x", "--overlap", "maybe"], "invalid choice: 'maybe'"),
])
def test_a_bad_argument_is_refused_before_anything_runs(capsys, env, argv, message) -> None:
    code, err = _cli(capsys, "--results", str(env["results"]), *argv)
    assert code == 2 and message in err, err
    assert not env["results"].exists()


@pytest.mark.parametrize("fields, message", [
    ({"citaton": "x"}, "unknown field 'citaton'; did you mean 'citation'?"),
    ({"num_clases": 3}, "unknown field 'num_clases'; did you mean 'num_classes'?"),
    ({"splits": {"tran": "train"}}, "unknown field 'splits.tran'; did you mean 'train'?"),
    ({"zzz": 1}, "unknown field 'zzz' (fields: name, version"),
])
def test_a_task_file_with_an_unknown_field_names_it_and_the_closest(capsys, env, fields, message) -> None:
    folder = _task_toml(env["tmp"] / f"inc-{next(iter(fields))}", "typo-task", dataset="keepme", **fields)
    code, err = _cli(capsys, "--include-path", str(folder), "tasks")
    assert code == 2 and message in err and str(folder) in err


def test_a_task_on_an_unknown_dataset_is_listed_and_refused_naming_its_file(capsys, env) -> None:
    folder = _task_toml(env["tmp"] / "inc-unknown-ds", "unknown-ds", dataset="no_such_data")
    assert main(["--include-path", str(folder), "tasks"]) == 0  # the other tasks are still listed
    listing = capsys.readouterr().out
    assert "unknown-ds" in listing and "unknown dataset" in listing and "digits-views" in listing
    code, err = _cli(capsys, "--results", str(env["results"]), "--include-path", str(folder), "run",
                     "--task", "unknown-ds", "--model", "prior", "--seeds", "0")
    assert code == 2 and f"task 'unknown-ds' ({folder / 'task.toml'}): unknown dataset 'no_such_data'" in err
    assert "mmrepro data prepare no_such_data --from DIR --format generic" in err
    assert not env["results"].exists()


def test_preparing_again_replaces_the_dataset_whole_and_leaves_no_hidden_folder(capsys, env) -> None:
    src = _write_npz_folder(env["tmp"] / "src-again", split_arrays=lambda s: {"label": np.arange(N) % 2})
    assert _cli(capsys, "data", "prepare", "keepme", "--from", str(src), "--format", "generic")[0] == 0
    manifest = json.loads((env["data"] / "keepme" / "manifest.json").read_text())
    assert manifest["source"] == str(src.resolve())
    assert not [p.name for p in env["data"].iterdir() if p.name.startswith(".keepme")]


def test_an_export_under_a_file_is_a_message_not_a_traceback(capsys, env) -> None:
    """Any OSError (read-only, full or wrong folder) ends as one line naming the path."""
    blocker = env["tmp"] / "a-file"
    blocker.write_text("x")
    code, err = _cli(capsys, "data", "export", "synth_msa", "--to", str(blocker / "x.pkl"))
    assert code == 2 and "mmrepro: error: " in err and str(blocker) in err


def _three_splits(**labels: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {s: (np.array([f"{s}-{i}" for i in range(N)]), labels.get(s, np.arange(N) % 3))
            for s in ("train", "valid", "test")}


@pytest.mark.parametrize("splits, message", [
    (_three_splits(train=np.ones((N, 3))), "split 'train': labels are float64 (3,); a single-label task needs one "
                                           "class id per item"),
    (_three_splits(valid=np.arange(N) / 4), "split 'valid': label 0.25 is not a class id in 0..2"),
    (_three_splits(test=np.arange(N) % 3 - 1), "split 'test': label -1 is not a class id in 0..2"),
    ({**_three_splits(), "valid": (np.array(["test-0"] + [f"v{i}" for i in range(N - 1)]), np.arange(N) % 3)},
     "1 item id(s) of the select split 'valid' are also in the reported split 'test' (e.g. 'test-0')"),
    ({k: v for k, v in _three_splits().items() if k != "valid"}, "select split 'valid' is not in dataset 'mine'"),
])
def test_a_task_is_checked_against_its_data(splits, message) -> None:
    from harness.tasks.checks import task_data_problems
    from harness.tasks.spec import TaskSpec

    task = TaskSpec(name="t", version=1, description="", dataset="mine", modalities=("a",),
                    target_kind="single-label", metrics=("accuracy",), primary_metric="accuracy", citation="",
                    num_classes=3)
    problems = task_data_problems(task, {"a"}, splits)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_truncated_cached_record_does_not_stop_the_other_runs(capsys, env, jobs) -> None:
    results = env["results"]
    assert main(["-q", "--results", str(results), "run", "--task", "digits-views", "--model", "prior",
                 "--seeds", "0"]) == 0
    (bad,) = results.glob("runs/digits-views/prior/*.json")
    _truncate(bad)
    code, err = _cli(capsys, "-q", "-j", jobs, "--results", str(results), "run", "--task", "digits-views",
                     "--model", "prior", "--seeds", "0,1")
    assert code == 2 and "1 cached record(s) unusable (the other 1 runs are done and saved)" in err
    assert str(bad) in err and "--force" in err
    assert len(list(results.glob("runs/digits-views/prior/*.json"))) == 2  # seed 1 ran and was saved
