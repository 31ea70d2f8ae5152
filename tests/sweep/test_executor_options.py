"""Executor choice without a cluster: the flags, the per-run resources, plug-ins packed for workers, refusals."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UserError
from harness.runs.runner import plan_run
from harness.sweep import ray_executor
from harness.sweep.executor_options import parse_resources
from harness.tasks import get_task

PLUGIN = Path(__file__).parent / "plugin"


@pytest.mark.parametrize(("text", "expected"), [
    ("cpus=2", {"num_cpus": 2.0}),
    ("cpus=0.5,gpus=1", {"num_cpus": 0.5, "num_gpus": 1.0}),
    ("memory=512M", {"memory": 512 * 2**20}),
    ("GPUS=0, memory=4GiB", {"num_gpus": 0.0, "memory": 4 * 2**30}),
    ("memory=1000", {"memory": 1000}),
])
def test_resources_are_parsed_into_ray_task_options(text: str, expected: dict) -> None:
    assert parse_resources(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("cpu=1", "expected cpus=N, gpus=N or memory=SIZE"),
    ("cpus", "expected cpus=N"),
    ("cpus=two", "expected a number"),
    ("gpus=-1", "must not be negative"),
    ("memory=lots", "expected a size"),
    ("", "at least one"),
])
def test_bad_resources_are_refused(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_resources(text)


def test_a_run_asks_for_one_cpu_and_a_gpu_only_when_planned_on_cuda() -> None:
    spec = plan_run(get_task("breast-cancer-views"), "prior", 0)
    assert ray_executor.resources(spec) == {"num_cpus": 1.0, "num_gpus": 0.0}
    cuda = dataclasses.replace(spec, device_class="cuda")
    assert ray_executor.resources(cuda) == {"num_cpus": 1.0, "num_gpus": 1.0}
    assert ray_executor.resources(cuda, {"num_gpus": 0.5, "memory": 2**30}) == {
        "num_cpus": 1.0, "num_gpus": 0.5, "memory": 2**30}


def test_without_ray_the_flag_names_the_extra(monkeypatch, capsys, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    code = main(["--results", str(tmp_path), "--executor", "ray", "run", "--task", "breast-cancer-views",
                 "--model", "prior", "--seeds", "0"])
    assert code == 2 and "pip install 'mmrepro[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # refused before anything ran


def test_a_plugin_folder_travels_as_bytes_and_unpacks_under_its_own_name(tmp_path: Path, monkeypatch) -> None:
    (PLUGIN / "__pycache__").mkdir(exist_ok=True)
    blob = ray_executor.pack_folder(PLUGIN)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    target = ray_executor.unpack_folder(PLUGIN.name, blob)
    assert target.name == PLUGIN.name and ray_executor.unpack_folder(PLUGIN.name, blob) == target  # once
    shipped = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    assert shipped == sorted(p.relative_to(PLUGIN) for p in PLUGIN.rglob("*")
                             if p.is_file() and "__pycache__" not in p.parts)
    assert all((target / p).read_bytes() == (PLUGIN / p).read_bytes() for p in shipped)


def test_a_worker_refuses_data_other_than_the_spec_was_planned_on() -> None:
    spec = plan_run(get_task("breast-cancer-views"), "prior", 0)
    with pytest.raises(UserError, match="is not the data the run was planned on"):
        ray_executor.run_remote([spec, dataclasses.replace(spec, data_fingerprint="0" * 16)], [], 1)


def test_runs_differing_only_in_settings_share_a_task_and_seeds_spread() -> None:
    task = get_task("breast-cancer-views")
    specs = [plan_run(task, "prior", seed) for seed in (0, 1)] + [plan_run(task, "linear-late", 0),
                                                                  plan_run(task, "linear-late", 0, {"max_iter": "500"})]
    assert ray_executor.groups(specs, [0, 1, 2, 3]) == [[0], [1], [2, 3]]
    assert ray_executor.groups(specs, [3, 1]) == [[3], [1]]
