"""TEMPLATE model: a nearest-centroid classifier on the concatenated pooled modalities.

Replace it with the paper's model. The contract: ``build(task, data, config, seed)`` returns an object with
``fit(train, select)`` and ``predict(split)``; the runner never hands ``fit`` the reported split. Outputs are
raw, per target kind (``harness/models.py``): ``(n, C)`` class scores for single-label and binary tasks.
Rename the registered model (model names are global); a neural model should train with ``harness.train``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.data.dataset import MultimodalDataset, Split
from harness.models import FitInfo, register_model
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class CentroidConfig:
    """Every setting the paper varies, with its default; ``--set key=value`` and suites override them."""

    standardize: bool = True


class Centroid:
    def __init__(self, task: TaskSpec, config: CentroidConfig) -> None:
        self.task, self.config = task, config
        self.info = FitInfo()

    def _inputs(self, split: Split) -> np.ndarray:
        x = np.concatenate([split.pooled(m) for m in self.task.modalities], axis=1).astype(np.float64)
        return (x - self.mean) / self.scale

    def fit(self, train: Split, select: Split) -> None:
        x = np.concatenate([train.pooled(m) for m in self.task.modalities], axis=1).astype(np.float64)
        self.mean = x.mean(axis=0) if self.config.standardize else np.zeros(x.shape[1])
        self.scale = x.std(axis=0) + 1e-8 if self.config.standardize else np.ones(x.shape[1])
        x = self._inputs(train)
        self.centroids = np.stack([x[train.labels == c].mean(axis=0) for c in range(self.task.num_classes)])
        self.info.n_parameters = int(self.centroids.size)

    def predict(self, split: Split) -> np.ndarray:
        x = self._inputs(split)
        return -((x[:, None, :] - self.centroids[None]) ** 2).sum(axis=-1)  # (n, C): higher = closer


@register_model("template-centroid", config=CentroidConfig, target_kinds=("single-label", "binary"),
                description="TEMPLATE: nearest class centroid on standardised pooled modalities")
def build(task: TaskSpec, data: MultimodalDataset, config: CentroidConfig, seed: int) -> Centroid:
    return Centroid(task, config)
