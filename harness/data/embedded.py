"""Real datasets that ship with scikit-learn, cut into natural views (no download, no prepare)."""

from __future__ import annotations

import numpy as np

from harness.data.dataset import MultimodalDataset, Split
from harness.data.splits import stratified_three_way

SPLIT_SEED = 0


def _dataset(name: str, views: dict[str, np.ndarray], labels: np.ndarray, ids: np.ndarray) -> MultimodalDataset:
    parts = stratified_three_way(labels, valid=0.2, test=0.2, seed=SPLIT_SEED)
    splits = {
        split: Split(ids=ids[idx], labels=labels[idx], features={k: v[idx] for k, v in views.items()})
        for split, idx in parts.items()
    }
    return MultimodalDataset(name=name, splits=splits)


def digits_views() -> MultimodalDataset:
    """scikit-learn digits (1,797 real 8x8 images, UCI optdigits test set) as two views.

    Views are the left and right 8x4 halves of each image (32 grey levels each, 0..16), so a model
    sees two partial observations of one digit, the classic two-view setting. Split: stratified, test
    20%, then valid 20% of the rest (1149/288/360).
    """
    from sklearn.datasets import load_digits  # scikit-learn only when the data is loaded, not at start-up

    bunch = load_digits()
    images = bunch.images.astype(np.float32)
    views = {"left": images[:, :, :4].reshape(len(images), -1), "right": images[:, :, 4:].reshape(len(images), -1)}
    ids = np.array([f"digits-{i}" for i in range(len(images))])
    return _dataset("digits", views, bunch.target.astype(np.int64), ids)


def digits_image() -> MultimodalDataset:
    """The same 1,797 digits as :func:`digits_views`, whole: one image modality ``image`` (n, 1, 8, 8).

    Pixels are the grey levels / 16, in [0, 1]. Split and ids are those of ``digits`` (same seed, same
    stratification), so image models (e.g. self-supervised pre-training) and the two-view models see the same
    train/valid/test samples.
    """
    from sklearn.datasets import load_digits  # scikit-learn only when the data is loaded, not at start-up

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    ids = np.array([f"digits-{i}" for i in range(len(images))])
    return _dataset("digits_image", {"image": images}, bunch.target.astype(np.int64), ids)


def breast_cancer_views() -> MultimodalDataset:
    """Wisconsin diagnostic breast cancer (569 real samples) as three views of 10 features each.

    The 30 features are 10 nucleus measurements summarised three ways: mean, standard error and
    "worst" (mean of the three largest); each summary is one view. Labels are recoded so that the
    positive class 1 is *malignant* (scikit-learn's raw target has 0 = malignant). Split as for digits (364/91/114).
    """
    from sklearn.datasets import load_breast_cancer  # scikit-learn only when the data is loaded

    bunch = load_breast_cancer()
    x = bunch.data.astype(np.float32)
    views = {"mean": x[:, 0:10], "se": x[:, 10:20], "worst": x[:, 20:30]}
    labels = (bunch.target == 0).astype(np.int64)
    ids = np.array([f"wdbc-{i}" for i in range(len(x))])
    return _dataset("breast_cancer", views, labels, ids)
