"""E-SSL training protocol: augmentations, losses and the pre-training loop (after ``rdangovs/essl`` cifar10/main.py).

What is kept from the official CIFAR-10 recipe (see README.md for the full list): two independently augmented
SSL views plus a third, independent view that is rotated all four ways and labelled 0..3; cross-view InfoNCE with
temperature 0.5 (the repository's "SimCLR", whose negatives come from the other view only); a rotation head on the
*backbone* features; separate forward passes per view (so BatchNorm statistics are per view); SGD with momentum 0.9
and weight decay on every parameter; lr = base x batch/256 with a per-iteration linear warm-up then cosine decay.
What is scaled down is the network, the number of epochs and the crop sizes (8x8 digits cannot be cut to 16x16).

Augmentations are vectorised over the batch in torch (no per-image Python loop) and draw every random number
from one explicit ``torch.Generator``, so a run depends only on its seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Augment:
    """Per-dataset view augmentation: random resized crop, optional flip, brightness/contrast/saturation jitter."""

    crop_scale: tuple[float, float] = (0.2, 1.0)
    rotation_crop_scale: tuple[float, float] = (0.2, 1.0)
    rotation_size: int = 16  # side of the rotated crops (the recipe: 16 on 32x32 images)
    hflip: bool = True
    jitter: float = 0.4  # brightness, contrast and saturation strength (the recipe's ColorJitter 0.4)
    jitter_p: float = 0.8
    grayscale_p: float = 0.2


def random_resized_crop(x: torch.Tensor, scale: tuple[float, float], gen: torch.Generator, size: int | None = None,
                        ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> torch.Tensor:
    """Crop a random box of area fraction in ``scale`` and aspect ratio in ``ratio``, resized to ``size`` squared
    (default: the input size).

    One affine grid per image (bilinear), so the whole batch is one ``grid_sample`` call.
    """
    b = x.shape[0]
    area = torch.empty(b).uniform_(*scale, generator=gen)
    log_ratio = torch.empty(b).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=gen)
    aspect = torch.exp(log_ratio)
    w = torch.sqrt(area * aspect).clamp(max=1.0)
    h = torch.sqrt(area / aspect).clamp(max=1.0)
    cx = (torch.rand(b, generator=gen) * 2 - 1) * (1 - w)
    cy = (torch.rand(b, generator=gen) * 2 - 1) * (1 - h)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = w, cx
    theta[:, 1, 1], theta[:, 1, 2] = h, cy
    side = size or x.shape[-1]
    grid = F.affine_grid(theta, [b, x.shape[1], side, side], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), a, b)


def jitter(x: torch.Tensor, strength: float, p: float, gen: torch.Generator) -> torch.Tensor:
    """Brightness, contrast and (for colour images) saturation factors in [1-s, 1+s], applied with probability p.

    The recipe's hue jitter is left out (it needs an HSV round trip and is a no-op on grey digits).
    """
    if strength <= 0:
        return x
    b = x.shape[0]

    def factor() -> torch.Tensor:
        return torch.empty(b, 1, 1, 1).uniform_(1 - strength, 1 + strength, generator=gen)

    out = x * factor()
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * factor() + mean
    if x.shape[1] == 3:
        grey = out.mean(dim=1, keepdim=True)
        out = (out - grey) * factor() + grey
    return _where(torch.rand(b, generator=gen) < p, out, x)


def augment(x: torch.Tensor, aug: Augment, gen: torch.Generator, scale: tuple[float, float] | None = None,
            size: int | None = None) -> torch.Tensor:
    """One random view of every image in ``x`` (B, C, H, W), pixel values in [0, 1], ``size`` pixels square."""
    out = random_resized_crop(x, scale or aug.crop_scale, gen, size)
    if aug.hflip:
        out = _where(torch.rand(x.shape[0], generator=gen) < 0.5, out.flip(-1), out)
    out = jitter(out, aug.jitter, aug.jitter_p, gen)
    if x.shape[1] == 3 and aug.grayscale_p > 0:
        grey = out.mean(dim=1, keepdim=True).expand_as(out)
        out = _where(torch.rand(x.shape[0], generator=gen) < aug.grayscale_p, grey, out)
    return out.clamp(0, 1)


def rotate(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Rotate image i by ``k[i]`` quarter turns (counter-clockwise), for the whole batch at once."""
    turns = torch.stack([torch.rot90(x, r, dims=(-2, -1)) for r in range(4)])  # (4, B, C, H, W)
    return turns[k, torch.arange(x.shape[0])]


def all_rotations(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image rotated 0, 90, 180 and 270 degrees (4B images) and the rotation labels 0..3."""
    turns = torch.cat([torch.rot90(x, r, dims=(-2, -1)) for r in range(4)])
    labels = torch.arange(4).repeat_interleave(x.shape[0])
    return turns, labels


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Cross-view InfoNCE as coded in the official repository: logits z1·z2ᵀ/τ, targets on the diagonal,
    averaged over both directions. Each anchor sees B-1 negatives from the *other* view only (not NT-Xent's 2B-2)."""
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = z1 @ z2.T / temperature
    target = torch.arange(z1.shape[0])
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    """Per-iteration linear warm-up from 0 to ``peak`` over ``warmup`` steps, then cosine decay to 0."""
    if step < warmup:
        return peak * step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class Protocol:
    """Optimisation and objective of one pre-training run."""

    epochs: int
    batch_size: int
    base_lr: float  # scaled by batch_size/256, as in the recipe
    warmup_epochs: int
    momentum: float
    weight_decay: float
    temperature: float
    lmbd: float  # weight of the rotation-prediction loss (0 = plain SimCLR)
    rotation_invariance: bool  # rotate each SSL view by a random quarter turn (rotation as an invariance)


def pretrain(backbone: nn.Module, projector: nn.Module, rotation_head: nn.Module, images: torch.Tensor,
             protocol: Protocol, aug: Augment, gen: torch.Generator) -> list[dict[str, float]]:
    """Pre-train in place and return one history row per epoch (losses, rotation accuracy, lr).

    Raises ``FloatingPointError`` on a non-finite loss so the run is recorded as failed, not silently kept.
    """
    params = [*backbone.parameters(), *projector.parameters()]
    if protocol.lmbd > 0:
        params += list(rotation_head.parameters())
    optimiser = torch.optim.SGD(params, lr=0.0, momentum=protocol.momentum, weight_decay=protocol.weight_decay)
    n = images.shape[0]
    batch = min(protocol.batch_size, n)
    steps_per_epoch = n // batch  # drop_last, as in the recipe
    total = protocol.epochs * steps_per_epoch
    peak = protocol.base_lr * batch / 256
    history, step = [], 0
    for module in (backbone, projector, rotation_head):
        module.train()
    for epoch in range(protocol.epochs):
        order = torch.randperm(n, generator=gen)
        sums = {"ssl_loss": 0.0, "rot_loss": 0.0, "rot_acc": 0.0}
        for i in range(steps_per_epoch):
            x = images[order[i * batch:(i + 1) * batch]]
            lr = lr_at(step, total, protocol.warmup_epochs * steps_per_epoch, peak)
            for group in optimiser.param_groups:
                group["lr"] = lr
            v1, v2 = augment(x, aug, gen), augment(x, aug, gen)
            if protocol.rotation_invariance:
                v1 = rotate(v1, torch.randint(0, 4, (batch,), generator=gen))
                v2 = rotate(v2, torch.randint(0, 4, (batch,), generator=gen))
            loss = ssl = info_nce(projector(backbone(v1)), projector(backbone(v2)), protocol.temperature)
            if protocol.lmbd > 0:
                turned, labels = all_rotations(augment(x, aug, gen, aug.rotation_crop_scale, aug.rotation_size))
                logits = rotation_head(backbone(turned))
                rot = F.cross_entropy(logits, labels)
                loss = ssl + protocol.lmbd * rot
                sums["rot_loss"] += rot.item()
                sums["rot_acc"] += (logits.argmax(1) == labels).float().mean().item()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite pre-training loss at epoch {epoch}, step {i}")
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            sums["ssl_loss"] += ssl.item()
            step += 1
        row = {"epoch": epoch, "lr": lr, **{k: v / steps_per_epoch for k, v in sums.items()}}
        if protocol.lmbd <= 0:
            row.pop("rot_loss"), row.pop("rot_acc")
        history.append(row)
    return history
