"""The Ray executor on a real local Ray head: the same runs and numbers as the local executor, written by the
driver, and a worker killed mid-run costs a retry, not a run."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from harness import discovery
from harness.cli import main
from harness.errors import UserError
from harness.report.leaderboard import build_leaderboard
from harness.report.render import render
from harness.runs.runner import plan_run
from harness.runs.store import current_records, iter_records, record_path
from harness.sweep.execute import execute_all
from harness.tasks import get_task

pytestmark = pytest.mark.ray
PLUGIN = Path(__file__).parent / "plugin"
REPO = Path(__file__).resolve().parents[2]


def _runs(results: Path) -> dict[str, tuple[Path, object]]:
    return {record.run_id: (path, record) for path, record in iter_records(results)}


def _untimed(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if not k.endswith("time_s")} for row in history]


def _board(results: Path, task: str = "breast-cancer-views") -> str:
    return render(build_leaderboard(get_task(task), current_records(results, get_task(task), with_failed=True)), "md")


def test_a_suite_gives_the_same_runs_on_ray_as_locally(ray_head, tmp_path: Path) -> None:
    local, remote = tmp_path / "local", tmp_path / "ray"
    suite = ["-q", "--include-path", str(PLUGIN), "leaderboard", "--suite", "ray-tiny"]
    assert main(["--results", str(remote), "--executor", "ray", "--ray-address", ray_head.address, *suite]) == 0
    assert main(["--results", str(local), *suite]) == 0
    ours, theirs = _runs(remote), _runs(local)
    assert len(ours) == 6 and ours.keys() == theirs.keys()  # 3 models x 2 seeds, the same run ids
    for run_id, (_, record) in ours.items():
        other = theirs[run_id][1]
        assert record.ok and record.metrics == other.metrics and record.robustness == other.robustness
        assert _untimed(record.history) == _untimed(other.history) and record.best_epoch == other.best_epoch
    arrays = sorted(p.relative_to(local) for p in local.glob("runs/*/*/*.npz"))  # per-item predictions
    assert arrays and arrays == sorted(p.relative_to(remote) for p in remote.glob("runs/*/*/*.npz"))
    for name in arrays:
        with np.load(local / name, allow_pickle=False) as a, np.load(remote / name, allow_pickle=False) as b:
            assert a.files == b.files
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key])
    assert ((remote / "leaderboards" / "breast-cancer-views.md").read_text()
            == (local / "leaderboards" / "breast-cancer-views.md").read_text())
    written = {p: p.stat().st_mtime_ns for p, _ in ours.values()}
    assert main(["--results", str(remote), "--executor", "ray", "--ray-address", ray_head.address, *suite]) == 0
    assert {p: p.stat().st_mtime_ns for p in written} == written  # finished runs are never recomputed


def _kill_first_worker(pids: Path, killed: list[str], stop: threading.Event) -> None:
    """Kill (SIGKILL) the first process that starts a sleepy-prior fit, once."""
    while not stop.is_set():
        started = sorted(pids.glob("*-*"))
        if started:
            pid = int(started[0].name.split("-")[1])
            assert pid != os.getpid(), "the sleepy-prior fit ran in the test process, not on a Ray worker"
            os.kill(pid, signal.SIGKILL)
            killed.append(started[0].name)
            return
        time.sleep(0.05)


def test_a_killed_worker_is_retried_and_every_record_is_complete(ray_head, tmp_path: Path) -> None:
    discovery.include(PLUGIN)
    task = get_task("breast-cancer-views")
    specs = [plan_run(task, model, seed) for model in ("sleepy-prior", "linear-late") for seed in (0, 1)]
    killed: list[str] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_first_worker, args=(ray_head.pids, killed, stop), daemon=True)
    killer.start()
    try:
        records = execute_all(specs, tmp_path / "ray", progress=False, executor="ray",
                              ray_address=ray_head.address)
    finally:
        stop.set()
        killer.join()
    assert killed, "no sleepy-prior fit started on the cluster"
    seed, pid = killed[0].split("-")
    again = [p.name for p in ray_head.pids.glob(f"{seed}-*") if p.name != killed[0]]
    assert again, f"the run of seed {seed} was not run again after its worker {pid} was killed"
    assert [r.run_id for r in records] == [s.run_id for s in specs]
    assert all(r.ok and not r.cached for r in records)
    assert len(current_records(tmp_path / "ray", task)) == len(specs)  # every record on disk, readable
    execute_all(specs, tmp_path / "local", progress=False)
    assert _board(tmp_path / "ray") == _board(tmp_path / "local")


def test_a_run_refused_on_its_node_leaves_no_record_and_the_others_are_written(ray_head, tmp_path: Path) -> None:
    task = get_task("breast-cancer-views")
    good = plan_run(task, "prior", 0)
    elsewhere = dataclasses.replace(plan_run(task, "prior", 1), data_fingerprint="0" * 16)  # not the node's data
    with pytest.raises(UserError, match=rf"1 run\(s\) not done .*{elsewhere.run_id}.*not the data the run was"):
        execute_all([good, elsewhere], tmp_path, progress=False, executor="ray", ray_address=ray_head.address)
    assert [r.run_id for _, r in iter_records(tmp_path)] == [good.run_id]
    assert not record_path(tmp_path, elsewhere).exists()  # not lost for good: the next invocation runs it again


def _before_costs(markdown: str) -> str:
    """A reproduction report up to its cost section (wall times differ from one computation to the next)."""
    return markdown.split(" records; their summed wall time is ")[0]


def test_reproduce_essl_on_ray_writes_the_local_report(ray_head, tmp_path: Path) -> None:
    """The issue's check, on a copy of the committed E-SSL records with one run removed, so one run is computed
    (on the cluster, and locally for the other copy) and the other 59 are read from the cache by the driver."""
    from harness.papers import REPRODUCTIONS
    from harness.sweep.suite import plan_suite

    for name in ("local", "ray"):
        shutil.copytree(REPO / "results" / "runs" / "digits-ssl", tmp_path / name / "runs" / "digits-ssl")
    specs = plan_suite(REPRODUCTIONS.get("essl").suite(), None).specs
    stale = [s.run_id for s in specs if not record_path(tmp_path / "local", s).exists()]
    assert not stale, f"committed E-SSL records are stale ({len(stale)} missing): run `mmrepro reproduce essl`"
    victim = next(s for s in specs if s.model == "essl-untrained" and s.seed == 0 and s.config["probe"] == "knn")
    for name in ("local", "ray"):
        for path in record_path(tmp_path / name, victim).parent.glob(f"{victim.run_id}*"):
            path.unlink()
    assert main(["-q", "--results", str(tmp_path / "local"), "reproduce", "essl"]) == 0
    assert main(["-q", "--results", str(tmp_path / "ray"), "--executor", "ray", "--ray-address", ray_head.address,
                 "reproduce", "essl"]) == 0
    local, remote = tmp_path / "local" / "reproductions", tmp_path / "ray" / "reproductions"
    assert (remote / "essl.json").read_text() == (local / "essl.json").read_text()
    assert _before_costs((remote / "essl.md").read_text()) == _before_costs((local / "essl.md").read_text())
    (_, ours), = [(p, r) for p, r in iter_records(tmp_path / "ray") if r.run_id == victim.run_id]
    (_, theirs), = [(p, r) for p, r in iter_records(tmp_path / "local") if r.run_id == victim.run_id]
    assert ours.metrics == theirs.metrics and not ours.cached
