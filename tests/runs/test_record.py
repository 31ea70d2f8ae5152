"""The typed run record: documented field by field, validated when read, malformed records reported by path."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import logging
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UserError
from harness.runs import record as record_module
from harness.runs.record import RecordError, RunRecord, parse_record
from harness.runs.runner import execute, plan_run
from harness.runs.store import find_record, iter_records, read_record, record_path
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunRecord]:
    results = tmp_path_factory.mktemp("results")
    record = execute(plan_run(TASK, "prior", 0), results)
    return results, record


def _documented_fields(cls: type) -> set[str]:
    """Fields followed by a docstring in the class body (the schema's documentation)."""
    body = ast.parse(inspect.getsource(cls)).body[0].body
    return {node.target.id for node, nxt in zip(body, body[1:], strict=False)
            if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)}


@pytest.mark.parametrize("cls", [RunRecord, record_module.RobustnessScores])
def test_every_field_is_documented(cls: type) -> None:
    assert {f.name for f in dataclasses.fields(cls)} == _documented_fields(cls)


def test_round_trip(stored) -> None:
    results, record = stored
    path = record_path(results, record.spec)
    assert read_record(path) == record
    assert find_record(results, record.run_id[:6]) == (path, record)


def _mutated(stored, tmp_path: Path, change) -> Path:
    results, record = stored
    raw = json.loads(record_path(results, record.spec).read_text())
    change(raw)
    path = tmp_path / "runs" / TASK.name / "prior" / f"{record.run_id}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r["metrics"]["test"].update(accuracy="0.9"), r"metrics\.test\.accuracy: Input should be a valid number"),
    (lambda r: r["spec"].update(seed="0"), r"spec\.seed: Input should be a valid integer"),
    (lambda r: r.pop("status"), r"status: Field required"),
    (lambda r: r.update(status="done"), r"status: Input should be 'ok' or 'failed'"),
    (lambda r: r.update(colour="red"), r"colour: Unexpected keyword argument"),
    (lambda r: r["spec"].pop("precision"), r"spec\.precision: Field required"),
    (lambda r: r.update(cached=True), r"stores 'cached'"),
    (lambda r: r["spec"].update(seed=1), r"is not the hash of its spec"),
    (lambda r: r.update(schema_version=1), r"schema version 1, expected 2; run `mmrepro records migrate`"),
    (lambda r: r.update(schema_version=7), r"schema version 7, expected 2"),
])
def test_malformed_record_is_reported_by_path_with_what_is_wrong(stored, tmp_path, change, message) -> None:
    path = _mutated(stored, tmp_path, change)
    with pytest.raises(RecordError, match=message) as err:
        read_record(path)
    assert str(path) in str(err.value) and isinstance(err.value, UserError)


def test_unparseable_and_misnamed_records(stored, tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="not a JSON object"):
        parse_record(b"{not json", "x.json")
    with pytest.raises(RecordError, match="not a JSON object"):
        parse_record(b"[1, 2]", "x.json")
    path = _mutated(stored, tmp_path, lambda r: None)
    renamed = path.rename(path.with_name("0123456789abcdef.json"))
    with pytest.raises(RecordError, match="file name says 0123456789abcdef"):
        read_record(renamed)


def test_iter_records_skips_malformed_ones_with_a_warning(stored, tmp_path: Path, caplog) -> None:
    good = _mutated(stored, tmp_path, lambda r: None)
    bad = good.with_name("ffffffffffffffff.json")
    bad.write_text("{}")
    with caplog.at_level(logging.WARNING):
        found = list(iter_records(tmp_path))
    assert [p for p, _ in found] == [good]
    assert str(bad) in caplog.text and "schema version None" in caplog.text


def test_show_refuses_a_malformed_record_with_exit_code_2(stored, tmp_path: Path, capsys) -> None:
    path = _mutated(stored, tmp_path, lambda r: r.update(status="done"))
    assert main(["--results", str(tmp_path), "show", path.stem[:8]]) == 2
    assert f"run record {path}" in capsys.readouterr().err


def test_predictions_are_never_unpickled(tmp_path: Path) -> None:
    """A predictions file holding an object (pickled) array is refused, never loaded (it could run code)."""
    import numpy as np

    from harness.runs.predictions import read_predictions

    np.savez(tmp_path / "run.pred.npz", output=np.array([{"a": 1}], dtype=object))
    with pytest.raises((ValueError, UserError), match="Object arrays cannot be loaded when allow_pickle=False"):
        read_predictions(tmp_path / "run.pred.npz")
