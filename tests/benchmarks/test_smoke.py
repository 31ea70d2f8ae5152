"""The GPU-ready benchmarks in smoke mode (tiny sizes, CPU): each script runs, prints its ratio and writes JSON
with the device, versions and every timing. Their figures say nothing about GPUs; this keeps them from rotting."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def smoke(script: str, tmp_path: Path, *extra: str) -> tuple[str, dict]:
    out = tmp_path / f"{script}.json"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), "--smoke", "--json", str(out),
                           *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    environment = result["environment"]
    assert environment["device"] == "cpu" and environment["mode"] == "cpu smoke" and result["smoke"] is True
    assert environment["torch"] and environment["python"] and environment["cpu"]
    return done.stdout, result


def positive(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_precision_smoke(tmp_path: Path) -> None:
    stdout, result = smoke("bench_precision_gpu", tmp_path)
    assert {(r["model"], r["precision"]) for r in result["rows"]} == {
        (m, p) for m in ("fusion-token", "mult") for p in ("fp32", "bf16")}
    assert all(positive(r["epoch_s"]) and positive(r["samples_per_s"]) for r in result["rows"])
    assert set(result["bf16_over_fp32_throughput"]) == {"fusion-token", "mult"}
    assert "bf16/fp32 throughput" in stdout


def test_jacobi_smoke(tmp_path: Path) -> None:
    stdout, result = smoke("bench_jacobi", tmp_path)
    methods = {t["method"] for t in result["timings"]}
    assert {"numpy.linalg.eigh", "torch.linalg.eigh", "jacobi batched (torch)"} <= methods
    assert all(positive(t["seconds"]) and t["n"] == 8 and t["batch"] == 4 for t in result["timings"])
    assert result["goal"] == {"n": 32, "batch": 256, "max_ratio": 2.0, "ratio": None}  # the goal size is not run
    assert "torch eigh" in stdout


@pytest.mark.parametrize("models", ["lmf"])
def test_vs_mmsa_smoke(tmp_path: Path, models: str) -> None:
    stdout, result = smoke("bench_vs_mmsa", tmp_path, "--models", models)
    ours = result["models"][models]["ours"]
    assert len(ours["runs"]) == 1 and len(ours["runs"][0]["wall"]) == 2 == len(ours["runs"][0]["cpu"])
    assert positive(ours["wall_s"]["median"]) and math.isfinite(ours["runs"][0]["test"]["MAE"])
    if result["mmsa"] == "2.2.1":  # MMSA importable here: the ratio is there too
        assert positive(result["models"][models]["ratio_cpu"]) and "MMSA/ours" in stdout
    else:
        assert result["mmsa"] == "not installed" and "ratio_cpu" not in result["models"][models]
