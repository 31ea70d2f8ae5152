"""Batched image augmentations for contrastive pre-training: one random view of every image in a batch at once.

Vectorised over the batch in torch (one ``grid_sample`` per view, no per-image Python loop) and drawing every random
number from one explicit ``torch.Generator``, so a run depends only on its seed. Images are (B, C, H, W) in [0, 1];
random numbers are drawn on the CPU generator and the views computed where the images are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


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
    grid = F.affine_grid(theta.to(x.device), [b, x.shape[1], side, side], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, 1, 1, 1).to(a.device), a, b)


def jitter(x: torch.Tensor, strength: float, p: float, gen: torch.Generator) -> torch.Tensor:
    """Brightness, contrast and (for colour images) saturation factors in [1-s, 1+s], applied with probability p.

    The recipe's hue jitter is left out (it needs an HSV round trip and is a no-op on grey digits).
    """
    if strength <= 0:
        return x
    b = x.shape[0]

    def factor() -> torch.Tensor:
        return torch.empty(b, 1, 1, 1).uniform_(1 - strength, 1 + strength, generator=gen).to(x.device)

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
    return turns[k.to(x.device), torch.arange(x.shape[0], device=x.device)]


def all_rotations(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every image rotated 0, 90, 180 and 270 degrees (4B images) and the rotation labels 0..3."""
    turns = torch.cat([torch.rot90(x, r, dims=(-2, -1)) for r in range(4)])
    labels = torch.arange(4, device=x.device).repeat_interleave(x.shape[0])
    return turns, labels
