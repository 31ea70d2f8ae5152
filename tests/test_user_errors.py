"""User-facing refusals below the command line that no other test reached (issue 20): each raises UserError with
one line naming the input and what is wrong."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.errors import UserError


def test_bad_seeds_are_an_argparse_error_with_exit_code_2(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--task", "digits-views", "--model", "prior", "--seeds", "0,one"])
    assert stop.value.code == 2 and "--seeds '0,one': expected integers like 0,1,2" in capsys.readouterr().err


@pytest.mark.parametrize("setting, message", [
    ("epochs=0", "epochs, batch_size and patience must be at least 1"),
    ("lr=0", "lr must be positive; grad_clip and weight_decay non-negative"),
])
def test_trainer_settings_out_of_range_are_refused_through_the_cli(capsys, tmp_path: Path, setting: str,
                                                                    message: str) -> None:
    code = main(["--results", str(tmp_path), "run", "--task", "digits-views", "--model", "late-fusion",
                 "--set", setting, "--seeds", "0"])
    assert code == 2 and f"mmrepro: error: LateFusionConfig: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("load, message", [
    ("harness.sweep.suite:load_suite_file", "cannot read suite file"),
    ("harness.tasks.spec:load_task_file", "cannot read task file"),
    ("harness.runs.store:read_record", "unreadable"),
    ("harness.train.checkpoint:load_checkpoint", "cannot read checkpoint"),
])
def test_a_missing_file_is_refused_naming_it(tmp_path: Path, load: str, message: str) -> None:
    import importlib

    module, name = load.split(":")
    missing = tmp_path / "missing.toml"
    with pytest.raises(UserError, match=message) as err:
        getattr(importlib.import_module(module), name)(missing)
    assert str(missing) in str(err.value)


def test_an_unknown_prepare_format_is_refused() -> None:
    from harness.data import store

    with pytest.raises(UserError, match="--format 'csv' is unknown; use --format generic"):
        store.prepare("mfeat", None, fmt="csv")


def test_objective_refuses_an_unknown_regression_loss_and_a_kind_it_cannot_train() -> None:
    from harness.tasks import get_task
    from harness.train.objective import objective_for

    with pytest.raises(UserError, match="loss='huber' is not one of"):
        objective_for(get_task("synth-msa"), "huber")
    retrieval = dataclasses.replace(get_task("digits-views"), target_kind="retrieval")
    with pytest.raises(UserError, match="torch models support regression and .* tasks, not 'retrieval'"):
        objective_for(retrieval)


def test_a_model_asking_for_a_modality_the_data_lacks_is_refused() -> None:
    from harness.data.dataset import Split
    from harness.train.batches import modality_specs

    split = Split(ids=np.array(["a"]), labels=np.zeros(1), features={"audio": np.zeros((1, 3), np.float32)})
    with pytest.raises(UserError, match=r"modalities \['text'\] are not in the data; it has \['audio'\]"):
        modality_specs(split, ("audio", "text"))


def test_an_unknown_table_format_is_refused_by_both_renderers(tmp_path: Path) -> None:
    from harness.claims.ledger import Ledger
    from harness.claims.table import render_claims
    from harness.report.leaderboard import build_leaderboard
    from harness.report.render import render
    from harness.tasks import get_task

    with pytest.raises(UserError, match="unknown format 'docx'; choose one of md, "):
        render(build_leaderboard(get_task("digits-views"), []), "docx")
    with pytest.raises(UserError, match="unknown format 'docx'; choose one of md, "):
        render_claims([], Ledger(tmp_path), "docx")
