"""Discovery: how an included folder is read, and the checks a paper's claims get when loaded."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness import discovery
from harness.errors import UserError
from harness.papers import REPRODUCTIONS, Reproduction

CLAIMS = """
[paper]
key = "p"
title = "t"
venue = "v"
year = 2026
link = "https://example.org"

[[claim]]
key = "c"
kind = "absolute"
statement = "s"
task = "digits-views"
metric = "{metric}"
variant = "v"
value = 1.0
arm = "prior"
source = "Table 1, p. 1"
"""


@pytest.fixture(autouse=True)
def plugins_loaded() -> None:
    """Tests below swap discovery's state for a while; the installed plug-ins must be in it before that."""
    discovery.load_plugins()


def _files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


def test_scan_classifies_files_and_skips_private_folders(tmp_path: Path) -> None:
    _files(tmp_path, {
        "paper/claims.toml": "", "paper/suite.toml": "[[group]]\n", "paper/tasks/t.toml": "name = 't'\n",
        "paper/dataset.toml": "format = 'npz'\n", "extra-suite.toml": "[[group]]\n", "_template/claims.toml": "",
        "_template/t.toml": "", ".hidden/t.toml": "", "notapaper/x.toml": "name = 'x'\n",
    })
    found = discovery.scan(tmp_path)
    assert found.papers == (tmp_path / "paper",)
    assert found.suites == (tmp_path / "extra-suite.toml",)
    assert found.tasks == (tmp_path / "notapaper/x.toml", tmp_path / "paper/tasks/t.toml")
    # The paper folder itself may be given: it is then the only paper.
    assert discovery.scan(tmp_path / "paper").papers == (tmp_path / "paper",)


def test_scan_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a folder"):
        discovery.scan(tmp_path / "missing")
    _files(tmp_path, {"bad.toml": "x = ["})
    with pytest.raises(UserError, match="bad.toml"):
        discovery.scan(tmp_path)


def test_subscribers_hear_of_folders_included_before_and_after(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(discovery, "_folders", [])
    monkeypatch.setattr(discovery, "_listeners", [])
    _files(tmp_path, {"a/t.toml": "", "b/t.toml": ""})
    heard: list[Path] = []
    discovery.include(tmp_path / "a")
    discovery.subscribe(lambda folder: heard.append(folder.root))
    discovery.include(tmp_path / "b")
    discovery.include(tmp_path / "a")  # once per folder
    assert heard == [tmp_path / "a", tmp_path / "b"]
    assert discovery.user_folders() == [tmp_path / "a", tmp_path / "b"]


def test_in_repo_papers_are_found_and_the_template_is_not() -> None:
    assert "essl" in REPRODUCTIONS and "_template" not in REPRODUCTIONS


def test_claim_metric_must_be_a_metric_of_its_task(tmp_path: Path) -> None:
    (tmp_path / "claims.toml").write_text(CLAIMS.format(metric="accuracy"))
    assert [c.key for c in Reproduction("p", tmp_path).claims()] == ["c"]
    (tmp_path / "claims.toml").write_text(CLAIMS.format(metric="MAE"))
    with pytest.raises(UserError, match="claim 'c': metric 'MAE' is not a metric of task 'digits-views'"):
        Reproduction("p", tmp_path).claims()
    (tmp_path / "claims.toml").write_text(CLAIMS.format(metric="accuracy").replace("digits-views", "digits-veiws"))
    with pytest.raises(UserError, match="claim 'c': unknown task 'digits-veiws'"):
        Reproduction("p", tmp_path).claims()


TASK = """name = "discovery-test-task"
version = 1
description = "{description}"
dataset = "digits"
modalities = ["left"]
target_kind = "single-label"
num_classes = 10
metrics = ["accuracy"]
primary_metric = "accuracy"
citation = "c"
"""


def test_two_plugins_cannot_define_one_task_differently(tmp_path: Path, monkeypatch) -> None:
    from harness.tasks.registry import ORIGINS, TASKS

    monkeypatch.setattr(discovery, "_folders", list(discovery._folders))
    _files(tmp_path, {"a/t.toml": TASK.format(description="one"), "b/t.toml": TASK.format(description="two"),
                      "c/t.toml": TASK.format(description="three")})
    try:
        discovery.include(tmp_path / "a", user=False)
        with pytest.raises(UserError, match=r"'discovery-test-task' is already defined in .*a/t\.toml"):
            discovery.include(tmp_path / "b", user=False)
        discovery.include(tmp_path / "c")  # --include-path: the user's own definition wins
        assert TASKS.get("discovery-test-task").description == "three"
    finally:
        TASKS.remove("discovery-test-task")
        ORIGINS.pop("discovery-test-task")


def test_a_plugin_may_not_shadow_an_installed_module(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(discovery, "_folders", list(discovery._folders))
    _files(tmp_path, {"json.py": "raise AssertionError('must not be imported')\n"})
    with pytest.raises(UserError, match="has the name of the module 'json'"):
        discovery.include(tmp_path)


def test_registered_names_follow_the_spelling_rule() -> None:
    """Models, suites and papers are lower-case with hyphens (README, Naming), wherever they were registered."""
    import re

    from harness.models import MODELS
    from harness.sweep.suite import SUITES

    for kind, names in (("model", MODELS.names()), ("suite", SUITES.names()), ("paper", REPRODUCTIONS.names())):
        bad = [n for n in names if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n)]
        assert bad == [], f"{kind} names not in kebab-case: {bad}"


def test_a_paper_without_init_has_each_module_imported(tmp_path: Path, monkeypatch) -> None:
    import sys

    monkeypatch.setattr(discovery, "_folders", list(discovery._folders))
    monkeypatch.setattr(sys, "path", list(sys.path))
    name = "mmrepro_namespace_paper"
    _files(tmp_path, {f"{name}/claims.toml": CLAIMS.format(metric="accuracy"), f"{name}/model.py": "LOADED = 1\n"})
    try:
        discovery.include(tmp_path / name)
        assert sys.modules[f"{name}.model"].LOADED == 1
        assert REPRODUCTIONS.get(name).folder == tmp_path / name
    finally:
        REPRODUCTIONS.remove(name)
        for module in (name, f"{name}.model"):
            sys.modules.pop(module, None)
