"""What a reader hands to ``prepare`` besides the data: what it changed, dropped or chose, for the manifest.

A reader may only drop or alter samples if it says so here; the counts land in ``manifest.json`` so a
number computed on prepared data can always be traced to the exact filter and cleaning it went through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset

NONFINITE_POLICIES = ("error", "zero")


@dataclass
class ReadResult:
    """A read dataset plus ``notes`` (filter counts, label conventions, values replaced) and extra source files."""

    dataset: MultimodalDataset
    notes: dict[str, Any] = field(default_factory=dict)
    extra_sources: tuple[Path, ...] = ()


def check_policy(policy: str) -> str:
    if policy not in NONFINITE_POLICIES:
        raise DataError(f"--nonfinite {policy!r} is not one of {', '.join(NONFINITE_POLICIES)}")
    return policy


def fix_nonfinite(x: np.ndarray, policy: str, where: str, replaced: dict[str, int]) -> np.ndarray:
    """Apply the non-finite policy to one float array; ``replaced[where]`` counts the values set to 0.

    ``error`` refuses the data (naming where and how many); ``zero`` sets NaN and +-inf to 0, which is what
    MMSA does for the -inf values in MOSEI's COVAREP audio (``audio[audio == -inf] = 0``).
    """
    if x.dtype.kind != "f":
        return x
    bad = ~np.isfinite(x)
    count = int(bad.sum())
    if count == 0:
        return x
    if check_policy(policy) == "error":
        raise DataError(
            f"{where}: {count} NaN/inf values; prepare again with --nonfinite zero to set them to 0 "
            "(counted in the manifest), or clean the source"
        )
    replaced[where] = replaced.get(where, 0) + count
    out = x.copy()
    out[bad] = 0
    return out
