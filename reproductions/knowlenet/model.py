"""KnowleNet and its ablation arms as harness models, trained on the shared Trainer.

One phase: shuffled mini-batches, the step is cross-entropy + λ · supervised contrastive (both logged), AdamW, and
:class:`~harness.train.Selection` keeps the epoch with the best primary metric (F1 of the sarcastic class) on the
validation split, with early stopping. Inputs are standardised with training-split statistics; the PCA stream's P
is fitted on the standardised training features before the first epoch.

Defaults are scaled for 2 busy CPU cores (hidden 64, batch 256, at most 4 epochs); the paper's own values are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo, NonFiniteError
from harness.tasks.spec import TaskSpec
from harness.train import (
    EpochState,
    Phase,
    Selection,
    ShuffledBatches,
    Standardizer,
    StepContext,
    StepOutput,
    TensorData,
    TrainConfig,
    Trainer,
    objective_for,
)
from harness.train.device import one_thread
from harness.train.optim import adamw
from reproductions.knowlenet.contrast import supervised_contrastive
from reproductions.knowlenet.network import POOLINGS, KnowleNet, sides
from reproductions.knowlenet.pca_stream import DISCREPANCIES

REQUIRED = ("text", "attributes", "knowledge")


@dataclass(frozen=True)
class KnowleNetConfig(TrainConfig):
    """Streams on/off, sizes and the loss weight. λ and τ are ours (the paper's are not known)."""

    epochs: int = 4
    batch_size: int = 256
    lr: float = 2e-3
    patience: int = 2
    hidden: int = 64
    dropout: float = 0.3
    p: int = 300
    discrepancy: str = "distance"
    knowledge_pooling: str = "flatten"
    image_stream: bool = True
    knowledge: bool = True
    pca: bool = True
    lam: float = 0.1
    temperature: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        problems = []
        if self.discrepancy not in DISCREPANCIES:
            problems.append(f"discrepancy={self.discrepancy!r} is not one of {DISCREPANCIES}")
        if self.knowledge_pooling not in POOLINGS:
            problems.append(f"knowledge_pooling={self.knowledge_pooling!r} is not one of {POOLINGS}")
        if self.hidden < 1 or self.p < 1 or not 0 <= self.dropout < 1 or self.lam < 0 or self.temperature <= 0:
            problems.append("hidden and p must be >= 1, dropout in [0, 1), lam >= 0, temperature > 0")
        if problems:
            raise UserError("KnowleNetConfig: " + "; ".join(problems))


class KnowleNetStep:
    """CE (mean over the batch) + λ · supervised contrastive on the fused representation."""

    def __init__(self, lam: float, temperature: float) -> None:
        self.lam, self.temperature = lam, temperature

    def __call__(self, net: nn.Module, batch, ctx: StepContext) -> StepOutput:
        inputs, y = batch
        with ctx.autocast():
            z = net.fused(inputs)
            logits = net.out(z)
        ce = F.cross_entropy(logits.float(), y)
        logs = {"ce": ce.detach()}
        loss = ce
        if self.lam > 0:
            contrast = supervised_contrastive(z, y, self.temperature)
            loss = ce + self.lam * contrast
            logs["contrast"] = contrast.detach()
        return StepOutput(loss, logs)


class KnowleNetModel:
    """The registry contract: ``fit(train, select)`` then ``predict(split)``."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, cfg: KnowleNetConfig, seed: int) -> None:
        if task.target_kind not in ("binary", "single-label"):
            raise UserError(f"{task.name}: KnowleNet classifies; {task.target_kind!r} is not supported")
        missing = [m for m in REQUIRED if m not in task.modalities]
        if missing:
            raise UserError(f"{task.name}: KnowleNet needs modalities {list(REQUIRED)} (+ optional image); "
                            f"missing {missing}. Use the mmsd-knowledge / mmsd2-knowledge tasks")
        self.cfg = cfg
        self.modalities = tuple(m for m in (*REQUIRED, "image") if m in task.modalities)
        self.objective = objective_for(task)
        self.metric = get_metric(task.primary_metric)
        self.trainer = Trainer(cfg, self.objective, self.metric, seed)
        train = data.split(task.splits.train)
        dims = {m: int(train.features[m].shape[-1]) if train.features[m].ndim == 3 else int(train.pooled(m).shape[1])
                for m in self.modalities}
        max_words = int(train.features["knowledge"].shape[1])
        torch.manual_seed(seed)
        self.network = KnowleNet(dims, max_words, self.objective.out_dim, cfg).to(self.trainer.device)
        self.standardizer: Standardizer | None = None
        self.info = FitInfo(n_parameters=sum(p.numel() for p in self.network.parameters()),
                            device=str(self.trainer.device), precision=self.trainer.precision)

    def tensors(self, split: Split) -> TensorData:
        assert self.standardizer is not None, "fit() first"
        return TensorData(split, self.standardizer, self.trainer.device, target_dtype=self.objective.target_dtype)

    def fit(self, train: Split, valid: Split) -> None:
        self.standardizer = Standardizer.fit(train, self.modalities)
        train_data, valid_data = self.tensors(train), self.tensors(valid)
        if self.cfg.pca:
            inputs, _ = train_data.batch(np.arange(len(train_data)))
            self.network.projection.fit(*sides(inputs))

        def score(state: EpochState) -> float:
            outputs = self.trainer.predict(state.module, valid_data)
            if not np.isfinite(outputs).all():
                raise NonFiniteError(f"epoch {state.epoch}: outputs on the selection split contain NaN/inf")
            return float(self.metric.fn(valid.labels, outputs))

        selection = Selection(score, self.metric, self.cfg.patience)
        phase = Phase("train", train_data, KnowleNetStep(self.cfg.lam, self.cfg.temperature), self.cfg.epochs,
                      ShuffledBatches(self.cfg.batch_size), adamw(self.cfg.lr, self.cfg.weight_decay),
                      callbacks=(selection,))
        with one_thread():
            self.info = self.trainer.run(self.network, [phase])
        self.info.best_epoch = selection.best_epoch
        self.info.extras["streams"] = ",".join(
            name for name, on in (("text", True), ("image/attributes", self.cfg.image_stream),
                                  ("knowledge", self.cfg.knowledge), ("pca", self.cfg.pca),
                                  ("contrastive", self.cfg.lam > 0)) if on)

    def predict(self, split: Split) -> np.ndarray:
        with one_thread():
            return self.trainer.predict(self.network, self.tensors(split))
