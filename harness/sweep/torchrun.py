"""``mmrepro run --nproc N``: each run of the command trained by N DDP processes on this machine, via torchrun.

The command starts itself again under ``torchrun --standalone --nproc-per-node N``; every rank plans the same runs,
the Trainer joins the process group on first use (``harness.train.device``: NCCL on CUDA, gloo on CPU) and shards
each batch, and rank 0 alone writes the record, whose provenance gives ``distributed.world_size`` and ``backend``.
The run id does not change: like the thread count, the process count is an execution choice, and DDP trains the
same model up to floating-point summation order (``tests/train/test_ddp.py``). Several machines: run the torchrun
line that :func:`command` builds on each, with ``--nnodes`` and a rendezvous endpoint (README, "Running on a
cluster").
"""

from __future__ import annotations

import os
import subprocess
import sys

from harness.errors import UserError


def under_torchrun() -> bool:
    """True in a process that torchrun started (it sets ``TORCHELASTIC_RUN_ID`` for every rank)."""
    return "TORCHELASTIC_RUN_ID" in os.environ


def without_nproc(argv: list[str]) -> list[str]:
    """``argv`` with its ``--nproc N`` (or ``--nproc=N``) removed: the ranks run the command as given otherwise."""
    kept, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            kept.append(item)
    return kept


def command(argv: list[str], nproc: int) -> list[str]:
    """The torchrun line for ``mmrepro ARGV`` on ``nproc`` processes of this machine; only rank 0 prints."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "--local-ranks-filter=0", "-m", "harness", *without_nproc(argv)]


def launch(argv: list[str], nproc: int, executor: str) -> int:
    """Run ``mmrepro ARGV`` under torchrun and return its exit code (non-zero when any rank failed)."""
    if executor != "local":
        raise UserError("--nproc trains one run on several local processes; it cannot be combined with "
                        f"--executor {executor} (give the Ray task more CPUs or GPUs with --ray-resources instead)")
    return subprocess.run(command(argv, nproc), check=False).returncode


def parse_nproc(text: str) -> int:
    """``--nproc`` on the command line: a whole number of processes, at least 1."""
    import argparse

    try:
        nproc = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--nproc {text!r}: expected a whole number of processes") from None
    if nproc < 1:
        raise argparse.ArgumentTypeError(f"--nproc {nproc}: needs at least 1 process")
    return nproc
