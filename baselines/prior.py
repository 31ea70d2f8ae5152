"""The chance floor: predicts the training-label prior, ignoring every input.

For retrieval there is no label prior, so it scores the gallery at random (seeded): the chance row.

Every leaderboard needs it: a model that does not beat it has learned nothing from the modalities.
It also serves as the fast model for pipeline tests (as lm-evaluation-harness's ``dummy``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.data.dataset import MultimodalDataset, Split
from harness.models import FitInfo, register_model
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class PriorConfig:
    pass


class _Prior:
    def __init__(self, task: TaskSpec, seed: int):
        self.task, self.seed = task, seed
        self.info = FitInfo()
        self.prior: np.ndarray | float = 0.0

    def fit(self, train: Split, valid: Split) -> None:
        if self.task.target_kind == "retrieval":
            return
        if self.task.target_kind == "regression":
            self.prior = float(np.mean(train.labels))
        else:
            counts = np.bincount(train.labels.astype(np.int64), minlength=self.task.num_classes)
            self.prior = counts / counts.sum()

    def predict(self, split: Split) -> np.ndarray:
        if self.task.target_kind == "retrieval":
            return np.random.default_rng(self.seed).random((len(split), len(split)))
        if self.task.target_kind == "regression":
            return np.full(len(split), self.prior, dtype=np.float64)
        return np.tile(self.prior, (len(split), 1))


@register_model("prior", config=PriorConfig, target_kinds=("regression", "single-label", "binary", "retrieval"),
                description="Chance floor: training-label mean, class frequencies, or random retrieval scores")
def build_prior(task: TaskSpec, data: MultimodalDataset, config: PriorConfig, seed: int) -> _Prior:
    return _Prior(task, seed)
