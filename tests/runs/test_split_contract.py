"""Issue 20's contract: ``fit`` never receives the reported split, under every task whose data is embedded and
under both executors (serial, and the process pool of ``harness/sweep/execute.py``).

A spy model checks what ``fit`` receives against the report split of the dataset it was built with (object
identity, shared label memory, and ids) and raises if it sees any of it, so the run fails. It lives in a plug-in
folder included with :func:`harness.discovery.include`, so spawned workers register it exactly as a user's
``--include-path`` model; each fit leaves a marker file, so a run that never reached ``fit`` cannot pass.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from harness import discovery
from harness.data.sources import DATASETS
from harness.models import MODELS
from harness.runs.runner import plan_run
from harness.sweep.execute import execute_all
from harness.tasks import TASKS, get_task

SPY = '''
    """A model that fails its run when ``fit`` is handed any part of the reported split."""

    import json
    import os
    from dataclasses import dataclass
    from pathlib import Path

    import numpy as np

    from harness.models import FitInfo, register_model


    def check_not_report(task, report, train, select):
        for name, split in (("train", train), ("select", select)):
            if split is report or np.shares_memory(split.labels, report.labels):
                raise AssertionError(f"fit received the report split {task.splits.report!r} as {name}")
            leaked = set(split.ids.tolist()) & set(report.ids.tolist())
            if leaked:
                raise AssertionError(f"fit's {name} split holds {len(leaked)} report ids, e.g. {sorted(leaked)[0]}")


    @dataclass(frozen=True)
    class SpyConfig:
        pass


    class Spy:
        def __init__(self, task, data, seed):
            self.task, self.seed, self.info = task, seed, FitInfo()
            self.report = data.split(task.splits.report)

        def fit(self, train, select):
            check_not_report(self.task, self.report, train, select)
            marker = Path(os.environ["SPY_MARKERS"]) / f"{os.getpid()}-{self.task.name}.json"
            marker.write_text(json.dumps({"task": self.task.name, "pid": os.getpid()}))

        def predict(self, split):
            rng, n, kind = np.random.default_rng(self.seed), len(split), self.task.target_kind
            if kind == "regression":
                return rng.normal(size=n)
            if kind in ("single-label", "binary"):
                return rng.random((n, self.task.num_classes))
            if kind == "multi-label":
                return rng.random(split.labels.shape)
            if kind == "retrieval":
                return rng.random((n, n))
            if kind == "class-retrieval":
                return rng.normal(size=(n, 8))
            raise NotImplementedError(f"spy: teach predict the outputs of {kind!r} tasks")


    KINDS = ("regression", "single-label", "binary", "multi-label", "retrieval", "class-retrieval")
    register_model("split-spy", config=SpyConfig, target_kinds=KINDS, description="test spy")(
        lambda task, data, config, seed: Spy(task, data, seed))
'''

EMBEDDED = [name for name in TASKS.names() if DATASETS.get(get_task(name).dataset).embedded]


@pytest.fixture(scope="module")
def spy_plugin(tmp_path_factory):
    """The spy as an included plug-in folder, for this module only (workers include it again)."""
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "mmrepro_split_spy.py").write_text(textwrap.dedent(SPY))
    before = list(discovery._folders)
    discovery.include(folder)
    yield sys.modules["mmrepro_split_spy"]
    discovery._folders[:] = before
    MODELS.remove("split-spy")
    del sys.modules["mmrepro_split_spy"]


@pytest.fixture
def spy(spy_plugin, tmp_path: Path, monkeypatch) -> Path:
    """The folder where each fit leaves its marker."""
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("SPY_MARKERS", str(markers))
    return markers


def test_every_embedded_task_is_checked() -> None:
    assert {"digits-views", "breast-cancer-views", "synth-msa"} <= set(EMBEDDED)


@pytest.mark.parametrize("jobs", [1, 2], ids=["serial", "process-pool"])
def test_fit_never_receives_the_report_split(spy: Path, tmp_path: Path, jobs: int) -> None:
    specs = [plan_run(get_task(name), "split-spy", 0) for name in EMBEDDED]
    records = execute_all(specs, tmp_path / "results", progress=False, jobs=jobs)
    failed = {r.spec.task: r.reason for r in records if not r.ok}
    assert failed == {}
    fitted = [json.loads(p.read_text()) for p in spy.iterdir()]
    assert sorted(f["task"] for f in fitted) == sorted(EMBEDDED)
    assert (len({f["pid"] for f in fitted}) > 1 or len(EMBEDDED) == 1) == (jobs > 1)  # the pool really ran


def test_the_spy_catches_a_leak(spy_plugin) -> None:
    """The check itself can fail: the report split, or a split sharing its ids, is caught."""
    module = spy_plugin
    task = get_task("digits-views")
    data = DATASETS.get(task.dataset).load()
    report, train = data.split("test"), data.split("train")
    with pytest.raises(AssertionError, match="received the report split"):
        module.check_not_report(task, report, report, train)
    mixed = type(train)(ids=np.concatenate([train.ids, report.ids[:1]]), labels=np.zeros(len(train) + 1),
                        features={})
    with pytest.raises(AssertionError, match="holds 1 report ids"):
        module.check_not_report(task, report, train, mixed)
