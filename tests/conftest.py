"""Shared fixtures. Tests on ../shared/data fail (not skip) in CI when the data is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared real-data folder (env MMREPRO_SHARED_DATA, default <repo>/../shared/data)."""
    path = Path(os.environ.get("MMREPRO_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        message = f"shared data folder {path} is missing; set MMREPRO_SHARED_DATA"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(autouse=True)
def _isolated_data_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prepared datasets from one test never leak into the user's cache or another test."""
    monkeypatch.setenv("MMREPRO_DATA", str(tmp_path_factory.mktemp("data-root")))
