"""What every benchmark writes beside its timings: the machine, the versions and the load, in one JSON file.

Scripts in this folder run as ``python benchmarks/NAME.py`` (this folder is then first on ``sys.path``) and call
``write_result(name, payload, out)``: ``out`` defaults to ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_name() -> str:
    """The CPU model, as run records write it (one reader of /proc/cpuinfo)."""
    from harness.runs.provenance import provenance

    return provenance()["cpu"]


def environment(device: str = "cpu") -> dict[str, Any]:
    """Device, versions, CPU/GPU names, thread count and the load average now."""
    import numpy as np
    import torch

    cuda = device.startswith("cuda") and torch.cuda.is_available()
    return {
        "device": device, "gpu": torch.cuda.get_device_name() if cuda else None,
        "cuda": torch.version.cuda if cuda else None, "cpu": cpu_name(), "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "platform": platform.platform(), "load_average": os.getloadavg(),
        "argv": sys.argv[1:],
    }


def spread(values: list[float]) -> dict[str, float]:
    """Median, min, max and relative spread ((max - min) / median) of repeated timings."""
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else 0.0}


def write_result(name: str, payload: dict[str, Any], out: Path | None = None) -> Path:
    path = Path(out) if out else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {path}")
    return path
