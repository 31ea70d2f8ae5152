"""One torch thread per test: on a shared 2-core machine, two spinning OpenMP threads per process
make these tiny models up to 20x slower, and results must not depend on the neighbours' load."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
