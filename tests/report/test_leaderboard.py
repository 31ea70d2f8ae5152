"""Leaderboards: aggregation, ranking direction, and every export format."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from harness.report.leaderboard import build_leaderboard
from harness.report.render import FORMATS, latex_escape, render
from harness.runs.record import RunRecord
from harness.runs.spec import RunSpec
from harness.tasks import get_task


def _record(task, model: str, seed: int, metrics: dict[str, float], status: str = "ok") -> RunRecord:
    spec = RunSpec(task=task.name, task_version=task.version, task_hash=task.spec_hash(), model=model, config={},
                   seed=seed, data_fingerprint="f", device_class="cpu", precision="fp32")
    return RunRecord(
        schema_version=2, run_id=spec.run_id, spec=spec, status=status,
        reason=None if status == "ok" else "non-finite: x", task_display=task.display_name,
        synthetic=task.synthetic, primary_metric=task.primary_metric, report_split=task.splits.report,
        select_split=task.splits.select, started="", finished="", wall_time_s=1.0, peak_rss_mb=1.0, provenance={},
        metrics={task.splits.report: {m: metrics.get(m, 0.5) for m in task.metrics}} if status == "ok" else {},
        n_parameters=10, fit_time_s=1.0)


@pytest.fixture
def msa_board():
    task = get_task("synth-msa")
    records = [_record(task, "linear-early", s, {"MAE": v}) for s, v in enumerate([0.9, 1.0, 1.1])]
    records += [_record(task, "prior", s, {"MAE": v}) for s, v in enumerate([1.2, 1.2, 1.3])]
    records += [_record(task, "mlp-early", 0, {}, status="failed")]
    return build_leaderboard(task, records)


def test_mean_and_sample_std(msa_board) -> None:
    row = msa_board.frame.set_index("model").loc["linear-early"]
    assert row["MAE.mean"] == pytest.approx(1.0)
    assert row["MAE.std"] == pytest.approx(np.std([0.9, 1.0, 1.1], ddof=1))
    assert row["n"] == 3
    assert row["primary.ci_low"] < 1.0 < row["primary.ci_high"]


def test_lower_is_better_metric_ranks_smallest_first(msa_board) -> None:
    assert list(msa_board.frame["model"]) == ["linear-early", "prior"]


def test_failed_runs_are_listed_never_scored(msa_board) -> None:
    assert "mlp-early" not in set(msa_board.frame["model"])
    assert "non-finite" in msa_board.failed["mlp-early"][0]
    assert "failed: mlp-early" in render(msa_board, "md")


def test_synthetic_task_is_labelled(msa_board) -> None:
    for fmt in ("md", "latex", "html"):
        assert "SYNTHETIC" in render(msa_board, fmt)
    assert json.loads(render(msa_board, "json"))["synthetic"] is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(msa_board, fmt: str) -> None:
    assert "linear-early" in render(msa_board, fmt)


def test_latex_is_a_balanced_tabular_with_escaped_names(msa_board) -> None:
    tex = render(msa_board, "latex")
    assert tex.count(r"\begin{tabular}") == 1 and tex.count(r"\end{tabular}") == 1
    body = tex[tex.index(r"\begin{tabular}"):]
    columns = len(re.search(r"\\begin\{tabular\}\{(\w+)\}", body).group(1))
    rows = [line for line in body.splitlines() if line.rstrip().endswith(r"\\")]
    assert rows and all(line.count("&") == columns - 1 for line in rows)
    assert "Has0\\_acc\\_2" in tex and "$\\pm$" in tex
    assert latex_escape("a_b&c%") == r"a\_b\&c\%"
    outside_math = re.sub(r"\$[^$]*\$|\\[#%_&{}$]", "", body).replace("&", "")
    assert not re.search(r"[#%_]", outside_math), "unescaped LaTeX special character"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (optional check)")
def test_latex_compiles(msa_board, tmp_path) -> None:
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\\begin{document}\n"
                                      + render(msa_board, "latex") + "\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_higher_is_better_ranks_largest_first() -> None:
    task = get_task("digits-views")
    records = [_record(task, "prior", 0, {"accuracy": 0.8}), _record(task, "linear-early", 0, {"accuracy": 0.9})]
    board = build_leaderboard(task, records)
    assert list(board.frame["model"]) == ["linear-early", "prior"]
    assert np.isnan(board.frame["accuracy.std"][0]), "one seed has no sample std"
