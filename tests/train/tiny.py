"""Tiny datasets and configs shared by the Trainer, baseline and robustness tests (seconds, not minutes)."""

from __future__ import annotations

import dataclasses

import numpy as np

from harness.data.dataset import MultimodalDataset, Split
from harness.data.synthetic_msa import generate
from harness.tasks import get_task
from harness.tasks.spec import TaskSpec

TINY_SIZES = {"train": 96, "valid": 48, "test": 48}


def tiny_msa() -> tuple[TaskSpec, MultimodalDataset]:
    """synth-msa's generator (sequences, regression) at 96/48/48 samples."""
    return get_task("synth-msa"), generate(TINY_SIZES)


def tiny_views(n_classes: int = 3, seed: int = 0) -> tuple[TaskSpec, MultimodalDataset]:
    """Two vector views of a separable problem, under a copy of digits-views' task spec (binary for 2 classes)."""
    rng = np.random.default_rng(seed)
    splits = {}
    for name, n in TINY_SIZES.items():
        labels = rng.integers(0, n_classes, n)
        centre = np.eye(n_classes)[labels]
        left = np.hstack([centre, rng.standard_normal((n, 5))])
        views = {"left": left + 0.3 * rng.standard_normal(left.shape),
                 "right": 2 * centre + 0.5 * rng.standard_normal(centre.shape)}
        splits[name] = Split(ids=np.array([f"{name}-{i}" for i in range(n)]), labels=labels,
                             features={k: v.astype(np.float32) for k, v in views.items()})
    kind = "binary" if n_classes == 2 else "single-label"
    task = dataclasses.replace(get_task("digits-views"), num_classes=n_classes, target_kind=kind)
    return task, MultimodalDataset(name="tiny_views", splits=splits)


TINY = {"epochs": 3, "batch_size": 32, "dropout": 0.0}
TINY_NETS = {
    "fusion-token": {"d_model": 16, "n_heads": 2, "n_layers": 1},
    "mult": {"d_model": 16, "n_heads": 2},
    "early-fusion": {"hidden": 16, "steps": 4},
    "late-fusion": {"hidden": 16, "post_hidden": 16},
    "tfn": {"hidden": 16, "tensor_dim": 4, "post_hidden": 16},
    "lmf": {"hidden": 16, "fusion_dim": 16},
}
MODELS = tuple(TINY_NETS)


def tiny_config(model: str, **overrides):
    """The model's config at tiny size (plus ``overrides``)."""
    from harness.models import get_model

    return get_model(model).config_cls(**(TINY | TINY_NETS[model] | overrides))
