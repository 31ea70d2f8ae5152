"""equivariance_error / invariance_error on models whose symmetry is known, and on ones that lack it.

A measurement that is always 0 proves nothing, so every "is equivariant" check is paired with a model
that is not, and the error must then be large.
"""

import math

import pytest
import torch
from torch import nn

from harness.equivariance import (
    AugmentationLayout,
    CircularShift,
    Crop,
    Identity,
    Permutation,
    Slot,
    equivariance_error,
    hflip,
    invariance_error,
    rot90,
)

EXACT = 1e-5  # float32 round-off through a few layers
BROKEN = 1e-2


@pytest.fixture(autouse=True)
def seeded() -> None:
    torch.manual_seed(0)


def transformer(positional: bool) -> nn.Module:
    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.position = nn.Parameter(torch.randn(1, 7, 16)) if positional else None

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.encoder(tokens + self.position if self.position is not None else tokens)

    return Encoder().eval()


def test_transformer_without_positions_is_permutation_equivariant() -> None:
    tokens = torch.randn(3, 7, 16)
    g = Permutation((3, 0, 6, 1, 5, 2, 4))
    assert equivariance_error(transformer(positional=False), g, g, tokens) < EXACT


def test_mean_pooled_transformer_is_permutation_invariant() -> None:
    model = transformer(positional=False)
    tokens = torch.randn(3, 7, 16)
    assert (
        invariance_error(lambda x: model(x).mean(dim=1), Permutation((6, 5, 4, 3, 2, 1, 0)), tokens) < EXACT
    )


def test_positional_embeddings_break_permutation_equivariance_and_are_detected() -> None:
    tokens = torch.randn(3, 7, 16)
    g = Permutation((3, 0, 6, 1, 5, 2, 4))
    assert equivariance_error(transformer(positional=True), g, g, tokens) > BROKEN


def test_circular_convolution_is_shift_equivariant_and_zero_padding_is_not() -> None:
    spectrogram = torch.randn(2, 4, 50)  # (batch, frequency bins as channels, time)
    shift = CircularShift(7, dim=-1)
    circular = nn.Conv1d(4, 8, kernel_size=5, padding=2, padding_mode="circular")
    zeros = nn.Conv1d(4, 8, kernel_size=5, padding=2, padding_mode="zeros")
    assert equivariance_error(circular, shift, shift, spectrogram) < EXACT
    assert equivariance_error(zeros, shift, shift, spectrogram) > BROKEN


def test_framewise_model_is_crop_equivariant() -> None:
    frames = torch.randn(2, 4, 50)
    crop = Crop(10, 20, dim=-1)
    framewise = nn.Conv1d(4, 8, kernel_size=1)
    assert equivariance_error(framewise, crop, crop, frames) < EXACT


def test_cnn_is_not_rotation_invariant_until_averaged_over_c4() -> None:
    """E-SSL's premise: a plain CNN is sensitive to rotations; symmetrising over C4 removes that."""
    images = torch.randn(4, 3, 16, 16)
    cnn = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    assert invariance_error(cnn, rot90(), images) > BROKEN

    def averaged(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([cnn(rot90(k)(x)) for k in range(4)]).mean(dim=0)

    for g in (rot90(1), rot90(2), rot90(3)):
        assert invariance_error(averaged, g, images) < EXACT


def test_output_action_may_be_a_predictor_given_the_parameter_vector() -> None:
    """EquiAV-style: f(t(x)) is compared with u(f(x), t), where u only sees t's parameter vector."""
    layout = AugmentationLayout([Slot("time_shift", 1, scale=50), Slot("flip", 2)])
    spectrogram = torch.randn(2, 16, 50)  # (batch, frequency, time)
    f = nn.Sequential(nn.Conv1d(16, 16, kernel_size=1)).eval()  # per-frame in time; mixes frequencies
    steps = {"time_shift": CircularShift(5, dim=-1)}
    t = layout.encode(steps)

    def predictor(h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return torch.roll(h, round(float(t[1]) * 50), -1) if t[0] else h

    assert equivariance_error(f, layout.compose(steps), lambda h: predictor(h, t), spectrogram) < EXACT
    flipped = {"flip": hflip(dims=(-2, -1))}  # flips time here; the predictor ignores it, so it shows
    assert (
        equivariance_error(
            f, layout.compose(flipped), lambda h: predictor(h, layout.encode(flipped)), spectrogram
        )
        > BROKEN
    )


def test_error_conventions() -> None:
    x = torch.randn(3, 4)
    assert equivariance_error(lambda v: v, Identity(), Identity(), x) == 0.0
    double = lambda v: 2 * v  # noqa: E731
    assert equivariance_error(Identity(), double, Identity(), x) == pytest.approx(1.0)
    absolute = equivariance_error(Identity(), double, Identity(), x, relative=False)
    assert absolute == pytest.approx(float(torch.linalg.vector_norm(x)), rel=1e-6)
    assert equivariance_error(lambda v: torch.zeros_like(v), Identity(), Identity(), x) == 0.0
    assert math.isinf(equivariance_error(lambda v: v, Identity(), lambda v: torch.zeros_like(v), x))
    with pytest.raises(ValueError, match="shape"):
        equivariance_error(lambda v: v, Identity(), lambda v: v.T, x)
