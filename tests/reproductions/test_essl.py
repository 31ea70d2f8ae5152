"""E-SSL's own pieces: the image it reads from the split, its training step, the cached pre-training on the shared
Trainer, and the model's outputs. The reusable parts (losses, augmentations, probes) are tested in tests/ssl."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from harness.data.store import load_dataset
from harness.errors import UserError
from harness.ssl.augment import Augment, all_rotations, augment
from harness.ssl.losses import info_nce
from harness.tasks import get_task
from harness.train import StepContext
from harness.train.device import one_thread
from reproductions.essl import model as essl
from reproductions.essl.recipe import EsslNet, EsslStep, Protocol, pretrain

TASK = get_task("digits-ssl")


@pytest.fixture(scope="module")
def digits():
    return load_dataset(TASK.dataset)


def test_digits_ssl_images_are_the_original_8x8_digits_read_from_the_splits_image_modality(digits) -> None:
    split = digits.split("train")
    images = essl.images_of(TASK, split)
    original = load_digits().images
    assert images.shape == (len(split), 1, 8, 8)
    for i in (0, 17, len(split) - 1):
        index = int(str(split.ids[i]).split("-")[1])
        assert torch.equal(images[i, 0], torch.as_tensor(original[index] / 16.0, dtype=torch.float32))


def test_a_task_without_exactly_one_image_modality_is_a_user_error() -> None:
    with pytest.raises(UserError, match="exactly one image modality .* include 0"):
        essl.images_of(get_task("breast-cancer-views"), load_dataset("breast_cancer").split("train"))


def _net(width: int = 4, dim: int = 8) -> EsslNet:
    torch.manual_seed(0)
    return EsslNet(essl.backbone(1, width), essl.projector(2 * width, dim), essl.rotation_head(2 * width, dim))


def test_esimclr_step_loss_is_info_nce_plus_lambda_times_the_four_way_rotation_loss() -> None:
    protocol = Protocol(epochs=1, batch_size=8, base_lr=0.1, warmup_epochs=0, momentum=0.9, weight_decay=0.0,
                        temperature=0.5, lmbd=0.4, rotation_invariance=False)
    aug = Augment(rotation_size=4, hflip=False)
    x = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(5))
    net = _net()
    net.eval()  # fixed BatchNorm statistics, so two evaluations agree
    ctx = StepContext(1, 0, 8, 1, torch.no_grad)
    out = EsslStep(protocol, aug, torch.Generator().manual_seed(3))(net, x, ctx)
    gen = torch.Generator().manual_seed(3)  # the same draws, in the order the step makes them
    v1, v2 = augment(x, aug, gen), augment(x, aug, gen)
    turned, labels = all_rotations(augment(x, aug, gen, aug.rotation_crop_scale, aug.rotation_size))
    with torch.no_grad():
        ssl = info_nce(net.projector(net.backbone(v1)), net.projector(net.backbone(v2)), 0.5)
        rot = F.cross_entropy(net.rotation_head(net.backbone(turned)), labels)
    assert turned.shape == (32, 1, 4, 4) and labels.tolist() == [0] * 8 + [1] * 8 + [2] * 8 + [3] * 8
    torch.testing.assert_close(out.loss, ssl + 0.4 * rot)
    assert set(out.logs) == {"ssl_loss", "rot_loss", "rot_acc"}


def test_pretraining_is_cached_and_identical_to_a_fresh_run(digits) -> None:
    config = dataclasses.replace(essl.ESimCLRConfig(), epochs=1, width=4, proj_dim=8)
    images = essl.images_of(TASK, digits.split("train"))
    first, record, cached = essl.pretrained_backbone(TASK, config, images, seed=3)
    assert not cached and record.history[0]["rot_loss"] > 0 and record.history[0]["epoch"] == 1
    again, _, cached = essl.pretrained_backbone(TASK, dataclasses.replace(config, probe="knn"), images, seed=3)
    assert cached  # evaluation settings do not change the encoder
    essl.ENCODERS.clear()
    torch.manual_seed(123)  # global RNG state must not matter
    fresh, _, cached = essl.pretrained_backbone(TASK, config, images, seed=3)
    assert not cached
    for (name, a), b in zip(first.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_simclr_pretraining_trains_backbone_and_projector_and_leaves_the_rotation_head_untouched(digits) -> None:
    protocol = Protocol(epochs=1, batch_size=32, base_lr=0.5, warmup_epochs=0, momentum=0.9, weight_decay=5e-4,
                        temperature=0.5, lmbd=0.0, rotation_invariance=False)
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with one_thread():  # as the model runs it: a first multi-threaded conv pass alone costs seconds on shared cores
        info = pretrain(net, essl.images_of(TASK, digits.split("train"))[:64], protocol, Augment(rotation_size=4), 0)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("rotation_head."))
    assert not torch.equal(before["backbone.0.weight"], after["backbone.0.weight"])
    assert not torch.equal(before["projector.0.weight"], after["projector.0.weight"])
    assert len(info.history) == 1 and "rot_loss" not in info.history[0] and info.history[0]["ssl_loss"] > 0


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
