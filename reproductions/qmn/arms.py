"""QMN's arms as harness models, trained by the shared Trainer through its hooks (one phase, whole dialogues).

The data of a phase is :class:`PackedDialogues` (one item = one dialogue), so the default ``ShuffledBatches``
sampler already yields whole dialogues; the step is the masked per-turn negative log-likelihood; ``Selection``
keeps the epoch with the best selection-split primary metric (dev, never test).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo
from harness.tasks.spec import TaskSpec
from harness.train import Standardizer, TrainConfig, Trainer
from harness.train.device import one_thread
from harness.train.hooks import Phase, ShuffledBatches, StepContext, StepOutput
from harness.train.optim import adamw
from harness.train.trainer import Selection
from reproductions.qmn import quantum as q
from reproductions.qmn.dialogues import IGNORE, PackedDialogues
from reproductions.qmn.model import (
    Dialogues,
    QMNNetwork,
    RealTwinNetwork,
    Sizes,
    matched_state_width,
    n_parameters,
)
from reproductions.qmn.qmnn import QMNNNetwork


@dataclass(frozen=True)
class QMNConfig(TrainConfig):
    """Scaled down for 2 CPU cores (README.md, "Scaled down"). ``batch_size`` counts dialogues.

    ``precision`` is fp32: the density matrices are complex64, and autocast has no half-precision complex type.
    """

    epochs: int = 15
    batch_size: int = 32
    lr: float = 3e-3
    patience: int = 4
    precision: str = "fp32"
    modalities: tuple[str, ...] = ()
    hidden: int = 32
    dim: int = 8
    components: int = 4
    dropout: float = 0.1
    interference: bool = True
    influence: bool = True


@dataclass(frozen=True)
class NoInterferenceConfig(QMNConfig):
    interference: bool = False


@dataclass(frozen=True)
class NoInfluenceConfig(QMNConfig):
    influence: bool = False


@dataclass(frozen=True)
class QMNNConfig(QMNConfig):
    """QMNN (AAAI 2021), a related model: d = 16 (the repository's 50, scaled down); ``speakers`` speaker phases."""

    dim: int = 16
    speakers: int = 8


@dataclass(frozen=True)
class RealTwinConfig(QMNConfig):
    """``state=0``: the width that matches QMN's parameter count (same hidden, dim and components)."""

    state: int = 0


def sizes_of(task: TaskSpec, train: Split, config: QMNConfig) -> tuple[tuple[str, ...], Sizes]:
    modalities = tuple(config.modalities) or tuple(task.modalities)
    unknown = [m for m in modalities if m not in train.features]
    if unknown:
        raise UserError(f"modalities {unknown} are not in task {task.name!r}'s data; it has {sorted(train.features)}")
    dims = {m: int(train.features[m].shape[-1]) for m in modalities}
    return modalities, Sizes(dims, int(task.num_classes), config.hidden, config.dim, config.components,
                             config.dropout)


def build_network(config: QMNConfig, sizes: Sizes) -> nn.Module:
    if isinstance(config, QMNNConfig):
        return QMNNNetwork(sizes, config.speakers)
    if isinstance(config, RealTwinConfig):
        target = n_parameters(QMNNetwork(sizes, interference=config.interference, influence=config.influence))
        width = config.state or matched_state_width(sizes, target, influence=config.influence)
        return RealTwinNetwork(sizes, width, influence=config.influence)
    return QMNNetwork(sizes, interference=config.interference, influence=config.influence)


def turn_nll(net: nn.Module, batch: tuple[Dialogues, torch.Tensor], ctx: StepContext) -> StepOutput:
    """Mean negative log-likelihood over the batch's real turns (padded turns carry label -100)."""
    inputs, y = batch
    logp = net(inputs)
    loss = nn.functional.nll_loss(logp.flatten(0, 1), y.flatten(), ignore_index=IGNORE, reduction="sum")
    turns = int((y != IGNORE).sum())
    return StepOutput(loss / max(turns, 1), {"train_loss": loss.detach()}, count=turns)


class ConversationModel:
    """fit: pack dialogues, train one phase with dev selection; predict: per-utterance class probabilities."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, config: QMNConfig, seed: int) -> None:
        self.task, self.config, self.seed = task, config, seed
        self.modalities, self.sizes = sizes_of(task, data.split(task.splits.train), config)
        with torch.random.fork_rng():  # initialisation from the seed alone
            torch.manual_seed(seed)
            self.network = build_network(config, self.sizes)
        self.standardizer: Standardizer | None = None
        self.trainer = Trainer(config, None, None, seed)
        self.network.to(self.trainer.device)
        self.info = FitInfo(n_parameters=n_parameters(self.network), device=str(self.trainer.device),
                            precision=self.trainer.precision)

    def pack(self, split: Split) -> PackedDialogues:
        assert self.standardizer is not None, "fit() first"
        return PackedDialogues(split, self.standardizer, self.modalities, self.trainer.device)

    def fit(self, train: Split, valid: Split) -> None:
        with one_thread(), torch.random.fork_rng():  # dropout draws from the seed alone, whatever ran before
            torch.manual_seed(self.seed)
            self._fit(train, valid)

    def _fit(self, train: Split, valid: Split) -> None:
        self.standardizer = Standardizer.fit(train, self.modalities)
        packed_train, packed_valid = self.pack(train), self.pack(valid)
        metric = get_metric(self.task.primary_metric)
        selection = Selection(lambda state: float(metric.fn(valid.labels, self._predict(state.module, packed_valid))),
                              metric, self.config.patience)
        cfg = self.config
        phase = Phase("train", packed_train, turn_nll, cfg.epochs, ShuffledBatches(cfg.batch_size),
                      adamw(cfg.lr, cfg.weight_decay, cfg.schedule), callbacks=(selection,))
        info = self.trainer.run(self.network, [phase], dataclasses.replace(self.info, history=[], extras={}))
        info.best_epoch = selection.best_epoch
        info.extras |= {"dialogues_train": len(packed_train), "turns_per_dialogue":
                        packed_train.turns / len(packed_train), **diagnostics(self.network, packed_valid)}
        self.info = info

    @torch.inference_mode()
    def _predict(self, net: nn.Module, packed: PackedDialogues, batch: int = 64) -> np.ndarray:
        net.eval()
        parts = []
        for start in range(0, len(packed), batch):
            index = np.arange(start, min(len(packed), start + batch))
            inputs, _ = packed.batch(index)
            out = net(inputs).exp().float().cpu().numpy()
            padded = np.zeros((len(index), packed.rows.shape[1], out.shape[-1]), dtype=np.float64)
            padded[:, : out.shape[1]] = out
            parts.append(padded)
        return packed.unpack(np.concatenate(parts))

    def predict(self, split: Split) -> np.ndarray:
        with one_thread():
            return self._predict(self.network, self.pack(split))


@torch.inference_mode()
def diagnostics(net: nn.Module, packed: PackedDialogues) -> dict[str, float]:
    """What the quantum parts did on the selection split: mean influence strength where the speaker changed, and
    the mean purity tr(rho^2) of utterance states before and after influence (1 = pure, 1/d = maximally mixed)."""
    if not isinstance(net, QMNNetwork):
        return {}
    net.eval()
    inputs, _ = packed.batch(np.arange(len(packed)))
    out: dict[str, float] = {}
    mask = inputs.mask
    for name, modality in net.modalities.items():
        z = modality.context(inputs.x[name])
        rho, evolved = modality.states(z, inputs.switch)
        out[f"{name}_purity_before"] = float(q.purity(rho)[mask].mean())
        out[f"{name}_purity_after"] = float(q.purity(evolved)[mask].mean())
        if modality.gate is not None and bool(inputs.switch.any()):
            strength = modality.strength(z, inputs.switch)
            out[f"{name}_influence_strength"] = float(strength[inputs.switch].mean())
    return out


def build(task: TaskSpec, data: MultimodalDataset, config: QMNConfig, seed: int) -> ConversationModel:
    return ConversationModel(task, data, config, seed)
