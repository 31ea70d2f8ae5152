"""The run spec (cache key and row label) where the older tests were silent (issue 20, mutation testing).

Each test kills mutmut survivors of harness.runs.spec: the run id of a hand-built spec is pinned (records on disk
are found by it), a fold is part of it only when set, and the leaderboard label names exactly the settings that
differ from the model's defaults.
"""

from __future__ import annotations

import dataclasses

from harness.runs.spec import RunSpec, plain_config

BASE = RunSpec(task="breast-cancer-views", task_version=1, task_hash="fd084a5e99ef", model="linear-early",
               config={"grid": [0.01, 0.1, 1.0, 10.0, 100.0], "max_iter": 2000}, seed=0,
               data_fingerprint="98a4077a69333c7c", device_class="cpu", precision="fp32")


def test_the_run_id_of_a_spec_is_pinned_and_a_fold_enters_it_only_when_set() -> None:
    # Cached records are found by this id: the id of a spec without a fold is the one it had before folds existed.
    assert BASE.run_id == "0ebf5b65f3058371"
    fold0 = dataclasses.replace(BASE, fold=0)
    assert fold0.run_id not in (BASE.run_id, dataclasses.replace(BASE, fold=1).run_id)
    assert len(fold0.run_id) == 16 and int(fold0.run_id, 16) >= 0


def test_the_model_label_names_the_settings_that_differ_from_the_defaults_in_order() -> None:
    assert BASE.model_label == "linear-early"
    changed = dataclasses.replace(BASE, config={**BASE.config, "max_iter": 10, "grid": [1.0]})
    assert changed.model_label == "linear-early[grid=[1.0],max_iter=10]"


def test_plain_config_turns_tuples_into_lists() -> None:
    @dataclasses.dataclass
    class Config:
        sizes: tuple[int, ...] = (1, 2)
        name: str = "x"

    assert plain_config(Config()) == {"sizes": [1, 2], "name": "x"}


def test_make_spec_keeps_the_fold_it_is_given() -> None:
    from harness.models import get_model
    from harness.runs.spec import make_spec
    from harness.tasks import get_task

    task, model = get_task("breast-cancer-views"), get_model("linear-early")
    assert make_spec(task, model, 0, "f" * 16, fold=2).fold == 2
    assert make_spec(task, model, 0, "f" * 16).fold is None


def test_plain_config_writes_a_set_valued_setting_as_a_list() -> None:
    @dataclasses.dataclass
    class Config:
        tags: frozenset = frozenset({"a"})

    assert plain_config(Config()) == {"tags": ["a"]}
