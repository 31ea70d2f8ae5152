"""``data verify`` suggests the command that prepares the dataset as it was prepared, and ``data prepare`` refuses a
format change that would orphan a dataset's tasks.

Friction (issue 19): verify suggested re-preparing without ``--format generic``; that re-prepare succeeded,
recorded the wrong format, and every later command said "unknown dataset".
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from harness.data import store
from harness.data.sources import DATASETS
from harness.tasks import TASKS
from tests.data.test_generic import make_folder

TASK = ('name = "my-activity-a"\nversion = 1\ndescription = "d"\ndataset = "my_sensors_a"\n'
        'modalities = ["accel", "gyro"]\ntarget_kind = "single-label"\nnum_classes = 3\n'
        'metrics = ["accuracy"]\nprimary_metric = "accuracy"\ncitation = "mine"\n')


def _prepared(tmp_path: Path) -> tuple[Path, Path]:
    folder = make_folder(tmp_path / "mine", "npz")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "my-activity-a.toml").write_text(TASK)
    assert main(["-q", "data", "prepare", "my_sensors_a", "--from", str(folder), "--format", "generic",
                 "--nonfinite", "zero"]) == 0
    return folder, tasks


def _forget() -> None:
    """Later tests of this process must not see this test's dataset and task."""
    for registry, name in ((DATASETS, "my_sensors_a"), (TASKS, "my-activity-a")):
        if registry.registered(name) is not None:
            registry.remove(name)


def test_verify_suggests_the_original_format_and_options(tmp_path: Path, capsys) -> None:
    folder, _ = _prepared(tmp_path)
    try:
        (folder / "test.npz").write_bytes((folder / "test.npz").read_bytes() + b"\0")  # the source changed
        capsys.readouterr()
        assert main(["data", "verify", "my_sensors_a"]) == 1
        out = capsys.readouterr().out
        assert "NOT intact" in out
        suggested = out.strip().splitlines()[-1].split("prepare it again with: ")[1]
        assert suggested == (f"mmrepro data prepare my_sensors_a --from {folder.resolve()} --format generic "
                             "--nonfinite zero")
    finally:
        _forget()


def test_prepare_refuses_a_format_change_that_would_orphan_the_tasks(tmp_path: Path, capsys) -> None:
    folder, tasks = _prepared(tmp_path)
    try:
        capsys.readouterr()
        code = main(["--include-path", str(tasks), "data", "prepare", "my_sensors_a", "--from", str(folder)])
        err = capsys.readouterr().err
        assert code == 2 and "was prepared with --format generic" in err and "my-activity-a" in err
        assert "--format generic --nonfinite zero" in err
        manifest = json.loads((store.data_root() / "my_sensors_a" / "manifest.json").read_text())
        assert manifest["format"] == "generic"  # untouched
        DATASETS.remove("my_sensors_a")
        assert store.register_generic() == ["my_sensors_a"]  # what the next process does: still known
        assert main(["-q", "--results", str(tmp_path / "results"), "--include-path", str(tasks), "run",
                     "--task", "my-activity-a", "--model", "prior", "--seeds", "0"]) == 0
    finally:
        _forget()


def test_prepare_with_the_same_format_again_is_allowed(tmp_path: Path) -> None:
    folder, _ = _prepared(tmp_path)
    try:
        assert main(["-q", "data", "prepare", "my_sensors_a", "--from", str(folder), "--format", "generic"]) == 0
    finally:
        _forget()
