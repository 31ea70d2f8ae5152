"""Leaderboard intervals and compare on real runs of deterministic models (breast-cancer-views, 114 test items)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from harness.report.compare import ITEM_TEST, compare_models, format_comparison
from harness.report.leaderboard import CI_ITEMS, CI_SEEDS, build_leaderboard
from harness.report.render import FORMATS, render
from harness.runs.runner import execute, plan_run
from harness.runs.store import current_records, record_path
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("results")
    for model in ("linear-early", "linear-late"):
        for seed in (0, 1, 2):
            execute(plan_run(TASK, model, seed), folder)
    return folder


def test_a_deterministic_model_gets_a_non_zero_interval_and_every_format_names_the_method(results: Path) -> None:
    board = build_leaderboard(TASK, current_records(results, TASK), results=results)
    row = board.frame.set_index("model").loc["linear-early"]
    assert row["f1_pos.std"] == 0.0, "linear-early is deterministic: the seeds agree exactly"
    assert row["primary.ci_method"] == CI_ITEMS
    assert row["primary.ci_high"] - row["primary.ci_low"] > 0.03
    assert row["primary.ci_low"] < row["f1_pos.mean"] < row["primary.ci_high"]
    for fmt in FORMATS:
        text = render(board, fmt)
        assert "percentile interval of 1000 draws" in text and "bootstrap resample" in text, fmt
        assert "Student-t(n-1)" in text and "items (n=114)" in text, fmt
    assert json.loads(render(board, "json"))["rows"][0]["primary.ci_method"] == CI_ITEMS


def test_tables_are_byte_stable(results: Path) -> None:
    boards = [build_leaderboard(TASK, current_records(results, TASK), results=results) for _ in range(2)]
    assert all(render(boards[0], f) == render(boards[1], f) for f in FORMATS)


def test_records_without_predictions_fall_back_to_seed_only_and_are_flagged(results: Path) -> None:
    records = [dataclasses.replace(r, predictions=None) if r.spec.model == "linear-late" else r
               for r in current_records(results, TASK)]
    board = build_leaderboard(TASK, records, results=results)
    frame = board.frame.set_index("model")
    assert frame.loc["linear-late", "primary.ci_method"] == CI_SEEDS
    assert frame.loc["linear-early", "primary.ci_method"] == CI_ITEMS
    md = render(board, "md")
    assert "†" in md and "no per-item predictions: seed-only Student-t interval" in md
    assert "$\\dagger$" in render(board, "latex")


def test_a_predictions_file_that_is_not_the_runs_output_is_refused(results: Path, tmp_path: Path) -> None:
    import shutil

    from harness.runs.predictions import PredictionsError

    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    records = current_records(copy, TASK)
    early = next(r for r in records if r.spec.model == "linear-early")
    late = next(r for r in records if r.spec.model == "linear-late" and r.spec.seed == early.spec.seed)
    target = record_path(copy, early.spec).with_name(early.predictions)
    shutil.copyfile(record_path(copy, late.spec).with_name(late.predictions), target)
    assert early.metrics["test"]["f1_pos"] != late.metrics["test"]["f1_pos"]
    with pytest.raises(PredictionsError, match=f"{target.name}: gives f1_pos"):
        build_leaderboard(TASK, records, results=copy)


def test_compare_of_two_deterministic_models_reports_the_item_level_test(results: Path) -> None:
    comparison = compare_models(TASK, current_records(results, TASK), "linear-early", "linear-late", results)
    table = comparison.table
    t_row = table[table["method"] == "paired-t"].iloc[0]
    assert math.isnan(t_row["p_value"]) and "zero variance" in t_row["note"], "never p = 0 from equal differences"
    item = table[table["method"] == ITEM_TEST].iloc[0]
    assert 0 < item["p_value"] <= 1 and item["ci_low"] < item["ci_high"] and item["n"] == 114
    assert "used by the verdict" in item["note"] and ITEM_TEST in comparison.verdict
    text = format_comparison(comparison)
    assert "n/a: zero variance" in text and "0.0000  " not in text.splitlines()[2]
    assert not (table["p_value"] == 0).any()


def test_compare_without_predictions_says_the_item_test_is_not_available(results: Path) -> None:
    records = [dataclasses.replace(r, predictions=None) for r in current_records(results, TASK)]
    comparison = compare_models(TASK, records, "linear-early", "linear-late", results)
    item = comparison.table[comparison.table["method"] == ITEM_TEST].iloc[0]
    assert "no per-item predictions" in item["note"]
    assert "undetermined" in comparison.verdict


def test_the_cli_names_a_damaged_predictions_file_and_exits_2(results: Path, tmp_path: Path, capsys) -> None:
    import shutil

    from harness.cli import main

    copy = tmp_path / "copy"
    shutil.copytree(results, copy)
    damaged = next((copy / "runs" / TASK.name / "linear-late").glob("*.pred.npz"))
    damaged.write_bytes(b"not a zip")
    assert main(["--results", str(copy), "compare", "--task", TASK.name, "linear-early", "linear-late"]) == 2
    err = capsys.readouterr().err
    assert f"{damaged}: predictions unreadable" in err and "--force" in err and "Traceback" not in err
