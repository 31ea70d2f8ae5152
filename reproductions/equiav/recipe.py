"""EquiAV's pre-training objective and loop (after ``pt_trainer.py`` and ``loss/*.py`` of JongSuk1/EquiAV).

Per modality m: the original view x (audio: a random circular time roll, as released) and an augmented view
t(x) whose parameters t are recorded (``augment.py``). With h = tokens of x:

* intra (equivariant): NT-Xent between z_equi = intra_m(u(h, t)) and z_aug = intra_m(pool(tokens of t(x))),
  both-side negatives (2B - 2 per anchor), tau = 0.07, averaged over both directions;
* inter (invariant): CLIP InfoNCE between inter_a(u(h_a, {t^1..t^S})) and inter_v(u(h_v, {t^1..t^S})), the
  centroid of S = 16 predictions for S freshly sampled parameter sets (no view rendered), tau = 0.07; the keys
  are detached as in the released 8-GPU run, where even the local slice of the gathered keys carries no gradient;
* total = (inter + intra_a + intra_v) / 3; AdamW (betas 0.9, 0.95; weight decay on every parameter), per-step
  linear warm-up from 0.002 x peak to the peak lr, then cosine to 0.01 x peak (2e-7 / 1e-4 / 1e-6 as released).

Arms change one thing each (``mode``): ``invariant`` has no predictor (z_equi = intra_m(pool h), inter on pool h:
the poster's invariant baseline), ``no-centroid`` keeps the equivariant intra term but puts the inter loss on
pool h (the poster's "inter on original z"). fp32 throughout, so no gradient clipping (the released code clips at
0.01 only on its AMP path). Checkpoint selection is on the *validation* split (the criterion is in ``model.py``;
the released code selected on test.json); the final epoch is kept too.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR

from harness.ssl.losses import nt_xent
from harness.train.config import TrainConfig
from harness.train.hooks import (
    Callback,
    EpochState,
    OptimiserFactory,
    Phase,
    ShuffledBatches,
    StepContext,
    StepOutput,
    TensorRows,
)
from harness.train.trainer import Trainer
from reproductions.equiav import augment as aug
from reproductions.equiav.network import EquiAVNet

MODES = ("equiav", "invariant", "no-centroid", "supervised")


@dataclass(frozen=True)
class Recipe:
    mode: str = "equiav"
    epochs: int = 12
    warmup_epochs: float = 1.2  # released: 2 of 20 epochs
    batch_size: int = 64  # released: 16 per GPU x 8
    lr: float = 1e-3  # released: 1e-4 on MAE-initialised ViT-B
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 1e-5
    tau_intra: float = 0.07
    tau_inter: float = 0.07
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)  # inter, intra audio, intra visual
    centroid_samples: int = 16
    detach_inter_keys: bool = True
    time_roll: bool = True


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    """Released ``WarmupCosineSchedule``: linear from 0.002 x peak over ``warmup`` steps, cosine to 0.01 x peak."""
    start, final = 0.002 * peak, 0.01 * peak
    if step < warmup:
        return start + (peak - start) * step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return final + (peak - final) * 0.5 * (1 + math.cos(math.pi * progress))


def clip_info_nce(za: torch.Tensor, zv: torch.Tensor, tau: float, detach_keys: bool) -> torch.Tensor:
    """Symmetric InfoNCE; with ``detach_keys`` the other modality's side carries no gradient in each direction
    (``harness.ssl.losses.info_nce`` shares one logit matrix between the directions, so it cannot detach keys)."""
    za, zv = F.normalize(za, dim=1), F.normalize(zv, dim=1)
    ka, kv = (za.detach(), zv.detach()) if detach_keys else (za, zv)
    target = torch.arange(len(za))
    return 0.5 * (F.cross_entropy(za @ kv.T / tau, target) + F.cross_entropy(zv @ ka.T / tau, target))


@dataclass
class Views:
    """One batch's inputs: originals, augmented views and their parameter vectors (audio, visual)."""

    a: torch.Tensor
    v: torch.Tensor
    a_aug: torch.Tensor
    v_aug: torch.Tensor
    t_a: torch.Tensor
    t_v: torch.Tensor
    t_a_set: torch.Tensor  # (B, S, 24) centroid parameter sets
    t_v_set: torch.Tensor


class Inputs:
    """Normalised spectrograms (n, 1, T, F) and images in [0, 1] (n, 1, S, S), with the view machinery."""

    def __init__(self, audio: torch.Tensor, images: torch.Tensor, image_stats: tuple[float, float],
                 cfg: aug.AugmentConfig) -> None:
        self.audio, self.images, self.cfg = audio, images, cfg
        self.time, self.freq = audio.shape[2], audio.shape[3]
        self.size = images.shape[-1]
        self.mean, self.std = image_stats

    def __len__(self) -> int:
        return len(self.audio)

    def norm_image(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def sample_sets(self, b: int, s: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S, 24) and (B, S, 18) parameter vectors for the centroid (parameters only; nothing rendered)."""
        if s == 0:
            return torch.zeros(b, 0, aug.AUDIO_DIM), torch.zeros(b, 0, aug.VISUAL_DIM)
        pa = aug.sample_audio(b * s, self.time, self.freq, self.cfg, gen)
        pv = aug.sample_visual(b * s, self.size, self.cfg, gen)
        return (aug.encode_audio(pa, self.time, self.freq, self.cfg.quirks).view(b, s, -1),
                aug.encode_visual(pv, self.size).view(b, s, -1))

    def views(self, idx: torch.Tensor, recipe: Recipe, gen: torch.Generator) -> Views:
        a, v = self.audio[idx], self.images[idx]
        if recipe.time_roll:
            a = aug.time_roll(a, gen)
        b = len(idx)
        pa = aug.sample_audio(b, self.time, self.freq, self.cfg, gen)
        pv = aug.sample_visual(b, self.size, self.cfg, gen)
        t_a_set, t_v_set = self.sample_sets(b, recipe.centroid_samples if recipe.mode == "equiav" else 0, gen)
        return Views(a=a, v=self.norm_image(v), a_aug=aug.render_audio(a, pa, self.cfg.quirks),
                     v_aug=self.norm_image(aug.render_visual(v, pv)),
                     t_a=aug.encode_audio(pa, self.time, self.freq, self.cfg.quirks),
                     t_v=aug.encode_visual(pv, self.size),
                     t_a_set=t_a_set, t_v_set=t_v_set)


def ssl_losses(net: EquiAVNet, x: Views, recipe: Recipe) -> dict[str, torch.Tensor]:
    """The three loss terms and their weighted total for one batch of views."""
    out = {}
    inter = {}
    for m, orig, augd, t, t_set in (("a", x.a, x.a_aug, x.t_a, x.t_a_set), ("v", x.v, x.v_aug, x.t_v, x.t_v_set)):
        intra_head = net.intra_a if m == "a" else net.intra_v
        inter_head = net.inter_a if m == "a" else net.inter_v
        h = net.encode(m, orig)
        z_aug = intra_head(net.encode(m, augd, augmented=True).mean(1))
        pooled = h.mean(1)
        z_equi = intra_head(pooled if recipe.mode == "invariant" else net.predict(m, h, t[:, None]))
        inter[m] = inter_head(net.predict(m, h, t_set) if recipe.mode == "equiav" else pooled)
        out[f"intra_{m}"] = nt_xent(z_equi, z_aug, recipe.tau_intra)
    out["inter"] = clip_info_nce(inter["a"], inter["v"], recipe.tau_inter, recipe.detach_inter_keys)
    w_inter, w_a, w_v = recipe.weights
    out["loss"] = w_inter * out["inter"] + w_a * out["intra_a"] + w_v * out["intra_v"]
    return out


def supervised_loss(net: EquiAVNet, a: torch.Tensor, v: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * (F.cross_entropy(net.cls_a(net.encode("a", a).mean(1)), y)
                  + F.cross_entropy(net.cls_v(net.encode("v", v).mean(1)), y))


@torch.no_grad()
def valid_accuracy(net: EquiAVNet, data: Inputs, labels: torch.Tensor) -> float:
    """Mean of the audio and visual classifiers' accuracies on the validation split (the supervised bound)."""
    a = net.cls_a(net.encode("a", data.audio).mean(1)).argmax(1)
    v = net.cls_v(net.encode("v", data.norm_image(data.images)).mean(1)).argmax(1)
    return 0.5 * float((a == labels).float().mean() + (v == labels).float().mean())


@dataclass
class Trained:
    selected: dict[str, torch.Tensor]
    final: dict[str, torch.Tensor]
    selected_epoch: int | None
    history: list[dict[str, float]]


class SSLStep:
    """The Trainer step: draw this batch's views from the run's generator, return the weighted loss and its terms."""

    def __init__(self, data: Inputs, recipe: Recipe, gen: torch.Generator) -> None:
        self.data, self.recipe, self.gen = data, recipe, gen

    def __call__(self, net: EquiAVNet, batch: torch.Tensor, ctx: StepContext) -> StepOutput:
        terms = ssl_losses(net, self.data.views(batch, self.recipe, self.gen), self.recipe)
        return StepOutput(terms["loss"], {k: v.detach() for k, v in terms.items()})


class SupervisedStep:
    """The upper bound's step: the original views (with the released time roll) and every training label."""

    def __init__(self, data: Inputs, labels: torch.Tensor, recipe: Recipe, gen: torch.Generator) -> None:
        self.data, self.labels, self.recipe, self.gen = data, labels, recipe, gen

    def __call__(self, net: EquiAVNet, batch: torch.Tensor, ctx: StepContext) -> StepOutput:
        a = self.data.audio[batch]
        a = aug.time_roll(a, self.gen) if self.recipe.time_roll else a
        loss = supervised_loss(net, a, self.data.norm_image(self.data.images[batch]), self.labels[batch])
        return StepOutput(loss, {"loss": loss.detach()})


class ValidationSelection(Callback):
    """After each epoch, score the validation split (SSL loss, or the bound's accuracy) and keep the best state."""

    def __init__(self, score: Callable[[EquiAVNet], float], name: str, lower_is_better: bool) -> None:
        self.score, self.name, self.sign = score, name, 1.0 if lower_is_better else -1.0
        self.best, self.best_state, self.best_epoch = math.inf, None, None

    def on_epoch_end(self, state: EpochState) -> None:
        value = self.score(state.module)
        state.row[self.name] = value
        if self.sign * value < self.best:
            self.best, self.best_epoch = self.sign * value, state.epoch - 1
            self.best_state = copy.deepcopy(state.module.state_dict())


def released_adamw(recipe: Recipe) -> OptimiserFactory:
    """AdamW on every parameter (no norm/bias exclusion) with the released per-step warm-up-cosine schedule."""

    def make(params: list[torch.nn.Parameter], total_steps: int) -> tuple[torch.optim.Optimizer, LambdaLR]:
        optimiser = torch.optim.AdamW(params, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay)
        warmup = round(recipe.warmup_epochs * total_steps / max(1, recipe.epochs))
        return optimiser, LambdaLR(optimiser, lambda step: lr_at(step, total_steps, warmup, 1.0))

    return make


def train(net: EquiAVNet, train_data: Inputs, recipe: Recipe, seed: int, select: Callable[[EquiAVNet], float],
          train_labels: torch.Tensor | None = None) -> Trained:
    """Pre-train (``supervised``: train with labels) in place on the shared Trainer (fp32 on the CPU, no clipping:
    the released code clips only on its AMP path); ``select(net)`` scores the validation split after every epoch
    (higher is better) and the best state is kept beside the final one."""
    gen = torch.Generator().manual_seed(seed)
    step = (SupervisedStep(train_data, train_labels, recipe, gen) if recipe.mode == "supervised"
            else SSLStep(train_data, recipe, gen))
    selection = ValidationSelection(select, "valid_score", lower_is_better=False)
    phase = Phase("pretrain", TensorRows(torch.arange(len(train_data))), step, recipe.epochs,
                  ShuffledBatches(min(recipe.batch_size, len(train_data)), drop_last=True, generator=gen),
                  released_adamw(recipe), callbacks=[selection])
    trainer = Trainer(TrainConfig(grad_clip=0.0, precision="fp32"), None, None, seed, device="cpu", progress=False)
    info = trainer.run(net, [phase]) if recipe.epochs > 0 else None
    final = copy.deepcopy(net.state_dict())
    return Trained(selected=selection.best_state or final, final=final, selected_epoch=selection.best_epoch,
                   history=info.history if info else [])
