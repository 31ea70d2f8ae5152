"""Every user-facing refusal reachable from the command line: exit code 2, one line naming what is wrong and what to
do, no traceback (issue 20: error branches that no test ran). Paths through tmp folders; nothing is trained except
two tiny scikit-learn runs shared by the compare cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.cli import main


def _refused(capsys, *argv: str) -> str:
    """Run the CLI, assert it refused (exit 2, one message line, no traceback) and return the message."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("mmrepro: error: ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argv, message", [
    # --set values are parsed as the setting's type
    (["run", "--task", "digits-views", "--model", "mlp-early", "--set", "early_stopping=maybe"],
     "--set early_stopping=maybe: expected true or false"),
    (["run", "--task", "digits-views", "--model", "linear-early", "--set", "grid=[1,"],
     "--set grid=[1,: expected comma-separated float values for LinearConfig.grid"),
    (["run", "--task", "digits-views", "--model", "linear-early", "--set", "=3"], "expected key=value"),
    # a model that cannot score the task's target kind
    (["run", "--task", "digits-views", "--model", "cca-retrieval"],
     "model 'cca-retrieval' supports retrieval tasks, but 'digits-views' is single-label"),
    # data preparation
    (["data", "prepare", "breast_cancer"], "dataset 'breast_cancer' ships with mmrepro and needs no prepare step"),
    (["data", "prepare", "mfeat"], "give --from PATH"),
    (["data", "prepare", "mfeat", "--from", "/nonexistent/mfeat"], "--from /nonexistent/mfeat does not exist"),
    (["data", "prepare", "mfeat", "--from", ".", "--option", "novalue"], "--option 'novalue': expected key=value"),
    # verdict filters and rules
    (["claims", "--verdict", "maybe"], "--verdict 'maybe' matches no outcome"),
    (["diff", "not-a-claim"], "'not-a-claim' is no claim (paper:key); to compare runs give two run ids"),
    # robustness of a task outside the suite needs its records
    (["robustness", "--task", "synth-conversation"], "no finished runs of task 'synth-conversation'"),
])
def test_refusal_exits_2_with_its_message(capsys, tmp_path: Path, argv: list[str], message: str) -> None:
    assert message in _refused(capsys, "--results", str(tmp_path), *argv)


@pytest.mark.parametrize("device, message", [
    ("bogus", "device 'bogus' is not a torch device (try cpu or cuda)"),
    ("cuda", "device 'cuda' requested but CUDA is not available; use cpu"),
])
def test_an_unusable_device_is_refused_before_any_run(capsys, tmp_path: Path, monkeypatch, device, message) -> None:
    pytest.importorskip("torch")
    import torch

    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    monkeypatch.setenv("MMREPRO_DEVICE", device)
    assert message in _refused(capsys, "--results", str(tmp_path), "run", "--task", "digits-views",
                               "--model", "late-fusion", "--seeds", "0")
    assert not list(tmp_path.rglob("*.json")), "nothing ran"


def test_a_dataset_without_a_public_download_is_refused(capsys) -> None:
    from harness.data.sources import DATASETS

    name = next(n for n in DATASETS.names() if DATASETS.get(n).read is not None and DATASETS.get(n).download is None)
    assert f"dataset {name!r} has no public download" in _refused(capsys, "data", "prepare", name, "--download")


def test_a_reader_option_the_dataset_does_not_take_is_refused(capsys, tmp_path: Path) -> None:
    source = tmp_path / "mfeat"
    source.mkdir()
    message = _refused(capsys, "data", "prepare", "mfeat", "--from", str(source), "--option", "colour=red")
    assert "dataset 'mfeat' does not accept option(s) ['colour']" in message


def test_a_suite_file_without_groups_is_refused(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "empty-suite-i.toml").write_text("seeds = [0]\ngroup = []\n")
    message = _refused(capsys, "--results", str(tmp_path), "--include-path", str(plugins),
                       "leaderboard", "--suite", "empty-suite-i")
    assert "has no [[group]] with tasks and models" in message and "empty-suite-i.toml" in message


def test_an_unparseable_plugin_toml_is_refused_naming_the_file(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.toml").write_text("seeds = [0\n")
    message = _refused(capsys, "--include-path", str(plugins), "tasks")
    assert f"cannot parse {plugins.resolve() / 'broken.toml'}" in message


def test_a_task_file_with_an_unknown_field_is_refused_naming_the_file(capsys, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "odd_task_i.toml").write_text('name = "odd-task-i"\ncolour = "red"\n')
    message = _refused(capsys, "--include-path", str(plugins), "tasks")
    assert "task file" in message and "odd_task_i.toml" in message and "colour" in message


def test_a_folder_that_is_not_one_is_refused(capsys, tmp_path: Path) -> None:
    assert "is not a folder" in _refused(capsys, "--include-path", str(tmp_path / "missing"), "tasks")


TASK = "breast-cancer-views"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    """prior on seed 0, linear-early and linear-late on seed 1 (embedded data; scikit-learn, seconds)."""
    results = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MMREPRO_DATA", str(tmp_path_factory.mktemp("data-root")))
        for model, seed in (("prior", "0"), ("linear-early", "1"), ("linear-late", "1")):
            assert main(["-q", "--results", str(results), "run", "--task", TASK, "--model", model,
                         "--seeds", seed]) == 0
    return results


def test_compare_refuses_a_model_without_runs(capsys, two_runs: Path) -> None:
    message = _refused(capsys, "--results", str(two_runs), "compare", "--task", TASK, "mlp-early", "prior")
    assert "no finished runs of 'mlp-early'; models with runs on this task: linear-early, linear-late, prior" \
        in message


def test_compare_refuses_runs_on_different_seeds(capsys, two_runs: Path) -> None:
    message = _refused(capsys, "--results", str(two_runs), "compare", "--task", TASK, "linear-early", "prior")
    assert "'linear-early' and 'prior' share no seed; run both with the same --seeds" in message


def test_compare_refuses_runs_that_scored_different_items(capsys, two_runs: Path, tmp_path: Path) -> None:
    import shutil

    from harness.tasks import get_task

    copy = tmp_path / "results"
    shutil.copytree(two_runs, copy)
    npz = next((copy / "runs" / TASK / "linear-late").glob("*.pred.npz"))
    with np.load(npz, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    assert str(arrays["split"]) == get_task(TASK).splits.report
    arrays["ids"] = arrays["ids"][::-1].copy()
    np.savez_compressed(npz, **arrays)
    message = _refused(capsys, "--results", str(copy), "compare", "--task", TASK, "linear-early", "linear-late")
    assert "seed 1: the two runs scored different" in message and "rerun on the same data" in message


def test_show_refuses_an_ambiguous_run_id_prefix(capsys, two_runs: Path) -> None:
    message = _refused(capsys, "--results", str(two_runs), "show", "")
    assert "3 runs with id starting ''" in message and "list them with" in message
