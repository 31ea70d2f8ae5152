"""What a run chose and what a task names are shown, and a leaderboard says when nothing beat the chance floor.

Frictions (issue 19): ``show`` did not say which C the linear baseline chose on valid; ``--set`` took no tuple
as ``a,b``; a task naming a modality or split its data lacks failed only when a run was planned; the chance-floor
model ranked first on one task with no warning.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from harness.cli import main
from harness.data.sources import DATASETS
from harness.errors import UserError
from harness.report.floor import chance_floor_warning
from harness.settings import apply_overrides
from harness.tasks import TASKS, get_task
from tests.data.test_generic import make_folder

TASK = "breast-cancer-views"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_prints_the_c_chosen_on_valid(capsys, tmp_path: Path) -> None:
    assert _run(capsys, "-q", "--results", str(tmp_path), "run", "--task", TASK, "--model", "linear-early",
                "--seeds", "0", "--set", "grid=0.01,100")[0] == 0
    run_id = next(tmp_path.glob(f"runs/{TASK}/linear-early/*.json")).stem
    code, out, _ = _run(capsys, "--results", str(tmp_path), "show", run_id)
    assert code == 0
    line = next(li for li in out.splitlines() if li.startswith("selected on valid: "))
    chosen = float(line.split("C=")[1].split(" ")[0])
    assert chosen in (0.01, 100) and "valid_f1_pos" in line
    assert "settings: grid=[0.01, 100], max_iter=2000" in out


def test_set_takes_a_comma_separated_tuple_the_same_as_a_toml_list() -> None:
    from baselines.sklearn_fusion import LinearConfig

    by_commas = apply_overrides(LinearConfig(), {"grid": "1,10"}, "linear-early")
    assert by_commas.grid == (1, 10) == apply_overrides(LinearConfig(), {"grid": "[1, 10]"}, "linear-early").grid
    assert apply_overrides(LinearConfig(), {"grid": "0.5"}, "linear-early").grid == (0.5,)
    with pytest.raises(UserError, match="expected comma-separated float values"):
        apply_overrides(LinearConfig(), {"grid": "a,b"}, "linear-early")


def test_a_task_naming_a_modality_or_split_its_data_lacks_is_refused_when_it_loads(tmp_path: Path, capsys) -> None:
    folder = make_folder(tmp_path / "mine", "npz")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "typo-task-a.toml").write_text(
        'name = "typo-task-a"\nversion = 1\ndescription = "d"\ndataset = "my_typo_a"\n'
        'modalities = ["accel", "gyr"]\ntarget_kind = "single-label"\nnum_classes = 3\n'
        'metrics = ["accuracy"]\nprimary_metric = "accuracy"\ncitation = "mine"\n[splits]\nselect = "val"\n')
    try:
        assert main(["-q", "data", "prepare", "my_typo_a", "--from", str(folder), "--format", "generic"]) == 0
        code, _, err = _run(capsys, "--results", str(tmp_path), "--include-path", str(tasks), "leaderboard",
                            "--task", "typo-task-a")
        assert code == 2 and "typo-task-a.toml" in err
        assert "modality 'gyr' is not in dataset 'my_typo_a' (it has accel, gyro)" in err
        assert "select split 'val' is not in dataset 'my_typo_a' (it has train, valid, test)" in err
        with pytest.raises(UserError, match="modality 'gyr'"):
            get_task("typo-task-a")
        code, out, _ = _run(capsys, "--include-path", str(tasks), "tasks")  # the listing still shows the others
        assert code == 0 and "digits-views" in out and "modality 'gyr'" in out
    finally:
        for registry, name in ((DATASETS, "my_typo_a"), (TASKS, "typo-task-a")):
            if registry.registered(name) is not None:
                registry.remove(name)


def _board(rows: dict[str, float], higher: bool = True) -> SimpleNamespace:
    task = SimpleNamespace(name="t", primary_metric="accuracy", higher_is_better=higher)
    return SimpleNamespace(task=task, frame=pd.DataFrame({"model": list(rows), "accuracy.mean": list(rows.values())}))


@pytest.mark.parametrize("rows, higher, warned", [
    ({"prior": 0.6, "linear-early": 0.5}, True, True),
    ({"linear-early": 0.6, "prior": 0.6}, True, True),  # a tie: nothing beat the floor
    ({"linear-early": 0.7, "prior": 0.6}, True, False),
    ({"prior": 0.2, "linear-early": 0.5}, False, True),  # lower is better (MAE)
    ({"prior": 0.6}, True, False),  # nothing to compare
    ({"linear-early": 0.6, "mlp-early": 0.5}, True, False),  # no floor on the board
])
def test_chance_floor_warning(rows, higher, warned) -> None:
    assert (chance_floor_warning(_board(rows, higher)) is not None) is warned


def test_leaderboard_warns_when_the_chance_floor_is_not_beaten(capsys, tmp_path: Path) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    # An L2 penalty so large that the MLP predicts the class prior: it ties the chance floor.
    (suites / "floor.toml").write_text(f'name = "floor-a"\nseeds = [0]\n[[group]]\ntasks = ["{TASK}"]\n'
                                       'models = ["prior"]\n[[group]]\ntasks = ["' + TASK + '"]\n'
                                       'models = ["mlp-early"]\nset = { alpha = 1e6, hidden = 2 }\n')
    code, out, err = _run(capsys, "-q", "--results", str(tmp_path), "--include-path", str(suites), "leaderboard",
                          "--suite", "floor-a")
    assert code == 0
    assert "- warning: breast-cancer-views: the chance floor (prior)" in out
    assert "mmrepro: warning: breast-cancer-views: the chance floor (prior)" in err
    assert "the chance floor" in (tmp_path / "leaderboards" / f"{TASK}.md").read_text()
