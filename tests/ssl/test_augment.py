"""Batched augmentations: seeded, shape- and range-preserving, crops and quarter turns as specified."""

from __future__ import annotations

import torch

from harness.ssl.augment import Augment, all_rotations, augment, random_resized_crop, rotate


def test_augment_is_seeded_and_keeps_shape_and_range():
    x = torch.rand(32, 3, 8, 8)
    aug = Augment(hflip=True, rotation_size=4)
    a = augment(x, aug, torch.Generator().manual_seed(1))
    b = augment(x, aug, torch.Generator().manual_seed(1))
    c = augment(x, aug, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and 0 <= a.min() and a.max() <= 1
    assert augment(x, aug, torch.Generator().manual_seed(1), size=4).shape == (32, 3, 4, 4)


def test_whole_square_crop_is_the_identity_and_a_quarter_crop_at_half_size_keeps_the_pixel_pitch():
    x = torch.rand(4, 1, 8, 8)
    whole = random_resized_crop(x, (1.0, 1.0), torch.Generator().manual_seed(0), ratio=(1.0, 1.0))
    assert torch.allclose(whole, x, atol=1e-6)
    # a horizontal ramp (pixel value = column): bilinear sampling of a linear image is exact, so a crop of a
    # quarter of the area (half the side) resized to 4x4 samples one input pixel apart, at a random offset
    ramp = torch.arange(8.0).expand(4, 1, 8, 8)
    quarter = random_resized_crop(ramp, (0.25, 0.25), torch.Generator().manual_seed(0), size=4, ratio=(1.0, 1.0))
    assert quarter.shape == (4, 1, 4, 4)
    torch.testing.assert_close(quarter.diff(dim=-1), torch.ones(4, 1, 4, 3))


def test_rotations_and_their_labels():
    x = torch.arange(2 * 9, dtype=torch.float32).reshape(2, 1, 3, 3)
    turned, labels = all_rotations(x)
    assert labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    for i, k in enumerate(labels.tolist()):
        assert torch.equal(turned[i], torch.rot90(x[i % 2], k, dims=(-2, -1)))
    k = torch.tensor([3, 1])
    out = rotate(x, k)
    assert torch.equal(out[0], torch.rot90(x[0], 3, (-2, -1))) and torch.equal(out[1], torch.rot90(x[1], 1, (-2, -1)))
