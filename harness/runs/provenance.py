"""Where a number came from: code version, libraries, interpreter and hardware."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGES = ("mmrepro", "torch", "numpy", "scipy", "scikit-learn", "pandas", "datasets")
REPO = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_name() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def _versions() -> dict[str, str | None]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def last_commit(*paths: str) -> str | None:
    """The newest commit that changed ``paths`` (None outside a git checkout)."""
    return _git("log", "-1", "--format=%H", "--", *paths) or None


@lru_cache(maxsize=1)
def provenance() -> dict:
    """Collected once per process. ``dirty`` ignores ``results/``, which runs themselves write."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--", ".", ":!results") if commit else None
    return {
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "packages": _versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "gpu": _gpu_name(),
    }


def distributed() -> dict:
    """How many processes trained the run and over which ``torch.distributed`` backend (torchrun/DDP, see
    ``harness/sweep/torchrun.py``); read when the run ends, since the Trainer joins the group on first use."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return {"world_size": dist.get_world_size(), "backend": str(dist.get_backend())}
    return {"world_size": 1, "backend": None}
