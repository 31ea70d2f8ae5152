"""EquiAV arms as harness models: pre-train on the av-digits training pairs without labels, then evaluate.

One class serves every arm; the arms differ only in config defaults (``__init__.py``). A run reports one
evaluation of one encoder, chosen by the task and the evaluation settings:

* ``av-digits-ssl*`` (single-label): a logistic-regression probe on the frozen, mean-pooled backbone features of
  the task's modalities (audio, image, or both concatenated), fitted on ``labels_per_class`` labelled training
  items drawn with the run's seed (every arm of a seed sees the same items);
* ``av-digits-ssl-retrieval`` (class-retrieval): each pair's inter-modal embeddings [audio | image], as the
  released ``retrieval.py`` computes them (the centroid of 16 sampled parameter sets through the inter head),
  but with the parameter sets drawn from a seeded generator (the released draw is unseeded).

``checkpoint`` chooses the validation-selected encoder or the final epoch's. Selection: the epoch whose class-level
retrieval mAP on the validation split (mean of both directions, the inter-modal embeddings above) is highest; the
supervised bound: the best mean validation accuracy of its two classifiers. (The released "best val" checkpoint
minimises the SSL loss on test.json; on a real validation split that loss barely moved here, so it could not
rank epochs.) Evaluations of one arm and seed share one pre-training: encoders are
memoised in-process, keyed by everything that determines them, and pre-training draws only from its own seeded
generator, so a memoised encoder is identical to a freshly trained one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.class_retrieval import mean_average_precision
from harness.models import FitInfo
from harness.ssl.probes import LinearProbe, few_labels, normalise
from harness.tasks.spec import TaskSpec
from harness.train.device import one_thread
from reproductions.equiav import augment as aug
from reproductions.equiav.diagnostics import equivariance_diagnostics
from reproductions.equiav.network import EquiAVNet, NetConfig
from reproductions.equiav.recipe import MODES, Inputs, Recipe, Trained, train, valid_accuracy

EVAL_FIELDS = ("labels_per_class", "probe_c", "checkpoint")
FRAMES = 64  # audio frames kept (pad / truncate), as the released 1,024; 99% of FSDD clips are shorter than 95
IMAGE_SIDE = 16  # 8x8 digits are upsampled (bilinear) like the released Resize(224)
RETRIEVAL_SEED = 20_240_712


@dataclass(frozen=True)
class EquiAVConfig:
    """Scaled-down CPU recipe on av-digits; the released values are in the comments and README.md."""

    # evaluation
    labels_per_class: int = 5
    probe_c: float = 10.0
    checkpoint: str = "selected"  # "selected" (validation) or "final"
    # arm
    mode: str = "equiav"  # equiav | invariant | no-centroid | supervised
    quirks: bool = True  # replicate the released augmentation quirks (augment.py)
    # network (released: ViT-B/16 x 2, heads 2048/512, augmentation embedding 256)
    width: int = 32
    depth: int = 2
    heads: int = 4
    aug_dim: int = 32
    head_hidden: int = 64
    head_out: int = 32
    audio_patch: tuple[int, int] = (40, 4)  # (mel, frames): full-band strips of 40 ms (released: 16 x 16 squares)
    image_patch: int = 4
    # pre-training (released: 20 epochs, 2 warm-up, batch 128, lr 1e-4, S = 16)
    epochs: int = 8
    warmup_epochs: float = 0.8
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    tau_intra: float = 0.07
    tau_inter: float = 0.07
    centroid_samples: int = 8
    detach_inter_keys: bool = True
    audio_crop_scale: tuple[float, float] = (0.08, 1.0)
    visual_crop_scale: tuple[float, float] = (0.25, 1.0)


@dataclass(frozen=True)
class InvariantConfig(EquiAVConfig):
    mode: str = "invariant"


@dataclass(frozen=True)
class NoCentroidConfig(EquiAVConfig):
    mode: str = "no-centroid"


@dataclass(frozen=True)
class FixedConfig(EquiAVConfig):
    quirks: bool = False


@dataclass(frozen=True)
class UntrainedConfig(EquiAVConfig):
    epochs: int = 0


@dataclass(frozen=True)
class SupervisedConfig(EquiAVConfig):
    mode: str = "supervised"


# ---- inputs ---------------------------------------------------------------------------------------------------

def spectrograms(split: Split, stats: tuple[float, float]) -> torch.Tensor:
    """(n, 1, FRAMES, mel) log-mel spectrograms: zero-padded / truncated like the released fbank, then normalised
    with the training split's mean and std (the released code: fixed per-dataset statistics)."""
    x = np.asarray(split.features["audio"], dtype=np.float32)
    if x.ndim != 3:
        raise UserError(f"EquiAV needs the audio modality as a (n, T, mel) sequence, got shape {x.shape}")
    x = x[:, :FRAMES]
    if x.shape[1] < FRAMES:
        x = np.pad(x, ((0, 0), (0, FRAMES - x.shape[1]), (0, 0)))
    return torch.from_numpy((x - stats[0]) / stats[1])[:, None]


def audio_stats(train: Split) -> tuple[float, float]:
    x = np.asarray(train.features["audio"], dtype=np.float64)
    valid = split_mask(train)
    return float(x[valid].mean()), float(x[valid].std())


def split_mask(split: Split) -> np.ndarray:
    lengths = split.lengths.get("audio") if split.lengths else None
    steps = np.asarray(split.features["audio"]).shape[1]
    if lengths is None:
        return np.ones((len(split), steps), dtype=bool)
    return np.arange(steps)[None] < np.asarray(lengths)[:, None]


def images(split: Split) -> torch.Tensor:
    """(n, 1, 16, 16) images in [0, 1] from 8x8 digits stored flat (n, 64) or as (n, 1, 8, 8)."""
    x = np.asarray(split.features["image"], dtype=np.float32)
    side = int(round(np.sqrt(x[0].size)))
    if side * side != x[0].size:
        raise UserError(f"EquiAV needs square grey images, got image features of shape {x.shape}")
    x = torch.from_numpy(x.reshape(-1, 1, side, side).copy())
    return F.interpolate(x, size=(IMAGE_SIDE, IMAGE_SIDE), mode="bilinear", align_corners=False).clamp(0, 1)


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


# ---- pre-training, memoised ------------------------------------------------------------------------------------

@dataclass
class Encoder:
    key: str
    trained: Trained
    seconds: float
    stats: tuple[float, float]
    image_stats: tuple[float, float]
    diagnostics: dict[str, dict[str, float]]


# Not harness.ssl.EncoderCache: an entry here holds two checkpoints, the input statistics and the diagnostics.
_ENCODERS: OrderedDict[tuple, Encoder] = OrderedDict()
_FEATURES: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()
_MAX_ENCODERS, _MAX_FEATURES = 64, 768


def _remember(cache: OrderedDict, key: tuple, value: Any, limit: int) -> None:
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)


def build_net(config: EquiAVConfig, n_classes: int) -> EquiAVNet:
    cfg = NetConfig(width=config.width, depth=config.depth, heads=config.heads, aug_dim=config.aug_dim,
                    head_hidden=config.head_hidden, head_out=config.head_out,
                    audio_patch=tuple(config.audio_patch), image_patch=config.image_patch)
    return EquiAVNet(cfg, (40, FRAMES), (IMAGE_SIDE, IMAGE_SIDE), (aug.AUDIO_DIM, aug.VISUAL_DIM),
                     n_classes=n_classes if config.mode == "supervised" else 0)


def augment_config(config: EquiAVConfig) -> aug.AugmentConfig:
    return aug.AugmentConfig(quirks=config.quirks, audio_crop_scale=tuple(config.audio_crop_scale),
                             visual_crop_scale=tuple(config.visual_crop_scale))


def recipe_of(config: EquiAVConfig) -> Recipe:
    return Recipe(mode=config.mode, epochs=config.epochs, warmup_epochs=config.warmup_epochs,
                  batch_size=config.batch_size, lr=config.lr, weight_decay=config.weight_decay,
                  tau_intra=config.tau_intra, tau_inter=config.tau_inter,
                  centroid_samples=config.centroid_samples, detach_inter_keys=config.detach_inter_keys)


def pretrained(config: EquiAVConfig, train_split: Split, valid_split: Split, seed: int, n_classes: int
               ) -> tuple[Encoder, bool]:
    """The trained encoder states for this arm and seed (memoised), and whether they came from the memo."""
    fields = tuple(sorted((k, v) for k, v in dataclasses.asdict(config).items() if k not in EVAL_FIELDS))
    key = (_digest(train_split.ids.astype(str), np.asarray(train_split.features["audio"][:, :FRAMES]),
                   np.asarray(train_split.features["image"])), seed, fields)
    if key in _ENCODERS:
        _ENCODERS.move_to_end(key)
        return _ENCODERS[key], True
    stats = audio_stats(train_split)
    imgs = images(train_split)
    image_stats = (float(imgs.mean()), float(imgs.std()))
    cfg = augment_config(config)
    train_in = Inputs(spectrograms(train_split, stats), imgs, image_stats, cfg)
    valid_in = Inputs(spectrograms(valid_split, stats), images(valid_split), image_stats, cfg)
    with torch.random.fork_rng():  # initialisation from the seed alone, whatever ran before in this process
        torch.manual_seed(seed)
        net = build_net(config, n_classes)
    valid_labels = np.array(valid_split.labels)

    @torch.no_grad()
    def select(module: EquiAVNet) -> float:
        module.eval()
        if config.mode == "supervised":
            return valid_accuracy(module, valid_in, torch.as_tensor(valid_labels, dtype=torch.long))
        return retrieval_map(features(module, valid_in, config.mode, config.centroid_samples), valid_labels)

    t0 = time.perf_counter()
    trained = train(net, train_in, recipe_of(config), seed, select,
                    torch.tensor(np.array(train_split.labels), dtype=torch.long))
    seconds = time.perf_counter() - t0
    diagnostics = {}
    for which in ("selected", "final"):
        net.load_state_dict(getattr(trained, which))
        diagnostics[which] = equivariance_diagnostics(net, valid_in, config.mode, config.centroid_samples, seed)
    digest = _digest(np.frombuffer(repr(key).encode(), dtype=np.uint8))
    encoder = Encoder(digest, trained, seconds, stats, image_stats, diagnostics)
    _remember(_ENCODERS, key, encoder, _MAX_ENCODERS)
    return encoder, False


# ---- features --------------------------------------------------------------------------------------------------

@torch.no_grad()
def features(net: EquiAVNet, inputs: Inputs, mode: str, centroid_samples: int, batch: int = 500
             ) -> dict[str, np.ndarray]:
    """Frozen features of the original views: mean-pooled backbone tokens (``a``, ``v``, what the released
    fine-tuning pools) and the inter-modal retrieval embeddings (``ret_a``, ``ret_v``)."""
    net.eval()
    gen = torch.Generator().manual_seed(RETRIEVAL_SEED)
    out: dict[str, list[torch.Tensor]] = {"a": [], "v": [], "ret_a": [], "ret_v": []}
    for start in range(0, len(inputs), batch):
        sl = slice(start, start + batch)
        h_a = net.encode("a", inputs.audio[sl])
        h_v = net.encode("v", inputs.norm_image(inputs.images[sl]))
        out["a"].append(h_a.mean(1))
        out["v"].append(h_v.mean(1))
        if mode == "supervised":  # a shared class space: each modality's class probabilities
            out["ret_a"].append(net.cls_a(h_a.mean(1)).softmax(1))
            out["ret_v"].append(net.cls_v(h_v.mean(1)).softmax(1))
        elif mode == "equiav":
            t_a, t_v = inputs.sample_sets(len(h_a), centroid_samples, gen)
            out["ret_a"].append(net.inter_a(net.predict("a", h_a, t_a)))
            out["ret_v"].append(net.inter_v(net.predict("v", h_v, t_v)))
        else:
            out["ret_a"].append(net.inter_a(h_a.mean(1)))
            out["ret_v"].append(net.inter_v(h_v.mean(1)))
    return {k: torch.cat(v).numpy().astype(np.float32) for k, v in out.items()}


def retrieval_map(feats: dict[str, np.ndarray], labels: np.ndarray) -> float:
    """Mean of the audio->image and image->audio class-level mAP of the inter-modal embeddings."""
    a = normalise(feats["ret_a"].astype(np.float64))
    v = normalise(feats["ret_v"].astype(np.float64))
    return 0.5 * (mean_average_precision(a @ v.T, labels, labels) + mean_average_precision(v @ a.T, labels, labels))


# ---- the harness model -----------------------------------------------------------------------------------------

class EquiAVModel:
    """fit: pre-train (labels unused except by the supervised bound), then fit the probe on a few labels;
    predict: class scores (probe tasks) or paired [audio | image] embeddings (class-retrieval task)."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, config: EquiAVConfig, seed: int) -> None:
        if config.mode not in MODES:
            raise UserError(f"mode={config.mode!r}: choose one of {', '.join(MODES)}")
        if config.checkpoint not in ("selected", "final"):
            raise UserError(f"checkpoint={config.checkpoint!r}: choose 'selected' or 'final'")
        unknown = set(task.modalities) - {"audio", "image"}
        if unknown:
            raise UserError(f"task {task.name!r}: EquiAV reads modalities audio and image, not {sorted(unknown)}")
        self.task, self.config, self.seed = task, config, seed
        self.n_classes = int(task.num_classes or 10)
        self.info = FitInfo()

    def fit(self, train_split: Split, valid_split: Split) -> None:
        with one_thread():
            self._fit(train_split, valid_split)

    def _fit(self, train_split: Split, valid_split: Split) -> None:
        self.encoder, cached = pretrained(self.config, train_split, valid_split, self.seed, self.n_classes)
        self.net = build_net(self.config, self.n_classes)
        trained = self.encoder.trained
        self.net.load_state_dict(trained.selected if self.config.checkpoint == "selected" else trained.final)
        self.encoder_key = (self.encoder.key, self.config.checkpoint)
        extras: dict[str, Any] = {"pretrain_seconds": self.encoder.seconds, "pretrain_cached": cached,
                                  "selected_epoch": trained.selected_epoch, "checkpoint": self.config.checkpoint,
                                  **{f"equivariance_{k}": v
                                     for k, v in self.encoder.diagnostics[self.config.checkpoint].items()}}
        if self.task.target_kind != "class-retrieval":
            labelled = few_labels(train_split.labels, self.config.labels_per_class, self.seed)
            feats = self._probe_features(self._features(train_split))[labelled]
            self.probe = LinearProbe(self.n_classes, self.config.probe_c, self.seed)
            self.probe.fit(feats, train_split.labels[labelled])
            extras["labelled_items"] = int(len(labelled))
        epoch = trained.selected_epoch if self.config.checkpoint == "selected" else self.config.epochs - 1
        self.info = FitInfo(n_parameters=sum(p.numel() for p in self.net.parameters()),
                            best_epoch=None if self.config.epochs == 0 else epoch,
                            history=trained.history, extras=extras)

    def _features(self, split: Split) -> dict[str, np.ndarray]:
        key = (*self.encoder_key, _digest(split.ids.astype(str), np.asarray(split.features["audio"]),
                                          np.asarray(split.features["image"])))
        if key not in _FEATURES:
            inputs = Inputs(spectrograms(split, self.encoder.stats), images(split), self.encoder.image_stats,
                            augment_config(self.config))
            _remember(_FEATURES, key, features(self.net, inputs, self.config.mode, self.config.centroid_samples),
                      _MAX_FEATURES)
        return _FEATURES[key]

    def _probe_features(self, feats: dict[str, np.ndarray]) -> np.ndarray:
        parts = [normalise(feats["a" if m == "audio" else "v"]) for m in self.task.modalities]
        return np.concatenate(parts, axis=1)

    def predict(self, split: Split) -> np.ndarray:
        with one_thread():
            feats = self._features(split)
            if self.task.target_kind == "class-retrieval":
                return np.concatenate([feats["ret_a"], feats["ret_v"]], axis=1)
            return self.probe.scores(self._probe_features(feats)).astype(np.float32)


def build(task: TaskSpec, data: MultimodalDataset, config: EquiAVConfig, seed: int) -> EquiAVModel:
    return EquiAVModel(task, data, config, seed)
