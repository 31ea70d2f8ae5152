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
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.models import FitInfo, NonFiniteError
from harness.tasks.spec import TaskSpec
from reproductions.essl import probe as probes
from reproductions.essl.diagnostics import rotation_diagnostics
from reproductions.essl.recipe import Augment, Protocol, pretrain

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

def _digits(split: Split) -> np.ndarray:
    """The ``digits`` dataset stores each 8x8 image as its left and right 8x4 halves (grey levels 0..16)."""
    left = split.features["left"].reshape(-1, 8, 4)
    right = split.features["right"].reshape(-1, 8, 4)
    return np.concatenate([left, right], axis=2)[:, None] / 16.0


def _cifar10(split: Split) -> np.ndarray:
    """CIFAR-10 python batches: 3,072 bytes per image, the red, green and blue 32x32 planes in turn."""
    (x,) = split.features.values()
    return np.asarray(x, dtype=np.float32).reshape(-1, 3, 32, 32) / 255.0


IMAGE_LAYOUTS = {"digits": _digits, "cifar10": _cifar10}


def images_of(task: TaskSpec, split: Split) -> torch.Tensor:
    """(n, C, H, W) float images in [0, 1] for a dataset whose pixel layout is known."""
    if task.dataset not in IMAGE_LAYOUTS:
        raise UserError(f"task {task.name!r}: E-SSL needs images, and the pixel layout of dataset {task.dataset!r} "
                        f"is unknown; known: {', '.join(IMAGE_LAYOUTS)} (reproductions/essl/model.py)")
    return torch.as_tensor(IMAGE_LAYOUTS[task.dataset](split), dtype=torch.float32)


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


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch and BLAS on one thread: the networks are tiny, so more threads only add overhead, and on shared
    cores spinning OpenMP/BLAS threads slowed a run about thirty-fold. Also makes CPU results independent of the
    machine's thread count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(previous)


# ---- pre-training, memoised --------------------------------------------------------------------------------

@dataclass
class Pretrained:
    state: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    seconds: float


_ENCODERS: OrderedDict[tuple, Pretrained] = OrderedDict()
_MAX_ENCODERS = 64


def _pretrain_key(task: TaskSpec, config: EsslConfig, seed: int, n: int) -> tuple:
    fields = {k: v for k, v in dataclasses.asdict(config).items() if k not in EVAL_FIELDS}
    return task.name, task.spec_hash(), n, seed, tuple(sorted(fields.items()))


def pretrained_backbone(task: TaskSpec, config: EsslConfig, images: torch.Tensor, seed: int
                        ) -> tuple[nn.Module, Pretrained, bool]:
    """The backbone after pre-training on ``images`` (memoised); returns it, its record, and whether it was cached."""
    key = _pretrain_key(task, config, seed, images.shape[0])
    net = backbone(images.shape[1], config.width)
    if key in _ENCODERS:
        _ENCODERS.move_to_end(key)
        net.load_state_dict(_ENCODERS[key].state)
        return net, _ENCODERS[key], True
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
    try:
        with one_thread():
            history = pretrain(net, proj, head, images, protocol, aug, torch.Generator().manual_seed(seed))
    except FloatingPointError as err:
        raise NonFiniteError(str(err)) from err
    done = Pretrained({k: v.detach().clone() for k, v in net.state_dict().items()}, history,
                      time.perf_counter() - t0)
    _ENCODERS[key] = done
    while len(_ENCODERS) > _MAX_ENCODERS:
        _ENCODERS.popitem(last=False)
    return net, done, False


@torch.no_grad()
def embed(net: nn.Module, images: torch.Tensor, batch: int = 1024) -> np.ndarray:
    """Frozen backbone features (eval mode: BatchNorm running statistics, as in the recipe's evaluation)."""
    net.eval()
    return torch.cat([net(images[i:i + batch]) for i in range(0, len(images), batch)]).numpy().astype(np.float64)


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
        features = embed(self.net, images)[labelled]
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
            return self.evaluator.scores(embed(self.net, images_of(self.task, split)))


def build(task: TaskSpec, data: MultimodalDataset, config: EsslConfig, seed: int) -> EsslModel:
    return EsslModel(task, data, config, seed)
