"""A test plug-in: ``sleepy-prior`` is the chance floor after a pause, long enough to kill its worker mid-run.

When ``MMREPRO_TEST_PIDS`` names a folder, each fit leaves an empty file named ``<seed>-<pid>`` there first, so a
test can find (and kill) the process computing the run and see that it was run again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from harness.models import get_model, register_model


@dataclass(frozen=True)
class SleepyConfig:
    seconds: float = 2.0


class _Sleepy:
    def __init__(self, inner, seconds: float, seed: int) -> None:
        self.inner, self.seconds, self.seed = inner, seconds, seed

    @property
    def info(self):
        return getattr(self.inner, "info", None)

    def fit(self, train, valid) -> None:
        folder = os.environ.get("MMREPRO_TEST_PIDS")
        if folder:
            (Path(folder) / f"{self.seed}-{os.getpid()}").touch()
        time.sleep(self.seconds)
        self.inner.fit(train, valid)

    def predict(self, split):
        return self.inner.predict(split)


@register_model("sleepy-prior", config=SleepyConfig, description="test plug-in: the chance floor after a pause",
                target_kinds=("regression", "single-label", "binary"))
def build_sleepy(task, data, config: SleepyConfig, seed: int) -> _Sleepy:
    prior = get_model("prior")
    return _Sleepy(prior.build(task, data, prior.config_cls(), seed), config.seconds, seed)
