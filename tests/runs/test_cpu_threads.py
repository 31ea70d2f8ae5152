"""A CPU run computes on one thread, whatever the process had: its numbers must not depend on --jobs or cores."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from harness.models import MODELS, register_model
from harness.runs.runner import execute, plan_run
from harness.tasks import get_task

TASK = get_task("breast-cancer-views")
SEEN: dict[str, object] = {}


@dataclass(frozen=True)
class _Config:
    pass


class _ThreadSpy:
    """Notes the torch and BLAS thread counts it is fitted and scored under."""

    def fit(self, train, valid) -> None:
        SEEN["fit_torch"] = torch.get_num_threads()
        SEEN["fit_blas"] = {pool["num_threads"] for pool in threadpool_info()}

    def predict(self, split) -> np.ndarray:
        SEEN["predict_torch"] = torch.get_num_threads()
        return np.tile([0.5, 0.5], (len(split), 1))


@pytest.fixture
def spy_model():
    register_model("test-thread-spy", config=_Config, description="thread spy", target_kinds=("binary",))(
        lambda task, data, config, seed: _ThreadSpy())
    yield "test-thread-spy"
    MODELS.remove("test-thread-spy")


def test_a_cpu_run_fits_and_predicts_on_one_thread_and_restores_the_process_setting(
        tmp_path: Path, spy_model: str) -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        record = execute(plan_run(TASK, spy_model, seed=0), tmp_path)
        assert record.ok
        assert SEEN["fit_torch"] == 1 and SEEN["predict_torch"] == 1
        assert SEEN["fit_blas"] <= {1}  # every BLAS/OpenMP pool numpy and torch loaded
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_library_first_loaded_inside_a_run_computes_on_one_thread_too() -> None:
    """threadpoolctl limits only the libraries loaded when the block starts; scikit-learn (its OpenMP, SciPy's
    OpenBLAS) first imported by a run must not keep every core (a fresh process, where nothing imported them)."""
    code = ("from threadpoolctl import threadpool_info\n"
            "from harness.train.device import one_thread\n"
            "with one_thread():\n"
            "    import sklearn.linear_model\n"
            "    print(max(pool['num_threads'] for pool in threadpool_info()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"})
    assert out.stdout.split() == ["1"]
