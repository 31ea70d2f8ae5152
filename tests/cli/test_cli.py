"""The command line end to end on embedded data, including user errors (exit code 2, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tasks_and_models_list(capsys) -> None:
    code, out, _ = _run(capsys, "tasks")
    assert code == 0 and "digits-views" in out and "synth-msa (SYNTHETIC)" in out
    code, out, _ = _run(capsys, "models")
    assert code == 0 and "linear-early" in out and "prior" in out


@pytest.mark.parametrize("argv, message", [
    (["run", "--task", "digits-veiws", "--model", "prior"], "Did you mean 'digits-views'"),
    (["run", "--task", "digits-views", "--model", "linear"], "unknown model 'linear'"),
    (["run", "--task", "digits-views", "--model", "linear-early", "--set", "C=1"], "Valid settings: grid"),
    (["run", "--task", "digits-views", "--model", "linear-early", "--set", "max_iter=abc"], "expected a int"),
    (["run", "--task", "digits-views", "--model", "linear-early", "--set", "max_iter"], "expected key=value"),
    (["leaderboard", "--suite", "nope"], "unknown suite"),
    (["run", "--task", "mfeat", "--model", "prior"], "mmrepro data prepare mfeat"),
    (["show", "0123456789abcdef"], "no run with id"),
])
def test_user_errors_exit_2_with_clear_message(capsys, tmp_path: Path, argv, message) -> None:
    code, _, err = _run(capsys, "--results", str(tmp_path), *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_run_leaderboard_compare_show(capsys, tmp_path: Path) -> None:
    results = str(tmp_path)
    code, out, _ = _run(capsys, "--results", results, "run", "--task", "breast-cancer-views",
                        "--model", "prior", "--model", "linear-early", "--seeds", "0,1")
    assert code == 0 and "| 1   | linear-early" in out
    code, out, _ = _run(capsys, "--results", results, "compare", "--task", "breast-cancer-views",
                        "linear-early", "prior")
    assert code == 0 and "paired" in out and "mcnemar" in out
    run_id = next(tmp_path.glob("runs/breast-cancer-views/prior/*.json")).stem
    code, out, _ = _run(capsys, "--results", results, "show", run_id[:8])
    assert code == 0 and json.loads(out[out.index("\n{") + 1:])["run_id"] == run_id
    assert "selected on valid: nothing" in out  # prior selects nothing; test_transparency covers the C


def test_leaderboard_writes_tables_and_reports_missing_data(capsys, tmp_path: Path) -> None:
    suite = tmp_path / "suites"
    suite.mkdir()
    (suite / "mini.toml").write_text('seeds = [0]\n[[group]]\ntasks = ["breast-cancer-views", "mfeat"]\n'
                                     'models = ["prior"]\n')
    code, out, _ = _run(capsys, "--results", str(tmp_path), "--include-path", str(suite),
                        "leaderboard", "--suite", "mini", "--format", "latex")
    assert code == 0 and r"\begin{tabular}" in out
    assert "mfeat: not run: data unavailable" in out
    written = sorted(p.name for p in (tmp_path / "leaderboards").iterdir())
    assert written == [f"breast-cancer-views.{ext}" for ext in ("csv", "json", "md", "tex")]


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness", "tasks"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "digits-views" in proc.stdout


def test_reproduce_honours_jobs(capsys, tmp_path: Path, monkeypatch) -> None:
    import harness.sweep.execute as execute

    seen: dict = {}

    def fake_execute_all(specs, results, **options):
        seen.update(options, n=len(specs))
        return []

    monkeypatch.setattr(execute, "execute_all", fake_execute_all)
    code, out, _ = _run(capsys, "-q", "--results", str(tmp_path), "--jobs", "3", "reproduce", "essl", "--seeds", "0")
    assert code == 0 and seen["jobs"] == 3 and seen["n"] > 0
