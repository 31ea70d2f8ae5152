"""Adapter from a torch network to the registry's Model contract (fit / predict / info)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import torch
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.metrics.registry import get_metric
from harness.models import FitInfo
from harness.tasks.spec import TaskSpec
from harness.train.batches import ModalitySpec, Standardizer, TensorData, modality_specs
from harness.train.checkpoint import load_checkpoint, save_checkpoint
from harness.train.config import TrainConfig
from harness.train.objective import objective_for
from harness.train.trainer import Trainer

NetworkFactory = Callable[[list[ModalitySpec], int], nn.Module]


class TorchModel:
    """Builds the network at construction (seeded), standardises inputs with training-split statistics,
    trains through :class:`Trainer`, and can predict with whole modalities removed (robustness)."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, config: TrainConfig, seed: int,
                 network: NetworkFactory, modalities: tuple[str, ...], *, regression_loss: str = "l1",
                 device: torch.device | str | None = None, progress: bool = True) -> None:
        self.modalities = modalities
        self.objective = objective_for(task, regression_loss)
        self.trainer = Trainer(config, self.objective, get_metric(task.primary_metric), seed, device=device,
                               progress=progress)
        self.specs = modality_specs(data.split(task.splits.train), modalities)
        torch.manual_seed(seed)
        self.network = network(self.specs, self.objective.out_dim).to(self.trainer.device)
        self.standardizer: Standardizer | None = None
        self.info = FitInfo(n_parameters=sum(p.numel() for p in self.network.parameters()),
                            device=str(self.trainer.device), precision=self.trainer.precision)

    def tensors(self, split: Split, missing: Collection[str] = ()) -> TensorData:
        assert self.standardizer is not None, "fit() or load() first"
        return TensorData(split, self.standardizer, self.trainer.device, missing=missing,
                          target_dtype=self.objective.target_dtype)

    def fit(self, train: Split, valid: Split) -> None:
        self.standardizer = Standardizer.fit(train, self.modalities)
        self.info = self.trainer.fit(self.network, self.tensors(train), self.tensors(valid), valid.labels)

    def predict(self, split: Split) -> np.ndarray:
        return self.trainer.predict(self.network, self.tensors(split))

    def predict_with_missing(self, split: Split, missing: Collection[str]) -> np.ndarray:
        """Outputs with the ``missing`` modalities removed inside the network (see each fusion's docs)."""
        return self.trainer.predict(self.network, self.tensors(split, missing))

    def save(self, path: Path) -> None:
        """Weights and input statistics as one safetensors file."""
        assert self.standardizer is not None, "fit() first"
        extra = {f"standardizer.{m}.{part}": torch.from_numpy(a)
                 for m, (mean, std) in self.standardizer.stats.items() for part, a in (("mean", mean), ("std", std))}
        save_checkpoint(path, self.network.state_dict(), {"modalities": ",".join(self.modalities)}, extra)

    def load(self, path: Path) -> None:
        state, extra = load_checkpoint(path)
        self.network.load_state_dict(state)
        self.standardizer = Standardizer({m: (extra[f"standardizer.{m}.mean"].numpy(),
                                              extra[f"standardizer.{m}.std"].numpy()) for m in self.modalities})
