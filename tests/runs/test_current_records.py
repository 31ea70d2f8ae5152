"""Which records count: a record set with failed, stale-data, other-version, other-definition and malformed records,
which ``current_records``, the leaderboard and the claims ledger must all ignore; and the ledger judges on the
report split, never the select split."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from harness.claims.claim import Arm, Claim, Paper
from harness.claims.ledger import Ledger
from harness.report.leaderboard import build_leaderboard
from harness.runs.record import SCHEMA_VERSION, RunRecord
from harness.runs.runner import plan_run
from harness.runs.store import current_records, data_fingerprint, record_path, write_record
from harness.tasks import get_task

TASK = get_task("digits-views")  # embedded data: its fingerprint is known on every machine
REPORT, SELECT = TASK.splits.report, TASK.splits.select
GOOD = {0: 0.30, 1: 0.40, 2: 0.50}  # report-split accuracy of the current runs
SELECT_VALUE = 0.99  # select-split accuracy of every run: a ledger reading it would be caught
IGNORED_VALUE = 0.01  # report-split accuracy of every record that must not count


def _record(spec, report: float, status: str = "ok") -> RunRecord:
    metrics = {REPORT: {m: report for m in TASK.metrics}, SELECT: {m: SELECT_VALUE for m in TASK.metrics}}
    return RunRecord(
        schema_version=SCHEMA_VERSION, run_id=spec.run_id, spec=spec, status=status,
        reason=None if status == "ok" else "RuntimeError: boom", task_display=TASK.display_name,
        synthetic=TASK.synthetic, primary_metric=TASK.primary_metric, report_split=REPORT, select_split=SELECT,
        started="2026-12-01T00:00:00+00:00", finished=f"2026-12-01T00:00:0{spec.seed}+00:00", wall_time_s=1.0,
        peak_rss_mb=1.0, provenance={}, metrics=metrics, n_parameters=0, fit_time_s=1.0)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    base = plan_run(TASK, "prior", 0)
    assert base.data_fingerprint == data_fingerprint(TASK.dataset)
    current = [dataclasses.replace(base, seed=s) for s in GOOD]
    ignored = [
        _record(dataclasses.replace(base, seed=3), IGNORED_VALUE, status="failed"),
        _record(dataclasses.replace(base, seed=4, data_fingerprint="0" * 16), IGNORED_VALUE),
        _record(dataclasses.replace(base, seed=5, task_version=TASK.version + 1), IGNORED_VALUE),
        _record(dataclasses.replace(base, seed=6, task_hash="other-split"), IGNORED_VALUE),
        _record(dataclasses.replace(base, seed=7, task="digits-views-old"), IGNORED_VALUE),
    ]
    for spec in current:
        write_record(record_path(root, spec), _record(spec, GOOD[spec.seed]), None)
    for record in ignored:  # filed under the task's folder, where a careless reader would find them
        write_record(record_path(root, dataclasses.replace(record.spec, task=TASK.name)).with_name(
            f"{record.run_id}.json"), record, None)
    folder = record_path(root, base).parent
    (folder / "0000000000000000.json").write_text("{ truncated")
    malformed = json.loads(record_path(root, current[0]).read_text()) | {"metrics": {REPORT: {"accuracy": "0.9"}}}
    (folder / "1111111111111111.json").write_text(json.dumps(malformed))
    v1 = json.loads(record_path(root, current[0]).read_text()) | {"schema_version": 1}
    (folder / "2222222222222222.json").write_text(json.dumps(v1))
    return root


def test_current_records_are_exactly_the_good_ones(results: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        found = current_records(results, TASK)
    assert sorted(r.spec.seed for r in found) == sorted(GOOD)
    assert [r.spec.seed for r in found] == sorted(GOOD), "ordered by model, then seed"
    for name in ("0000000000000000", "1111111111111111", "2222222222222222"):
        assert name in caplog.text, f"malformed record {name} must be reported by path"


def test_failed_records_only_on_request(results: Path) -> None:
    with_failed = current_records(results, TASK, with_failed=True)
    assert sorted(r.spec.seed for r in with_failed) == [*sorted(GOOD), 3]


def test_unknown_fingerprint_does_not_filter(results: Path, monkeypatch) -> None:
    """Where the data is not prepared here the fingerprint is unknown: records are kept, not all dropped."""
    monkeypatch.setattr("harness.runs.store.dataset_available", lambda name: False)
    assert sorted(r.spec.seed for r in current_records(results, TASK)) == [*sorted(GOOD), 4]


def test_leaderboard_scores_only_current_runs(results: Path) -> None:
    board = build_leaderboard(TASK, current_records(results, TASK, with_failed=True))
    row = board.frame.set_index("model").loc["prior"]
    assert row["n"] == 3 and row["seeds"] == "0,1,2"
    assert row["accuracy.mean"] == pytest.approx(np.mean(list(GOOD.values())))
    assert row["accuracy.std"] == pytest.approx(np.std(list(GOOD.values()), ddof=1))
    assert board.failed == {"prior": ["seed 3: RuntimeError: boom"]}


def _claim(**kw) -> Claim:
    fields = dict(paper=Paper("toy", "A toy paper", "Venue", 2022, "https://example.org"), key="k",
                  kind="absolute", statement="s", metric="accuracy", variant="v", source="Table 1, p. 2",
                  task=TASK.name, unit="", arm=Arm("prior"), value=0.4, tolerance=0.05)
    return Claim(**{**fields, **kw})


def test_ledger_counts_only_current_runs_on_the_report_split(results: Path) -> None:
    ledger = Ledger(results)
    claim = _claim()
    assert ledger.values(claim, claim.arm) == GOOD, "report split of current ok runs, nothing else"
    summary = ledger.summary(claim, claim.arm)
    assert summary.n == 3 and summary.mean == pytest.approx(0.4)
    verdict = ledger.judge(claim)
    assert verdict.n == 3 and verdict.achieved == pytest.approx(0.4)


def test_ledger_ignores_other_models(results: Path) -> None:
    ledger = Ledger(results)
    assert ledger.values(_claim(), Arm("linear-early")) == {}
    assert ledger.summary(_claim(), Arm("linear-early")) is None
