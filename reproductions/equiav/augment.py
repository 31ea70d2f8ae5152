"""EquiAV's augmented views and their parameter vectors (24-d audio, 18-d visual), batched and seeded.

The layouts follow ``datasets/AudioVisual.py`` of JongSuk1/EquiAV (read, not copied; see README.md), field by field:

audio ``t_a`` (24)                                visual ``t_v`` (18)
  0 SpecAugment on   1-2 time-mask start, end       0 crop on (always)   1-4 top, left, height, width (/ H, W)
  3-4 freq-mask start, end   5 time shift on        5 colour jitter on   6-9 order of (b, c, s, h)
  6 shift / T   7 crop on (always)                  10-13 b-1, c-1, s-1, hue
  8-11 top, left, height, width (see quirks)        14 blur on   15 sigma
  12 colour jitter on   13-16 order   17-20 b-1,    16 horizontal flip   17 grayscale
  c-1, s-1, hue   21 blur on   22 sigma   23 flip

When colour jitter does not fire, the order slots hold 0, 1, 2, 3 (as released), not zeros.

``quirks=True`` (the default, as released) keeps the official code's behaviour; ``quirks=False`` (the ``fixed``
ablation) corrects it:

=================================  ===================================  ==================================
quirk (released)                   ``quirks=True``                      ``quirks=False``
=================================  ===================================  ==================================
time shift rolls the channel axis  recorded, not applied                applied along time
mask indices                       raw frame / bin indices              divided by T / F
audio crop offsets and sizes       divided by the *other* axis          divided by their own axis
colour jitter on a spectrogram     clamps the normalised values to      no clamp
                                   [0, 1] after each of b, c, s
audio horizontal flip              flips frequency                      flips time
augmented visual view              starts from a different frame: here  starts from the same image
                                   an unrecorded shift of up to
                                   ``frame_shift`` pixels
=================================  ===================================  ==================================

Everything is vectorised over the batch (one ``grid_sample`` per crop) and every random number comes from one
``torch.Generator``. Parameters are sampled first (:func:`sample_audio` / :func:`sample_visual`), then rendered
(:func:`render_audio` / :func:`render_visual`), so the centroid's parameter sets are drawn from the same
distributions without rendering anything, and a decoded vector can be re-applied (:func:`decode_audio`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

AUDIO_DIM, VISUAL_DIM = 24, 18
# Official widths on a 1024-frame x 128-bin spectrogram; scaled here by the axis lengths.
TIME_MASK_FRACTION, FREQ_MASK_FRACTION = 192 / 1024, 48 / 128
# Official audio crop aspect ratio (width/height = freq/time) is (0.1, 0.1875) on 128/1024; relative to the
# spectrogram's own aspect that is (0.8, 1.5), which we keep.
AUDIO_RATIO_RELATIVE = (0.1 / (128 / 1024), 0.1875 / (128 / 1024))
VISUAL_RATIO = (3 / 4, 4 / 3)
JITTER = (0.6, 1.4)
HUE = (-0.1, 0.1)
SIGMA = (0.1, 2.0)


@dataclass(frozen=True)
class AugmentConfig:
    quirks: bool = True
    audio_crop_scale: tuple[float, float] = (0.08, 1.0)  # as released
    visual_crop_scale: tuple[float, float] = (0.25, 1.0)  # released (0.08, 1); 8x8 digits vanish below ~1/4
    frame_shift: int = 2  # pixels (of the 16x16 upsampled image) of the unrecorded "other frame" shift


@dataclass
class Params:
    """Per-sample parameters of one augmented view (tensors of length B, or (B, 4) for the jitter order)."""

    def batch(self) -> int:
        return len(next(iter(vars(self).values())))


@dataclass
class AudioParams(Params):
    spec_on: torch.Tensor
    tm_start: torch.Tensor
    tm_end: torch.Tensor
    fm_start: torch.Tensor
    fm_end: torch.Tensor
    shift: torch.Tensor
    crop: torch.Tensor  # (B, 4): top, left, height, width in frames / bins
    cj_on: torch.Tensor
    order: torch.Tensor  # (B, 4)
    factors: torch.Tensor  # (B, 4): brightness, contrast, saturation factors and hue
    blur_on: torch.Tensor
    sigma: torch.Tensor
    flip: torch.Tensor


@dataclass
class VisualParams(Params):
    crop: torch.Tensor  # (B, 4) in pixels
    cj_on: torch.Tensor
    order: torch.Tensor
    factors: torch.Tensor
    blur_on: torch.Tensor
    sigma: torch.Tensor
    flip: torch.Tensor
    gray: torch.Tensor
    offset: torch.Tensor  # (B, 2) unrecorded shift (rows, cols) in pixels: the "different frame" quirk


def _uniform(b: int, lo: float, hi: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(b, generator=gen) * (hi - lo) + lo


def _bernoulli(b: int, p: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(b, generator=gen) < p


def crop_boxes(b: int, height: int, width: int, scale: tuple[float, float], ratio: tuple[float, float],
               gen: torch.Generator) -> torch.Tensor:
    """(B, 4) integer boxes (top, left, h, w) as torchvision's ``RandomResizedCrop.get_params``: ten tries of
    area x ratio (log-uniform), the first that fits wins; otherwise the central crop with the ratio clamped."""
    area = height * width
    tries = 10
    target = area * (torch.rand(b, tries, generator=gen) * (scale[1] - scale[0]) + scale[0])
    log_r = torch.rand(b, tries, generator=gen) * (math.log(ratio[1]) - math.log(ratio[0])) + math.log(ratio[0])
    aspect = torch.exp(log_r)
    w = torch.round(torch.sqrt(target * aspect))
    h = torch.round(torch.sqrt(target / aspect))
    fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
    first = torch.where(fits.any(1), fits.float().argmax(1), torch.full((b,), -1))
    u_top, u_left = torch.rand(b, generator=gen), torch.rand(b, generator=gen)
    in_ratio = width / height
    if in_ratio < ratio[0]:
        fw, fh = width, round(width / ratio[0])
    elif in_ratio > ratio[1]:
        fw, fh = round(height * ratio[1]), height
    else:
        fw, fh = width, height
    pick = first.clamp(min=0)
    hh = torch.where(first >= 0, h[torch.arange(b), pick], torch.full((b,), float(fh)))
    ww = torch.where(first >= 0, w[torch.arange(b), pick], torch.full((b,), float(fw)))
    top = torch.where(first >= 0, torch.floor(u_top * (height - hh + 1)), torch.full((b,), float((height - fh) // 2)))
    left = torch.where(first >= 0, torch.floor(u_left * (width - ww + 1)), torch.full((b,), float((width - fw) // 2)))
    return torch.stack([top, left, hh, ww], 1)


def _jitter_params(b: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    on = _bernoulli(b, 0.8, gen)
    order = torch.argsort(torch.rand(b, 4, generator=gen), dim=1)
    order = torch.where(on[:, None], order, torch.arange(4).expand(b, 4))
    factors = torch.stack([_uniform(b, *JITTER, gen), _uniform(b, *JITTER, gen), _uniform(b, *JITTER, gen),
                           _uniform(b, *HUE, gen)], 1)
    return on, order, factors


def sample_audio(b: int, time: int, freq: int, cfg: AugmentConfig, gen: torch.Generator) -> AudioParams:
    """Parameters of ``b`` augmented audio views of a (time x freq) spectrogram."""
    timem, freqm = TIME_MASK_FRACTION * time, FREQ_MASK_FRACTION * freq
    tm_value = torch.rand(b, generator=gen) * timem
    tm_min = torch.rand(b, generator=gen) * (time - tm_value)
    fm_value = torch.rand(b, generator=gen) * freqm
    fm_min = torch.rand(b, generator=gen) * (freq - fm_value)
    spec_on = _bernoulli(b, 0.8, gen)
    shift = torch.randint(-time, time, (b,), generator=gen).float()
    ratio = (AUDIO_RATIO_RELATIVE[0] * freq / time, AUDIO_RATIO_RELATIVE[1] * freq / time)
    crop = crop_boxes(b, time, freq, cfg.audio_crop_scale, ratio, gen)
    cj_on, order, factors = _jitter_params(b, gen)
    blur_on, sigma = _bernoulli(b, 0.5, gen), _uniform(b, *SIGMA, gen)
    flip = _bernoulli(b, 0.5, gen)
    return AudioParams(spec_on, tm_min.floor(), tm_min.floor() + tm_value.floor(), fm_min.floor(),
                       fm_min.floor() + fm_value.floor(), shift, crop, cj_on, order, factors, blur_on, sigma, flip)


def sample_visual(b: int, size: int, cfg: AugmentConfig, gen: torch.Generator) -> VisualParams:
    """Parameters of ``b`` augmented views of a ``size`` x ``size`` image."""
    crop = crop_boxes(b, size, size, cfg.visual_crop_scale, VISUAL_RATIO, gen)
    cj_on, order, factors = _jitter_params(b, gen)
    blur_on, sigma = _bernoulli(b, 0.5, gen), _uniform(b, *SIGMA, gen)
    flip, gray = _bernoulli(b, 0.5, gen), _bernoulli(b, 0.2, gen)
    k = cfg.frame_shift if cfg.quirks else 0
    offset = torch.randint(-k, k + 1, (b, 2), generator=gen).float()
    return VisualParams(crop, cj_on, order, factors, blur_on, sigma, flip, gray, offset)


def identity_audio(b: int, time: int, freq: int) -> AudioParams:
    """Parameters of a view where nothing fired (the crop, always on, takes the whole spectrogram)."""
    zero, no = torch.zeros(b), torch.zeros(b, dtype=torch.bool)
    return AudioParams(no, zero, zero, zero, zero, zero, torch.tensor([[0.0, 0.0, time, freq]]).repeat(b, 1), no,
                       torch.arange(4).repeat(b, 1), torch.tensor([[1.0, 1.0, 1.0, 0.0]]).repeat(b, 1), no,
                       zero, no)


def identity_visual(b: int, size: int) -> VisualParams:
    """Parameters of a visual view where nothing fired (whole-image crop)."""
    zero, no = torch.zeros(b), torch.zeros(b, dtype=torch.bool)
    return VisualParams(torch.tensor([[0.0, 0.0, size, size]]).repeat(b, 1), no, torch.arange(4).repeat(b, 1),
                        torch.tensor([[1.0, 1.0, 1.0, 0.0]]).repeat(b, 1), no, zero, no, no, torch.zeros(b, 2))


# ---- parameter vectors ---------------------------------------------------------------------------------------

def _on(x: torch.Tensor) -> torch.Tensor:
    return x.float()


def encode_audio(p: AudioParams, time: int, freq: int, quirks: bool) -> torch.Tensor:
    """(B, 24) ``t_a``. Quirks: raw mask indices, crop fields divided by the other axis (top/height by F)."""
    spec = _on(p.spec_on)
    mask_t, mask_f = (1.0, 1.0) if quirks else (float(time), float(freq))
    crop_div = torch.tensor([freq, time, freq, time] if quirks else [time, freq, time, freq], dtype=torch.float32)
    cj = _on(p.cj_on)
    return torch.cat([
        spec[:, None],
        (torch.stack([p.tm_start / mask_t, p.tm_end / mask_t, p.fm_start / mask_f, p.fm_end / mask_f], 1)
         * spec[:, None]),
        spec[:, None], (p.shift / time * spec)[:, None],
        torch.ones(p.batch(), 1), p.crop / crop_div,
        cj[:, None], p.order.float(), (p.factors - torch.tensor([1.0, 1.0, 1.0, 0.0])) * cj[:, None],
        _on(p.blur_on)[:, None], (p.sigma * _on(p.blur_on))[:, None],
        _on(p.flip)[:, None],
    ], 1)


def encode_visual(p: VisualParams, size: int) -> torch.Tensor:
    """(B, 18) ``t_v`` (crop normalised by its own axis, as released). The frame offset is not recorded."""
    cj = _on(p.cj_on)
    return torch.cat([
        torch.ones(p.batch(), 1), p.crop / size,
        cj[:, None], p.order.float(), (p.factors - torch.tensor([1.0, 1.0, 1.0, 0.0])) * cj[:, None],
        _on(p.blur_on)[:, None], (p.sigma * _on(p.blur_on))[:, None],
        _on(p.flip)[:, None], _on(p.gray)[:, None],
    ], 1)


def decode_audio(t: torch.Tensor, time: int, freq: int, quirks: bool) -> AudioParams:
    """Inverse of :func:`encode_audio` (exact for fields that fired; rounding undoes float division)."""
    mask_t, mask_f = (1.0, 1.0) if quirks else (float(time), float(freq))
    crop_div = torch.tensor([freq, time, freq, time] if quirks else [time, freq, time, freq], dtype=torch.float32)
    cj_on = t[:, 12] > 0.5
    return AudioParams(
        spec_on=t[:, 0] > 0.5, tm_start=torch.round(t[:, 1] * mask_t), tm_end=torch.round(t[:, 2] * mask_t),
        fm_start=torch.round(t[:, 3] * mask_f), fm_end=torch.round(t[:, 4] * mask_f),
        shift=torch.round(t[:, 6] * time), crop=torch.round(t[:, 8:12] * crop_div), cj_on=cj_on,
        order=t[:, 13:17].round().long(), factors=t[:, 17:21] + torch.tensor([1.0, 1.0, 1.0, 0.0]),
        blur_on=t[:, 21] > 0.5, sigma=t[:, 22], flip=t[:, 23] > 0.5)


def decode_visual(t: torch.Tensor, size: int) -> VisualParams:
    """Inverse of :func:`encode_visual`; the unrecorded frame offset decodes as zero."""
    return VisualParams(crop=torch.round(t[:, 1:5] * size), cj_on=t[:, 5] > 0.5, order=t[:, 6:10].round().long(),
                        factors=t[:, 10:14] + torch.tensor([1.0, 1.0, 1.0, 0.0]), blur_on=t[:, 14] > 0.5,
                        sigma=t[:, 15], flip=t[:, 16] > 0.5, gray=t[:, 17] > 0.5,
                        offset=torch.zeros(len(t), 2))


# ---- rendering -----------------------------------------------------------------------------------------------

def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, *([1] * (a.dim() - 1))), a, b)


def resized_crop(x: torch.Tensor, boxes: torch.Tensor, offset: torch.Tensor | None = None) -> torch.Tensor:
    """Crop box (top, left, h, w) of every image in x (B, C, H, W), resized back to (H, W), bilinear.
    ``offset`` (rows, cols) moves the box without being part of it (zero padding outside the image)."""
    b, _, height, width = x.shape
    top, left, h, w = boxes.unbind(1)
    if offset is not None:
        top, left = top + offset[:, 0], left + offset[:, 1]
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = w / width, h / height
    theta[:, 0, 2] = (2 * left + w) / width - 1
    theta[:, 1, 2] = (2 * top + h) / height - 1
    grid = F.affine_grid(theta, [b, x.shape[1], height, width], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _gray_mean(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=(1, 2, 3), keepdim=True)


def colour_jitter(x: torch.Tensor, on: torch.Tensor, order: torch.Tensor, factors: torch.Tensor,
                  clamp: bool) -> torch.Tensor:
    """Brightness, contrast, saturation and hue in each sample's order, as torchvision's tensor ops on an image
    whose channels are equal: saturation and hue leave it unchanged; each of b, c, s blends and (``clamp``)
    clamps to [0, 1] as torchvision does for float tensors."""
    out = x
    view = (-1, 1, 1, 1)
    for pos in range(4):
        op = order[:, pos]
        bright = out * factors[:, 0].view(view)
        mean = _gray_mean(out)
        contrast = (out - mean) * factors[:, 1].view(view) + mean
        new = torch.where((op == 0).view(view), bright, torch.where((op == 1).view(view), contrast, out))
        if clamp:
            new = torch.where((op <= 2).view(view), new.clamp(0, 1), new)
        out = new
    return _where(on, out, x)


def gaussian_blur(x: torch.Tensor, on: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Per-sample separable Gaussian blur, kernel 2*ceil(sigma)+1 (as the released audio path), reflect padding."""
    b, c, h, w = x.shape
    radius = 2  # ceil(sigma) <= 2 for sigma <= 2
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    sigma = sigma.clamp(min=SIGMA[0])  # steps that did not fire decode as sigma 0
    own = torch.ceil(sigma)[:, None]
    kernel = torch.exp(-0.5 * (taps[None] / sigma[:, None]) ** 2) * (taps.abs()[None] <= own)
    kernel = kernel / kernel.sum(1, keepdim=True)
    pad = min(radius, h - 1, w - 1)
    flat = x.reshape(1, b * c, h, w)
    flat = F.pad(flat, (pad, pad, pad, pad), mode="reflect")
    k = kernel.repeat_interleave(c, 0)
    if pad < radius:
        k = k[:, radius - pad: radius + pad + 1]
        k = k / k.sum(1, keepdim=True)
    flat = F.conv2d(flat, k[:, None, None, :], groups=b * c)
    flat = F.conv2d(flat, k[:, None, :, None], groups=b * c)
    return _where(on, flat.reshape(b, c, h, w), x)


def render_audio(x: torch.Tensor, p: AudioParams, quirks: bool) -> torch.Tensor:
    """The augmented view of spectrograms x (B, 1, T, F) (normalised) under parameters p."""
    _, _, time, freq = x.shape
    t_idx = torch.arange(time).view(1, 1, time, 1)
    f_idx = torch.arange(freq).view(1, 1, 1, freq)
    view = (-1, 1, 1, 1)
    masked = ((t_idx >= p.tm_start.view(view)) & (t_idx < p.tm_end.view(view))) | \
             ((f_idx >= p.fm_start.view(view)) & (f_idx < p.fm_end.view(view)))
    out = _where(p.spec_on, x.masked_fill(masked, 0.0), x)
    if not quirks:  # the released roll acts on identical channels: a no-op; fixed: roll along time
        idx = (torch.arange(time)[None] - p.shift.long()[:, None]) % time
        rolled = torch.gather(out, 2, idx[:, None, :, None].expand_as(out))
        out = _where(p.spec_on, rolled, out)
    out = resized_crop(out, p.crop)
    out = colour_jitter(out, p.cj_on, p.order, p.factors, clamp=quirks)
    out = gaussian_blur(out, p.blur_on, p.sigma)
    return _where(p.flip, out.flip(-1 if quirks else -2), out)


def render_visual(x: torch.Tensor, p: VisualParams) -> torch.Tensor:
    """The augmented view of images x (B, 1, S, S) in [0, 1] (clamped like PIL's 8-bit images)."""
    out = resized_crop(x, p.crop, p.offset)
    out = colour_jitter(out, p.cj_on, p.order, p.factors, clamp=True)
    out = gaussian_blur(out, p.blur_on, p.sigma)
    return _where(p.flip, out.flip(-1), out)  # grayscale: a no-op on grey digits (recorded all the same)


def time_roll(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The released original audio view in pre-training: a circular roll along time by U[-T, T)."""
    time = x.shape[2]
    shift = torch.randint(-time, time, (x.shape[0],), generator=gen)
    idx = (torch.arange(time)[None] - shift[:, None]) % time
    return torch.gather(x, 2, idx[:, None, :, None].expand_as(x))
