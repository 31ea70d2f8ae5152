"""Shares the one-thread fixture of tests/train (see there for why)."""

from tests.train.conftest import one_torch_thread  # noqa: F401
