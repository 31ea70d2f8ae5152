"""Task specs: every built-in spec is valid, and a changed spec must carry a bumped version."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.registry import UnknownNameError
from harness.tasks import TASKS, get_task
from harness.tasks.spec import load_task_file
from tests.tasks.update_task_lock import lock_file, read_lock


@pytest.mark.parametrize("name", TASKS.names())
def test_builtin_spec_is_consistent(name: str) -> None:
    spec = get_task(name)
    assert spec.primary_metric in spec.metrics
    assert spec.splits.select != spec.splits.report, "test must never be the selection split"


@pytest.mark.parametrize("name", TASKS.names())
def test_changed_spec_bumps_version(name: str) -> None:
    lock = read_lock(lock_file(name))
    assert name in lock, f"new task {name}: run `python tests/tasks/update_task_lock.py`"
    spec = get_task(name)
    if spec.spec_hash() != lock[name]["hash"]:
        assert spec.version > lock[name]["version"], f"{name} changed: bump its version"


def _other(value):
    """A different value of the same type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int) or value is None:
        return (value or 0) + 1
    return (*value, "x") if isinstance(value, tuple) else value + "x"


def test_spec_hash_covers_every_field_but_version() -> None:
    """Perturbs each field of the spec and of its split protocol in turn (generated from the dataclasses, so a
    new field cannot be forgotten); only the version leaves the hash alone."""
    spec = get_task("digits-views")
    assert replace(spec, version=99).spec_hash() == spec.spec_hash()
    changed = {f.name: replace(spec, **{f.name: _other(getattr(spec, f.name))})
               for f in fields(spec) if f.name not in ("version", "splits")}
    splits = spec.splits
    changed |= {f"splits.{f.name}": replace(spec, splits=replace(splits, **{f.name: _other(getattr(splits, f.name))}))
                for f in fields(splits)}
    assert len(changed) == len(fields(spec)) - 2 + len(fields(spec.splits))
    ignored = [name for name, other in changed.items() if other.spec_hash() == spec.spec_hash()]
    assert not ignored, f"spec_hash ignores {ignored}"


def test_unknown_task_suggests_close_name() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'digits-views'"):
        get_task("digits-view")
    with pytest.raises(UnknownNameError, match="Did you mean 'breast-cancer-views'"):
        get_task("breast-cancer")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(body)
    return path


BASE = """name = "x"
version = 1
description = "d"
dataset = "digits"
modalities = ["left"]
target_kind = "single-label"
num_classes = 10
citation = "c"
"""


def test_selection_on_report_split_is_refused(tmp_path: Path) -> None:
    body = BASE + 'metrics = ["accuracy"]\nprimary_metric = "accuracy"\n[splits]\nselect = "test"\nreport = "test"\n'
    with pytest.raises(UserError, match="selection on the reported split"):
        load_task_file(_write(tmp_path, body))


def test_primary_metric_must_be_in_suite(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="primary_metric"):
        load_task_file(_write(tmp_path, BASE + 'metrics = ["accuracy"]\nprimary_metric = "macro_f1"\n'))


def test_unknown_metric_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="accuracy"):
        load_task_file(_write(tmp_path, BASE + 'metrics = ["acc"]\nprimary_metric = "acc"\n'))


def test_metric_of_another_target_kind_is_refused(tmp_path: Path) -> None:
    body = BASE + 'metrics = ["accuracy", "MAE"]\nprimary_metric = "accuracy"\n'
    with pytest.raises(UserError, match="'MAE' scores regression outputs; a single-label task takes"):
        load_task_file(_write(tmp_path, body))


def test_binary_task_takes_binary_and_single_label_metrics(tmp_path: Path) -> None:
    body = BASE.replace('"single-label"', '"binary"').replace("num_classes = 10", "num_classes = 2")
    spec = load_task_file(_write(tmp_path, body + 'metrics = ["f1_pos", "accuracy"]\nprimary_metric = "f1_pos"\n'))
    assert spec.target_kind == "binary"
    with pytest.raises(UserError, match="'mAP' scores multi-label outputs"):
        load_task_file(_write(tmp_path, body + 'metrics = ["f1_pos", "mAP"]\nprimary_metric = "f1_pos"\n'))


def test_underscore_spelling_of_a_kind_is_the_same_task(tmp_path: Path) -> None:
    """Kinds are spelled with hyphens; ``single_label`` is read as ``single-label`` (same spec hash)."""
    metrics = 'metrics = ["accuracy"]\nprimary_metric = "accuracy"\n'
    hyphen = load_task_file(_write(tmp_path, BASE + metrics))
    underscore = load_task_file(_write(tmp_path, BASE.replace("single-label", "single_label") + metrics))
    assert underscore.target_kind == "single-label" and underscore.spec_hash() == hyphen.spec_hash()


@pytest.mark.parametrize("name", TASKS.names())
def test_names_follow_the_spelling_rule(name: str) -> None:
    """Task names are kebab-case; dataset names snake_case (storage keys: renaming one changes fingerprints)."""
    spec = get_task(name)
    assert spec.name == spec.name.lower() and "_" not in spec.name
    assert spec.dataset == spec.dataset.lower() and "-" not in spec.dataset
