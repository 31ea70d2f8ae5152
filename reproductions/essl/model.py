"""E-SSL arms as harness models: pre-train a small CNN without labels, then evaluate its frozen features.

One model class serves every arm; the arms differ only in their config defaults (see ``__init__.py``):
SimCLR (lambda 0), E-SimCLR (lambda 0.4, rotation predicted), rotation as an extra *invariance* (each SSL view
rotated by a random quarter turn, lambda 0) and an untrained encoder (0 epochs), the floor every arm is read against.

Each run reports one evaluation (``probe``: a few-labels linear probe or kNN). Several evaluations of one arm and
seed share one pre-training: encoders are memoised in-process, keyed by everything that determines them, so a
suite that scores the same encoder two ways pre-trains it once. Pre-training draws from its own seeded generator,
so a memoised encoder is identical to a freshly trained one.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.models import FitInfo
from harness.ssl import probes
from harness.ssl.augment import Augment
from harness.ssl.features import EncoderCache, TrainedEncoder, frozen_features
from harness.tasks.spec import TaskSpec
from harness.train.device import one_thread
from reproductions.essl.diagnostics import rotation_diagnostics
from reproductions.essl.recipe import EsslNet, Protocol, pretrain

EVAL_FIELDS = ("probe", "labels_per_class", "probe_c", "knn_k", "knn_temperature")


@dataclass(frozen=True)
class EsslConfig:
    """Scaled-down CPU recipe for 8x8 digits; the paper's CIFAR-10 values are noted where they differ."""

    # evaluation of the frozen backbone
    probe: str = "linear"  # "linear" (logistic regression) or "knn"
    labels_per_class: int = 5  # training labels per class the evaluator sees; 0 = all
    probe_c: float = 10.0
    knn_k: int = 10  # recipe: 200 neighbours in a 50,000-image bank
    knn_temperature: float = 0.1
    # network
    width: int = 16  # backbone channels; features are 2*width wide (recipe: ResNet-18, 512)
    proj_dim: int = 128  # projector and rotation-head width (recipe: 2048)
    # pre-training
    epochs: int = 60  # recipe: 800
    warmup_epochs: int = 3  # recipe: 10
    batch_size: int = 256  # recipe: 512
    base_lr: float = 0.5  # x batch/256 (recipe: 0.03 baseline, 0.06 E-SSL; see README)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    temperature: float = 0.5
    lmbd: float = 0.0  # rotation-prediction weight (recipe: 0.4 for E-SimCLR)
    rotation_invariance: bool = False
    crop_scale: tuple[float, float] = (0.5, 1.0)  # recipe: (0.2, 1.0) on 32x32
    rotation_crop_scale: tuple[float, float] = (0.5, 1.0)  # recipe: (0.2, 1.0)
    rotation_size: int = 4  # side of the rotated crops: half the image side, as the recipe's 16 of 32
    hflip: bool = False  # recipe: True; digits are chiral, a mirrored 2 or 5 is not the same digit
    jitter: float = 0.4


@dataclass(frozen=True)
class ESimCLRConfig(EsslConfig):
    lmbd: float = 0.4


@dataclass(frozen=True)
class RotationInvariantConfig(EsslConfig):
    rotation_invariance: bool = True


@dataclass(frozen=True)
class UntrainedConfig(EsslConfig):
    epochs: int = 0


# ---- images ------------------------------------------------------------------------------------------------

def images_of(task: TaskSpec, split: Split) -> torch.Tensor:
    """(n, C, H, W) float images in [0, 1]: the task's one image modality, in the layout the split carries."""
    found = [m for m in task.modalities if m in split.features and split.is_image(m)]
    if len(found) != 1:
        raise UserError(f"task {task.name!r}: E-SSL pre-trains on exactly one image modality (n, C, H, W); "
                        f"the task's modalities {list(task.modalities)} include {len(found)}")
    return torch.as_tensor(split.images(found[0]))


# ---- networks ----------------------------------------------------------------------------------------------

def backbone(channels: int, width: int) -> nn.Sequential:
    """Three 3x3 conv-BN-ReLU layers (the second strided) and global average pooling: 2*width features."""
    def block(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(*block(channels, width), *block(width, 2 * width, 2), *block(2 * width, 2 * width),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def projector(features: int, dim: int) -> nn.Sequential:
    """The recipe's 2-layer projector: Linear-BN-ReLU-Linear-BN, no biases, last BN without affine."""
    return nn.Sequential(nn.Linear(features, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(),
                         nn.Linear(dim, dim, bias=False), nn.BatchNorm1d(dim, affine=False))


def rotation_head(features: int, dim: int) -> nn.Sequential:
    """The recipe's SimCLR rotation predictor on backbone features: two Linear-LN-ReLU layers, 4 outputs."""
    return nn.Sequential(nn.Linear(features, dim), nn.LayerNorm(dim), nn.ReLU(),
                         nn.Linear(dim, dim), nn.LayerNorm(dim), nn.ReLU(), nn.Linear(dim, 4))


# ---- pre-training, memoised --------------------------------------------------------------------------------

ENCODERS = EncoderCache(size=64)


def _pretrain_key(task: TaskSpec, config: EsslConfig, seed: int, n: int) -> tuple:
    fields = {k: v for k, v in dataclasses.asdict(config).items() if k not in EVAL_FIELDS}
    return task.name, task.spec_hash(), n, seed, tuple(sorted(fields.items()))


def pretrained_backbone(task: TaskSpec, config: EsslConfig, images: torch.Tensor, seed: int
                        ) -> tuple[nn.Module, TrainedEncoder, bool]:
    """The backbone after pre-training on ``images`` (cached); returns it, its record, and whether it was cached."""
    key = _pretrain_key(task, config, seed, images.shape[0])
    net = backbone(images.shape[1], config.width)
    cached = ENCODERS.get(key)
    if cached is not None:
        net.load_state_dict(cached.state)
        return net, cached, True
    with torch.random.fork_rng():  # initialisation from the seed alone, whatever ran before in this process
        torch.manual_seed(seed)
        net = backbone(images.shape[1], config.width)
        proj = projector(2 * config.width, config.proj_dim)
        head = rotation_head(2 * config.width, config.proj_dim)
    protocol = Protocol(epochs=config.epochs, batch_size=config.batch_size, base_lr=config.base_lr,
                        warmup_epochs=config.warmup_epochs, momentum=config.momentum,
                        weight_decay=config.weight_decay, temperature=config.temperature, lmbd=config.lmbd,
                        rotation_invariance=config.rotation_invariance)
    aug = Augment(crop_scale=tuple(config.crop_scale), rotation_crop_scale=tuple(config.rotation_crop_scale),
                  rotation_size=config.rotation_size, hflip=config.hflip, jitter=config.jitter)
    t0 = time.perf_counter()
    with one_thread():
        info = pretrain(EsslNet(net, proj, head), images, protocol, aug, seed)
    return net, ENCODERS.put(key, net, info.history, time.perf_counter() - t0), False


# ---- the harness model -------------------------------------------------------------------------------------

class EsslModel:
    """fit: pre-train (labels unused), then fit the evaluator on the train split's labels; predict: class scores."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, config: EsslConfig, seed: int) -> None:
        if config.probe not in ("linear", "knn"):
            raise UserError(f"probe={config.probe!r}: choose 'linear' or 'knn'")
        self.task, self.config, self.seed = task, config, seed
        self.n_classes = int(task.num_classes or 0)
        self.info = FitInfo()

    def fit(self, train: Split, valid: Split) -> None:
        with one_thread():
            self._fit(train, valid)

    def _fit(self, train: Split, valid: Split) -> None:
        images = images_of(self.task, train)
        self.net, done, cached = pretrained_backbone(self.task, self.config, images, self.seed)
        labelled = probes.few_labels(train.labels, self.config.labels_per_class, self.seed)
        features = frozen_features(self.net, images)[labelled]
        if self.config.probe == "linear":
            self.evaluator = probes.LinearProbe(self.n_classes, self.config.probe_c, self.seed)
        else:
            self.evaluator = probes.KNNProbe(self.n_classes, self.config.knn_k, self.config.knn_temperature)
        self.evaluator.fit(features, train.labels[labelled])
        params = sum(p.numel() for p in self.net.parameters())
        extras: dict[str, Any] = {"pretrain_seconds": done.seconds, "pretrain_cached": cached,
                                  "labelled_items": int(len(labelled)),
                                  **rotation_diagnostics(self.net, images, images_of(self.task, valid), self.seed)}
        self.info = FitInfo(n_parameters=params, best_epoch=self.config.epochs or None, history=done.history,
                            extras=extras)

    def predict(self, split: Split) -> np.ndarray:
        with one_thread():
            return self.evaluator.scores(frozen_features(self.net, images_of(self.task, split)))


def build(task: TaskSpec, data: MultimodalDataset, config: EsslConfig, seed: int) -> EsslModel:
    return EsslModel(task, data, config, seed)
