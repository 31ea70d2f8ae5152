"""Cross-modal retrieval baseline: CCA between the two modalities' pooled features, cosine similarity.

The task's first modality forms the queries and its second the gallery (item i of the gallery is the
match of query i on training data). CCA (Hotelling 1936) is the classic linear baseline for
cross-modal retrieval; the number of components is chosen on the selection split's primary metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cross_decomposition import CCA
from sklearn.preprocessing import StandardScaler

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo, register_model
from harness.tasks.spec import TaskSpec


@dataclass(frozen=True)
class CCAConfig:
    components: tuple[int, ...] = (4, 8, 16, 32)
    max_iter: int = 1000


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class _CCARetrieval:
    def __init__(self, task: TaskSpec, config: CCAConfig):
        if len(task.modalities) != 2:
            raise UserError(f"cca-retrieval needs exactly two modalities (query, gallery); {task.name} has "
                            f"{list(task.modalities)}")
        self.query, self.gallery = task.modalities
        self.task, self.config = task, config
        self.metric = get_metric(task.primary_metric)
        self.info = FitInfo()

    def _similarity(self, split: Split) -> np.ndarray:
        q = self.scalers[0].transform(split.pooled(self.query))
        g = self.scalers[1].transform(split.pooled(self.gallery))
        q_c, g_c = self.cca.transform(q, g)
        return _unit(q_c) @ _unit(g_c).T

    def fit(self, train: Split, valid: Split) -> None:
        self.scalers = (StandardScaler().fit(train.pooled(self.query)),
                        StandardScaler().fit(train.pooled(self.gallery)))
        q = self.scalers[0].transform(train.pooled(self.query))
        g = self.scalers[1].transform(train.pooled(self.gallery))
        limit = min(q.shape[1], g.shape[1], len(train))
        best = None
        for k in (k for k in self.config.components if k <= limit):
            self.cca = CCA(n_components=k, max_iter=self.config.max_iter).fit(q, g)
            score = self.metric.fn(valid.labels, self._similarity(valid))
            self.info.history.append({"components": k, f"valid_{self.metric.name}": score})
            if best is None or (score > best[0] if self.metric.higher_is_better else score < best[0]):
                best = (score, k, self.cca)
        if best is None:
            raise UserError(f"cca-retrieval: no component count in {self.config.components} is <= {limit}")
        _, self.info.best_epoch, self.cca = best
        self.info.n_parameters = int(self.cca.x_rotations_.size + self.cca.y_rotations_.size)

    def predict(self, split: Split) -> np.ndarray:
        return self._similarity(split)


@register_model("cca-retrieval", config=CCAConfig, target_kinds=("retrieval",),
                description="CCA between query and gallery modalities, cosine similarity (linear retrieval baseline)")
def build_cca_retrieval(task: TaskSpec, data: MultimodalDataset, config: CCAConfig, seed: int) -> _CCARetrieval:
    return _CCARetrieval(task, config)
