"""EquiAV's augmentation-parameter vectors: layout, round trip (encode, apply, decode, re-apply) and the quirks."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reproductions.equiav import augment as aug

T, FQ, SIDE = 32, 20, 16


def _audio(seed: int, b: int = 6) -> torch.Tensor:
    return torch.randn(b, 1, T, FQ, generator=torch.Generator().manual_seed(seed))


def _images(seed: int, b: int = 6) -> torch.Tensor:
    return torch.rand(b, 1, SIDE, SIDE, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), quirks=st.booleans())
def test_audio_vector_round_trips_and_determines_the_view(seed: int, quirks: bool) -> None:
    cfg = aug.AugmentConfig(quirks=quirks)
    gen = torch.Generator().manual_seed(seed)
    p = aug.sample_audio(6, T, FQ, cfg, gen)
    t = aug.encode_audio(p, T, FQ, quirks)
    assert t.shape == (6, aug.AUDIO_DIM)
    back = aug.decode_audio(t, T, FQ, quirks)
    assert torch.allclose(aug.encode_audio(back, T, FQ, quirks), t, atol=1e-5)
    x = _audio(seed)
    assert torch.allclose(aug.render_audio(x, back, quirks), aug.render_audio(x, p, quirks), atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_visual_vector_round_trips_without_the_frame_quirk(seed: int) -> None:
    cfg = aug.AugmentConfig(quirks=False)
    p = aug.sample_visual(6, SIDE, cfg, torch.Generator().manual_seed(seed))
    t = aug.encode_visual(p, SIDE)
    assert t.shape == (6, aug.VISUAL_DIM)
    back = aug.decode_visual(t, SIDE)
    assert torch.allclose(aug.encode_visual(back, SIDE), t, atol=1e-6)
    x = _images(seed)
    assert torch.allclose(aug.render_visual(x, back), aug.render_visual(x, p), atol=1e-5)


def test_the_frame_quirk_makes_the_visual_view_undetermined_by_its_vector() -> None:
    cfg = aug.AugmentConfig(quirks=True, frame_shift=2)
    p = aug.sample_visual(64, SIDE, cfg, torch.Generator().manual_seed(0))
    shifted = (p.offset != 0).any(1)
    assert shifted.any()
    x = _images(1, 64)
    again = aug.render_visual(x, aug.decode_visual(aug.encode_visual(p, SIDE), SIDE))
    differs = (again - aug.render_visual(x, p)).abs().flatten(1).amax(1) > 1e-4
    assert torch.equal(differs, shifted)


def test_layout_fields_as_released() -> None:
    gen = torch.Generator().manual_seed(3)
    p = aug.sample_audio(256, T, FQ, aug.AugmentConfig(quirks=True), gen)
    t = aug.encode_audio(p, T, FQ, quirks=True)
    off = t[:, 12] == 0
    assert off.any() and torch.equal(t[off, 13:17], torch.arange(4.0).expand(int(off.sum()), 4))
    assert torch.all(t[:, 7] == 1)  # the crop always fires
    # quirk: top and height divided by F, left and width by T; fixed: each by its own axis
    assert torch.allclose(t[:, 8] * FQ, p.crop[:, 0]) and torch.allclose(t[:, 11] * T, p.crop[:, 3])
    fixed = aug.encode_audio(p, T, FQ, quirks=False)
    assert torch.allclose(fixed[:, 8] * T, p.crop[:, 0]) and torch.allclose(fixed[:, 11] * FQ, p.crop[:, 3])
    # quirk: raw mask indices; fixed: divided by the axis length
    on = t[:, 0] == 1
    assert torch.allclose(t[on, 2], p.tm_end[on]) and torch.allclose(fixed[on, 2] * T, p.tm_end[on])
    assert t[:, 1:7][~on].abs().sum() == 0
    v = aug.encode_visual(aug.sample_visual(256, SIDE, aug.AugmentConfig(), gen), SIDE)
    assert torch.all(v[:, 0] == 1) and torch.all((v[:, 1:5] >= 0) & (v[:, 1:5] <= 1))


def _only(p: aug.AudioParams, **fields: torch.Tensor) -> aug.AudioParams:
    for name, value in fields.items():
        setattr(p, name, value)
    return p


def test_audio_quirks_flip_frequency_skip_the_shift_and_clamp_under_jitter() -> None:
    x = _audio(5, 4) * 3
    yes = torch.ones(4, dtype=torch.bool)
    ident = aug.identity_audio(4, T, FQ)
    assert torch.allclose(aug.render_audio(x, ident, quirks=True), x, atol=1e-5)
    flip = _only(aug.identity_audio(4, T, FQ), flip=yes)
    assert torch.allclose(aug.render_audio(x, flip, quirks=True), x.flip(-1), atol=1e-5)  # frequency
    assert torch.allclose(aug.render_audio(x, flip, quirks=False), x.flip(-2), atol=1e-5)  # time
    shift = _only(aug.identity_audio(4, T, FQ), spec_on=yes, shift=torch.full((4,), 5.0))
    assert torch.allclose(aug.render_audio(x, shift, quirks=True), x, atol=1e-5)  # recorded, not applied
    assert torch.allclose(aug.render_audio(x, shift, quirks=False), x.roll(5, dims=2), atol=1e-5)
    jitter = _only(aug.identity_audio(4, T, FQ), cj_on=yes)  # factors 1: only the clamp can change anything
    clamped = aug.render_audio(x, jitter, quirks=True)
    assert clamped.min() >= 0 and clamped.max() <= 1 and not torch.allclose(clamped, x)
    assert torch.allclose(aug.render_audio(x, jitter, quirks=False), x, atol=1e-5)


def test_centroid_sets_come_from_the_same_sampler() -> None:
    gen = torch.Generator().manual_seed(0)
    p = aug.sample_audio(4096, T, FQ, aug.AugmentConfig(), gen)
    assert 0.75 < p.spec_on.float().mean() < 0.85 and 0.45 < p.flip.float().mean() < 0.55
    assert p.factors[:, :3].min() >= 0.6 and p.factors[:, :3].max() <= 1.4
    assert p.sigma.min() >= 0.1 and p.sigma.max() <= 2.0
