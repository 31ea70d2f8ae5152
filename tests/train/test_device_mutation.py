"""Where a run computes (issue 20): device choice and its precedence, precision resolution and its refusals, the
torchrun process context, and the one-thread guard.

The CUDA decisions are tested on any machine by answering torch.cuda's questions (is there a GPU, does it do bf16,
what is it called) with fakes: building a ``torch.device("cuda", i)`` needs no GPU. The process-group join under
torchrun is tested the same way with fake ``torch.distributed`` calls; tests/train/test_ddp.py runs the real thing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributed as dist
from threadpoolctl import threadpool_info

from harness.errors import UserError
from harness.train.device import (
    AUTOCAST_DTYPES,
    DEVICE_ENV,
    DistContext,
    distributed_context,
    one_thread,
    resolve_precision,
    select_device,
)

CPU, CUDA = torch.device("cpu"), torch.device("cuda", 0)


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


def test_default_device_is_cpu_without_cuda(no_cuda) -> None:
    assert select_device() == CPU


def test_default_device_is_the_local_ranks_gpu_with_cuda(fake_cuda) -> None:
    assert select_device() == CUDA
    assert select_device(None, DistContext(rank=3, world_size=4, local_rank=1)) == torch.device("cuda", 1)
    assert select_device("cuda", DistContext(rank=1, world_size=2, local_rank=1)) == torch.device("cuda", 1)
    assert select_device("cuda:3", DistContext(local_rank=1)) == torch.device("cuda", 3)  # an explicit index wins


def test_requested_device_beats_the_environment_which_beats_the_default(monkeypatch, no_cuda) -> None:
    monkeypatch.setenv(DEVICE_ENV, "meta")
    assert select_device() == torch.device("meta")
    assert select_device("cpu") == CPU


def test_cuda_requested_without_cuda_is_refused(no_cuda) -> None:
    with pytest.raises(UserError) as err:
        select_device("cuda")
    assert str(err.value) == "device 'cuda' requested but CUDA is not available; use cpu"


def test_an_unknown_device_name_is_refused(no_cuda) -> None:
    with pytest.raises(UserError) as err:
        select_device("gpu")
    assert str(err.value) == "device 'gpu' is not a torch device (try cpu or cuda)"


@pytest.mark.parametrize("bf16", [True, False])
def test_auto_precision_is_bf16_only_on_a_bf16_gpu(monkeypatch, bf16: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert resolve_precision("auto", CUDA) == ("bf16" if bf16 else "fp32")
    assert resolve_precision("auto", CPU) == "fp32"  # CPU autocast could do bf16, but auto keeps CPU exact


@pytest.mark.parametrize("bf16", [True, False])
def test_explicit_precisions_pass_through(monkeypatch, bf16: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: bf16)
    assert [resolve_precision(p, CPU) for p in ("fp32", "bf16", "fp16")] == ["fp32", "bf16", "fp16"]
    assert [resolve_precision(p, CUDA) for p in ("fp32", "fp16")] == ["fp32", "fp16"]


def test_bf16_on_a_gpu_without_it_is_refused_naming_the_gpu(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    names = {None: "Tesla T4", 0: "Tesla T4", 1: "Tesla V100"}  # None: the current device, GPU 0
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: names[getattr(device, "index", device)])
    with pytest.raises(UserError) as err:
        resolve_precision("bf16", torch.device("cuda", 1))  # names the run's GPU, not the current one
    assert str(err.value) == "precision=bf16 is not supported on Tesla V100; use fp16 or fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_precision("bf16", CUDA) == "bf16"


def test_autocast_dtypes_of_each_precision() -> None:
    assert AUTOCAST_DTYPES == {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def test_a_single_process_is_rank_0_of_1() -> None:
    assert (DistContext().rank, DistContext().world_size, DistContext().local_rank) == (0, 1, 0)
    assert DistContext().is_main and not DistContext(rank=1, world_size=2).is_main


@pytest.mark.parametrize("world_size", [None, "1"])
def test_without_torchrun_no_group_is_joined(monkeypatch, world_size) -> None:
    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", lambda **kw: pytest.fail("joined a process group"))
    if world_size is None:
        monkeypatch.delenv("WORLD_SIZE", raising=False)
    else:
        monkeypatch.setenv("WORLD_SIZE", world_size)
    assert distributed_context() == DistContext()


class _FakeGroup:
    """torch.distributed as torchrun's second process of two sees it (rank 1)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, initialized: bool) -> None:
        self.backends: list[str] = []
        self.initialized = initialized
        monkeypatch.setattr(dist, "is_available", lambda: True)
        monkeypatch.setattr(dist, "is_initialized", lambda: self.initialized)
        monkeypatch.setattr(dist, "init_process_group", self.init)
        monkeypatch.setattr(dist, "get_rank", lambda: 1)
        monkeypatch.setattr(dist, "get_world_size", lambda: 2)

    def init(self, backend: str) -> None:
        self.backends.append(backend)
        self.initialized = True


@pytest.mark.parametrize("cuda", [False, True])
def test_under_torchrun_the_group_is_joined_once_with_the_devices_backend(monkeypatch, cuda: bool) -> None:
    group = _FakeGroup(monkeypatch, initialized=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert distributed_context() == DistContext(rank=1, world_size=2, local_rank=1)  # no LOCAL_RANK: the rank
    assert distributed_context() == DistContext(rank=1, world_size=2, local_rank=1)
    assert group.backends == ["nccl" if cuda else "gloo"]  # joined once, NCCL on GPUs and gloo on CPUs


def test_a_joined_group_gives_its_rank_and_torchruns_local_rank(monkeypatch) -> None:
    group = _FakeGroup(monkeypatch, initialized=True)
    monkeypatch.setenv("LOCAL_RANK", "0")  # rank 1 of the job, first process on its node
    monkeypatch.delenv("WORLD_SIZE", raising=False)  # a group joined by the caller counts whatever the env says
    assert distributed_context() == DistContext(rank=1, world_size=2, local_rank=0)
    assert group.backends == []


def test_without_torch_distributed_a_run_is_single_process(monkeypatch) -> None:
    monkeypatch.setattr(dist, "is_available", lambda: False)
    monkeypatch.setattr(dist, "is_initialized", lambda: pytest.fail("torch.distributed is not there to ask"))
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed_context() == DistContext()


def _blas_threads() -> dict[str, int]:
    return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}


def test_one_thread_limits_torch_and_blas_and_restores_both() -> None:
    np.ones((2, 2)) @ np.ones((2, 2))  # BLAS loaded, so threadpoolctl sees its pool
    torch.set_num_threads(2)  # the conftest's autouse fixture restores the test-wide setting afterwards
    before = _blas_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
        assert _blas_threads() and set(_blas_threads().values()) == {1}
    after = _blas_threads()  # a library first loaded meanwhile may add a pool: compare the ones seen before
    assert torch.get_num_threads() == 2 and {path: after[path] for path in before} == before
    with pytest.raises(KeyError), one_thread():
        raise KeyError("a failing run")
    assert torch.get_num_threads() == 2
