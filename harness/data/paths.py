"""Where prepared data and caches live: ``$MMREPRO_DATA``, default ``~/.cache/mmrepro/data``."""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    return Path(os.environ.get("MMREPRO_DATA") or Path.home() / ".cache" / "mmrepro" / "data")


def cache_dir(kind: str) -> Path:
    """A cache folder under the data root (e.g. text embeddings), shared by every dataset."""
    return data_root() / ".cache" / kind
