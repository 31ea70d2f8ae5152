"""``mmrepro run --nproc 2``: one tiny run trained by two gloo DDP processes under torchrun, recorded once, with the
world size and backend in its provenance and the numbers of a one-process run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.runs.store import iter_records
from harness.sweep.torchrun import command, without_nproc

# Dropout off: with it, each rank draws masks for its shard of the batch, so DDP would not be the same model.
RUN = ["run", "--task", "breast-cancer-views", "--model", "early-fusion", "--seeds", "0",
       "--set", "epochs=2", "--set", "hidden=8", "--set", "dropout=0.0"]


def test_the_ranks_run_the_command_as_given_without_nproc() -> None:
    assert without_nproc(["-q", "run", "--nproc", "2", "--task", "t", "--nproc=3", "--seeds", "0"]) == [
        "-q", "run", "--task", "t", "--seeds", "0"]
    line = command(["run", "--task", "t", "--nproc", "4"], 4)
    assert line[:3] == [sys.executable, "-m", "torch.distributed.run"] and "--nproc-per-node=4" in line
    assert line[-5:] == ["-m", "harness", "run", "--task", "t"]


def test_nproc_is_refused_with_the_ray_executor(capsys, tmp_path: Path) -> None:
    code = main(["--results", str(tmp_path), "--executor", "ray", *RUN, "--nproc", "2"])
    assert code == 2 and "cannot be combined with --executor ray" in capsys.readouterr().err


def test_two_gloo_processes_train_one_run_recorded_once(tmp_path: Path) -> None:
    env = os.environ | {"MMREPRO_DEVICE": "cpu"}
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(tmp_path / "ddp"), *RUN, "--nproc", "2"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("early-fusion[") == 1  # only rank 0 prints
    assert main(["-q", "--results", str(tmp_path / "one"), *RUN]) == 0
    (_, ddp), = iter_records(tmp_path / "ddp")  # one record: rank 0 alone writes
    (_, one), = iter_records(tmp_path / "one")
    assert ddp.run_id == one.run_id  # the process count is an execution choice, not part of the run's identity
    assert ddp.provenance["distributed"] == {"world_size": 2, "backend": "gloo"}
    assert one.provenance["distributed"] == {"world_size": 1, "backend": None}
    assert ddp.extras["world_size"] == 2 and ddp.best_epoch == one.best_epoch
    for split, metrics in one.metrics.items():
        assert ddp.metrics[split] == pytest.approx(metrics, rel=1e-4, abs=1e-4)
