"""Where and how a run computes: device, autocast precision, and the distributed process group.

One process per device: under ``torchrun`` (env ``WORLD_SIZE`` > 1) the group is joined on first use,
with NCCL on CUDA and gloo on CPU, so the same code trains single-process or with DDP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from threadpoolctl import threadpool_limits

from harness.errors import UserError

DEVICE_ENV = "MMREPRO_DEVICE"  # an execution choice (like thread count), so not part of a run's config


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def distributed_context() -> DistContext:
    """The process group this process belongs to, joining it if torchrun started us and nobody has yet."""
    if not dist.is_available():
        return DistContext()
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return DistContext()
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return DistContext(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))


def select_device(requested: str | None = None, ctx: DistContext | None = None) -> torch.device:
    """``requested`` (or env MMREPRO_DEVICE), else CUDA when present, else CPU; one GPU per DDP process."""
    name = requested or os.environ.get(DEVICE_ENV) or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise UserError(f"device {name!r} is not a torch device (try cpu or cuda)") from err
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {name!r} requested but CUDA is not available; use cpu")
        if device.index is None:
            device = torch.device("cuda", (ctx or DistContext()).local_rank)
    return device


def resolve_precision(precision: str, device: torch.device) -> str:
    """Map ``auto`` to bf16 on bf16-capable CUDA and fp32 elsewhere; refuse what the device cannot do."""
    if precision == "auto":
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if cuda_bf16 else "fp32"
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise UserError(f"precision=bf16 is not supported on {torch.cuda.get_device_name(device)}; use fp16 or fp32")
    return precision


AUTOCAST_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def load_thread_pools() -> None:
    """Load the native thread pools runs use besides torch's and NumPy's: SciPy's own OpenBLAS and scikit-learn's
    OpenMP. threadpoolctl limits only libraries already loaded, so one first loaded inside a limited block kept
    every core: the first run of a process that imported scikit-learn computed on more threads than the runs
    after it (linear-early on synth-msa gave other floats in a fresh process than after any other run)."""
    import scipy.linalg  # noqa: F401
    import sklearn.utils._openmp_helpers  # noqa: F401


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch and BLAS on one thread. For tiny networks more threads only add overhead, and on shared cores
    spinning OpenMP/BLAS threads slowed E-SSL runs about thirty-fold; it also makes CPU results independent of
    the machine's thread count and of what ran before in the process."""
    load_thread_pools()
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(previous)
