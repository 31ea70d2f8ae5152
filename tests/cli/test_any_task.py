"""Leaderboards, robustness tables and comparisons of any registered task, and the suites that name themselves.

Friction (issue 19): ``leaderboard --task <a user's task>`` printed nothing and exited 0, because it filtered the
default suite only; ``robustness --task`` likewise; a suite's name was its file stem, which nothing said.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main

TASK_FILE = """name = "my-cancer-a"
version = 1
description = "a user's task on the embedded breast-cancer data"
dataset = "breast_cancer"
modalities = ["mean", "worst"]
target_kind = "binary"
num_classes = 2
metrics = ["accuracy", "f1_pos"]
primary_metric = "f1_pos"
citation = "test"
"""


@pytest.fixture(scope="module")
def user_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Records of prior and linear-early (2 seeds) on a task of the user's own folder, made with ``run``."""
    plugins = tmp_path_factory.mktemp("plugins")
    (plugins / "my-cancer-a.toml").write_text(TASK_FILE)
    results = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MMREPRO_DATA", str(tmp_path_factory.mktemp("data-root")))
        assert main(["-q", "--results", str(results), "--include-path", str(plugins), "run", "--task",
                     "my-cancer-a", "--model", "prior", "--model", "linear-early", "--seeds", "0,1"]) == 0
    return plugins, results


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_leaderboard_of_a_task_outside_every_suite_shows_its_records(capsys, user_runs) -> None:
    plugins, results = user_runs
    code, out, _ = _run(capsys, "-q", "--results", str(results), "--include-path", str(plugins),
                        "leaderboard", "--task", "my-cancer-a")
    assert code == 0
    assert "my-cancer-a v1" in out and "| linear-early" in out and "| prior" in out
    assert (results / "leaderboards" / "my-cancer-a.md").is_file()


def test_leaderboard_of_a_task_without_records_says_how_to_make_them(capsys, tmp_path: Path) -> None:
    code, out, err = _run(capsys, "--results", str(tmp_path), "leaderboard", "--task", "synth-conversation")
    assert code == 2 and out == ""
    assert "no finished runs of task 'synth-conversation'" in err and "mmrepro run --task synth-conversation" in err


def test_robustness_of_a_task_outside_every_suite_reads_its_records(capsys, user_runs) -> None:
    plugins, results = user_runs
    code, out, _ = _run(capsys, "-q", "--results", str(results), "--include-path", str(plugins),
                        "robustness", "--task", "my-cancer-a")
    assert code == 0 and "| linear-early" in out and "-worst zeros" in out
    assert (results / "robustness" / "my-cancer-a.md").is_file()


def test_compare_on_a_users_task(capsys, user_runs) -> None:
    plugins, results = user_runs
    code, out, _ = _run(capsys, "--results", str(results), "--include-path", str(plugins),
                        "compare", "--task", "my-cancer-a", "linear-early", "prior")
    assert code == 0 and "linear-early - prior on my-cancer-a" in out and "mcnemar" in out


def test_compare_names_a_model_without_runs(capsys, user_runs) -> None:
    plugins, results = user_runs
    code, _, err = _run(capsys, "--results", str(results), "--include-path", str(plugins),
                        "compare", "--task", "my-cancer-a", "linear-early", "mlp-early")
    assert code == 2 and "no finished runs of 'mlp-early'" in err and "linear-early, prior" in err


def test_a_suite_is_named_in_its_file_and_listed(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "whatever-file.toml").write_text('name = "tiny-a"\ndescription = "two models"\nseeds = [0, 1]\n'
                                                 '[[group]]\ntasks = ["breast-cancer-views"]\n'
                                                 'models = ["prior", "linear-early"]\n')
    code, out, _ = _run(capsys, "--include-path", str(plugins), "suites")
    assert code == 0
    line = next(li for li in out.splitlines() if li.startswith("tiny-a "))
    assert "breast-cancer-views" in line and "prior,linear-early" in line and "0,1" in line
    assert "whatever-file.toml" in line
    assert any(li.startswith("default ") for li in out.splitlines())
    code, _, err = _run(capsys, "--include-path", str(plugins), "leaderboard", "--suite", "whatever-file")
    assert code == 2 and "unknown suite 'whatever-file'" in err


def test_two_suite_files_of_one_folder_may_not_share_a_name(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for stem in ("one", "two"):
        (plugins / f"{stem}.toml").write_text('name = "same-a"\n[[group]]\ntasks = ["digits-views"]\n'
                                              'models = ["prior"]\n')
    code, _, err = _run(capsys, "--include-path", str(plugins), "suites")
    assert code == 2 and "suite 'same-a' is also defined in" in err


def test_a_suite_name_that_could_be_a_path_is_refused(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "s.toml").write_text('name = "../x"\n[[group]]\ntasks = ["digits-views"]\nmodels = ["prior"]\n')
    code, _, err = _run(capsys, "--include-path", str(plugins), "suites")
    assert code == 2 and "suite name '../x' is not allowed" in err
