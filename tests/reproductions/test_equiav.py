"""EquiAV's mechanism on tiny inputs: predictor, losses, the arms' training paths, features and diagnostics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from harness.data.dataset import MultimodalDataset, Split
from harness.metrics.registry import compute_metrics
from harness.tasks.spec import TaskSpec
from reproductions.equiav import model as M
from reproductions.equiav.network import NetConfig, Predictor
from reproductions.equiav.recipe import clip_info_nce, lr_at

TINY = {"width": 8, "heads": 2, "aug_dim": 8, "head_hidden": 8, "head_out": 8, "depth": 1, "epochs": 2,
        "batch_size": 8, "centroid_samples": 3}


def test_predictor_averages_its_queries() -> None:
    torch.manual_seed(0)
    u = Predictor(NetConfig(width=8, heads=2, aug_dim=4))
    h, t = torch.randn(3, 5, 8), torch.randn(3, 1, 4)
    assert torch.allclose(u(h, t.repeat(1, 6, 1)), u(h, t), atol=1e-6)  # S copies of one query: its prediction
    two = torch.randn(3, 2, 4)
    assert torch.allclose(u(h, two), 0.5 * (u(h, two[:, :1]) + u(h, two[:, 1:])), atol=1e-6)  # the centroid


def test_inter_loss_detaches_keys_like_the_released_multi_gpu_run() -> None:
    za, zv = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    clip_info_nce(za, zv, 0.07, detach_keys=True).backward()
    ga = za.grad.clone()
    za.grad = None
    zv.grad = None
    # only the a->v direction reaches za when keys are detached
    a, v = F.normalize(za, dim=1), F.normalize(zv, dim=1).detach()
    (0.5 * F.cross_entropy(a @ v.T / 0.07, torch.arange(4))).backward()
    assert torch.allclose(ga, za.grad, atol=1e-5)


def test_released_schedule_endpoints() -> None:
    assert lr_at(0, 100, 10, 1e-4) == pytest.approx(2e-7)
    assert lr_at(10, 100, 10, 1e-4) == pytest.approx(1e-4)
    assert lr_at(100, 100, 10, 1e-4) == pytest.approx(1e-6)


def _split(n: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    audio = rng.normal(-5, 3, size=(n, 30, 40)).astype(np.float32) + labels[:, None, None]
    image = rng.uniform(0, 1, size=(n, 64)).astype(np.float32)
    return Split(ids=np.array([f"{seed}-{i}" for i in range(n)]), labels=labels,
                 features={"audio": audio, "image": image}, lengths={"audio": np.full(n, 30)})


def _task(kind: str, modalities: tuple[str, ...] = ("audio", "image")) -> TaskSpec:
    metrics = ("accuracy",) if kind == "single-label" else ("class_mAP_q2g", "class_mAP_g2q")
    return TaskSpec(name="t", version=1, description="", dataset="d", modalities=modalities, target_kind=kind,
                    metrics=metrics, primary_metric=metrics[0], citation="", num_classes=4)


@pytest.mark.parametrize("config", [M.EquiAVConfig, M.InvariantConfig, M.NoCentroidConfig, M.FixedConfig,
                                    M.UntrainedConfig, M.SupervisedConfig])
def test_every_arm_trains_and_predicts(config: type) -> None:
    train, valid = _split(24, 0), _split(16, 1)
    data = MultimodalDataset(name="d", splits={"train": train, "valid": valid})
    cfg = dataclasses.replace(config(), **{**TINY, "epochs": config().epochs and 2}, labels_per_class=2)
    probe = M.EquiAVModel(_task("single-label", ("audio",)), data, cfg, 0)
    probe.fit(train, valid)
    scores = probe.predict(valid)
    assert scores.shape == (16, 4) and np.isfinite(scores).all()
    retrieval = M.EquiAVModel(_task("class-retrieval"), data, cfg, 0)
    retrieval.fit(train, valid)
    assert retrieval.info.extras["pretrain_cached"]  # one pre-training serves every evaluation
    emb = retrieval.predict(valid)
    metrics = compute_metrics(["class_mAP_q2g", "class_mAP_g2q"], valid.labels, emb)
    assert all(0 <= v <= 1 for v in metrics.values())
    if cfg.epochs:
        assert len(probe.info.history) == 2 and probe.info.extras["selected_epoch"] in (0, 1)
    if cfg.mode != "supervised":
        extras = probe.info.extras
        assert np.isfinite(extras["equivariance_equi_error_a"])
        if cfg.mode == "invariant":  # no predictor: knowing t cannot help
            assert extras["equivariance_equi_error_v"] == extras["equivariance_blind_error_v"]


def test_pretraining_depends_on_the_seed_only() -> None:
    train, valid = _split(24, 0), _split(16, 1)
    cfg = dataclasses.replace(M.EquiAVConfig(), **TINY)
    M._ENCODERS.clear()
    first, _ = M.pretrained(cfg, train, valid, 3, 4)
    M._ENCODERS.clear()
    torch.manual_seed(123)  # global state must not matter
    again, cached = M.pretrained(cfg, train, valid, 3, 4)
    assert not cached
    for k, v in first.trained.final.items():
        assert torch.equal(v, again.trained.final[k]), k


def test_images_accept_flat_and_nchw_layouts() -> None:
    flat = _split(3, 0)
    nchw = dataclasses.replace(flat, features={**flat.features, "image": flat.features["image"].reshape(3, 1, 8, 8)})
    assert torch.equal(M.images(flat), M.images(nchw)) and M.images(flat).shape == (3, 1, 16, 16)


def test_smoke_suite_on_the_prepared_av_digits(shared_data, tmp_path) -> None:
    """End to end on the real data: prepare av_digits, then one seed of the package's suite at smoke size."""
    from harness.data.store import prepare
    from harness.papers import REPRODUCTIONS
    from harness.runs.runner import execute, plan_run
    from harness.tasks import get_task

    prepare("av_digits", shared_data / "fsdd")
    package = REPRODUCTIONS.get("equiav")
    smoke = package.smoke_overrides()
    seen = set()
    for group in package.suite().groups[:1] + package.suite().groups[3:]:
        for task in group.tasks:
            for model in ("equiav-untrained", "equiav"):
                if model not in group.models:
                    continue
                record = execute(plan_run(get_task(task), model, 0, {**group.overrides, **smoke}), tmp_path)
                assert record.status == "ok", record.reason
                test = record.metrics["test"]
                assert all(0.0 <= v <= 1.0 for v in test.values())
                seen.add(task)
    assert seen == {"av-digits-ssl", "av-digits-ssl-audio", "av-digits-ssl-image", "av-digits-ssl-retrieval"}
