"""E-SSL's pieces: augmentations, rotations, loss, schedule, image layout, probes, and the memoised pre-training."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from harness.data.store import load_dataset
from harness.tasks import get_task
from reproductions.essl import model as essl
from reproductions.essl.probe import KNNProbe, LinearProbe, few_labels
from reproductions.essl.recipe import Augment, all_rotations, augment, info_nce, lr_at, random_resized_crop, rotate

TASK = get_task("digits-ssl")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_digit_halves_rejoin_into_the_original_images(digits) -> None:
    split = digits.split("train")
    images = essl.images_of(TASK, split)
    original = load_digits().images
    for i in (0, 17, len(split) - 1):
        index = int(str(split.ids[i]).split("-")[1])
        assert torch.equal(images[i, 0], torch.as_tensor(original[index] / 16.0, dtype=torch.float32))


def test_augment_is_seeded_and_keeps_shape_and_range() -> None:
    x = torch.rand(32, 3, 8, 8)
    aug = Augment(hflip=True, rotation_size=4)
    a = augment(x, aug, torch.Generator().manual_seed(1))
    b = augment(x, aug, torch.Generator().manual_seed(1))
    c = augment(x, aug, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and 0 <= a.min() and a.max() <= 1
    assert augment(x, aug, torch.Generator().manual_seed(1), size=4).shape == (32, 3, 4, 4)


def test_whole_square_crop_is_the_identity_and_a_half_crop_zooms() -> None:
    x = torch.rand(4, 1, 8, 8)
    whole = random_resized_crop(x, (1.0, 1.0), torch.Generator().manual_seed(0), ratio=(1.0, 1.0))
    assert torch.allclose(whole, x, atol=1e-6)
    quarter = random_resized_crop(x, (0.25, 0.25), torch.Generator().manual_seed(0), size=4, ratio=(1.0, 1.0))
    # a quarter of the area sampled on a 4x4 grid lands on pixel corners: averages of 2x2 input blocks
    assert quarter.shape == (4, 1, 4, 4)


def test_rotations_and_their_labels() -> None:
    x = torch.arange(2 * 9, dtype=torch.float32).reshape(2, 1, 3, 3)
    turned, labels = all_rotations(x)
    assert labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    for i, k in enumerate(labels.tolist()):
        assert torch.equal(turned[i], torch.rot90(x[i % 2], k, dims=(-2, -1)))
    k = torch.tensor([3, 1])
    out = rotate(x, k)
    assert torch.equal(out[0], torch.rot90(x[0], 3, (-2, -1))) and torch.equal(out[1], torch.rot90(x[1], 1, (-2, -1)))


def test_info_nce_rewards_matching_views() -> None:
    z = torch.randn(16, 8, generator=torch.Generator().manual_seed(0))
    matched = info_nce(z, z + 0.01, 0.5)
    shuffled = info_nce(z, z[torch.randperm(16, generator=torch.Generator().manual_seed(1))], 0.5)
    assert matched < shuffled
    assert info_nce(z, z, 0.5) == pytest.approx(info_nce(z, z, 0.5).item())


def test_warmup_then_cosine_schedule() -> None:
    assert lr_at(0, 100, 10, 1.0) == 0.0
    assert lr_at(5, 100, 10, 1.0) == pytest.approx(0.5)
    assert lr_at(10, 100, 10, 1.0) == pytest.approx(1.0)
    assert lr_at(55, 100, 10, 1.0) == pytest.approx(0.5)
    assert lr_at(100, 100, 10, 1.0) == pytest.approx(0.0, abs=1e-12)


def test_few_labels_are_per_class_and_seeded() -> None:
    labels = np.repeat(np.arange(3), 10)
    picked = few_labels(labels, 2, seed=0)
    assert np.bincount(labels[picked]).tolist() == [2, 2, 2]
    assert np.array_equal(picked, few_labels(labels, 2, seed=0))
    assert len(few_labels(labels, 0, seed=0)) == 30


def test_probes_return_class_scores() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), np.repeat(np.arange(4), 10)
    x[np.arange(40), y] += 5
    for probe in (LinearProbe(6, 1.0, 0), KNNProbe(6, 3, 0.1)):
        scores = probe.fit(x, y).scores(x)
        assert scores.shape == (40, 6) and np.allclose(scores.sum(1), 1) and (scores[:, 4:] == 0).all()
        assert (scores.argmax(1) == y).mean() > 0.9


def test_pretraining_is_memoised_and_identical_to_a_fresh_run(digits) -> None:
    config = dataclasses.replace(essl.ESimCLRConfig(), epochs=1, width=4, proj_dim=8)
    images = essl.images_of(TASK, digits.split("train"))
    first, record, cached = essl.pretrained_backbone(TASK, config, images, seed=3)
    assert not cached and record.history[0]["rot_loss"] > 0
    again, _, cached = essl.pretrained_backbone(TASK, dataclasses.replace(config, probe="knn"), images, seed=3)
    assert cached  # evaluation settings do not change the encoder
    essl._ENCODERS.clear()
    torch.manual_seed(123)  # global RNG state must not matter
    fresh, _, cached = essl.pretrained_backbone(TASK, config, images, seed=3)
    assert not cached
    for (name, a), b in zip(first.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_model_predicts_probabilities_and_records_rotation_diagnostics(digits) -> None:
    config = dataclasses.replace(essl.UntrainedConfig(), width=4)
    model = essl.build(TASK, digits, config, seed=0)
    model.fit(digits.split("train"), digits.split("valid"))
    scores = model.predict(digits.split("test"))
    assert scores.shape == (len(digits.split("test")), 10) and np.allclose(scores.sum(1), 1)
    extras = model.info.extras
    assert extras["labelled_items"] == 50
    assert 0 <= extras["rot_invariance_error"] and 0.25 <= extras["rot_prediction_acc"] <= 1
    assert math.isfinite(extras["rot_equivariance_error"])


def test_unknown_image_layout_is_a_user_error(digits) -> None:
    from harness.errors import UserError

    with pytest.raises(UserError, match="pixel layout of dataset 'breast_cancer' is unknown"):
        essl.images_of(get_task("breast-cancer-views"), load_dataset("breast_cancer").split("train"))
