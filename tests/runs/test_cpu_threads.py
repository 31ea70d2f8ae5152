"""A CPU run computes on one thread, whatever the process had: its numbers must not depend on --jobs or cores."""

from __future__ import annotations

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
