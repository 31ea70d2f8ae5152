"""A task's check against its data runs once per (task, data fingerprint, check code), then is remembered on disk:
a cached leaderboard must not read (and import the libraries to read) the data again in every process."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.tasks import checks, get_task


def test_a_passed_check_is_remembered_and_a_new_fingerprint_checks_again(monkeypatch) -> None:
    task = get_task("breast-cancer-views")
    checks.check_task_data(task, "fingerprint-a")
    assert checks._pass_marker(task, "fingerprint-a").exists()

    def must_not_read(dataset: str):
        raise AssertionError("the data was read again")

    monkeypatch.setattr(checks, "_data_view", must_not_read)
    checks._checked.cache_clear()  # a new process
    checks.check_task_data(task, "fingerprint-a")
    with pytest.raises(AssertionError, match="read again"):
        checks.check_task_data(task, "fingerprint-b")


def test_a_refused_task_leaves_no_marker(monkeypatch) -> None:
    task = get_task("breast-cancer-views")
    monkeypatch.setattr(checks, "_data_view", lambda dataset: ({"mean"}, {}))
    with pytest.raises(UserError, match="modality 'se', 'worst' is not in dataset"):
        checks.check_task_data(task, "fingerprint-c")
    assert not checks._pass_marker(task, "fingerprint-c").exists()


def test_the_marker_key_follows_the_task_and_the_check_code(monkeypatch) -> None:
    task = get_task("breast-cancer-views")
    key = checks._pass_marker(task, "f")
    assert checks._pass_marker(get_task("digits-views"), "f") != key
    monkeypatch.setattr(checks, "_checks_source_hash", lambda: "edited")
    assert checks._pass_marker(task, "f") != key
