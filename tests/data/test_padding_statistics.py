"""Padded steps are not data: feature standardisation and pooling must ignore them (issue 20's surviving mutant).

The Standardizer lives in ``harness/train/batches.py``; this test sits with the data contract because the
property it guards (``lengths`` say which steps exist) is defined in :mod:`harness.data.dataset`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.data.dataset import Split
from harness.train.batches import Standardizer, TensorData


def _padded(pad_value: float) -> tuple[Split, np.ndarray]:
    """Three sequences of lengths 1, 2, 4 (T = 4, d = 2); padded steps hold ``pad_value``."""
    lengths = np.array([1, 2, 4])
    rng = np.random.default_rng(0)
    x = np.full((3, 4, 2), pad_value, dtype=np.float32)
    valid_steps = []
    for i, length in enumerate(lengths):
        x[i, :length] = rng.normal(5.0, 2.0, (length, 2))
        valid_steps.append(x[i, :length])
    split = Split(ids=np.array(["a", "b", "c"]), labels=np.zeros(3), features={"s": x, "v": x[:, 0]},
                  lengths={"s": lengths})
    return split, np.concatenate(valid_steps).astype(np.float64)


@pytest.mark.parametrize("pad_value", [0.0, 1000.0])
def test_standardizer_uses_valid_steps_only(pad_value: float) -> None:
    split, valid = _padded(pad_value)
    mean, std = Standardizer.fit(split, ("s",)).stats["s"]
    np.testing.assert_allclose(mean, valid.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(std, valid.std(axis=0), rtol=1e-5)
    everything = split.features["s"].reshape(-1, 2)
    assert not np.allclose(mean, everything.mean(axis=0)), "the fixture must tell the two apart"


def test_vector_modality_is_one_valid_step_per_sample() -> None:
    split, _ = _padded(0.0)
    mean, std = Standardizer.fit(split, ("v",)).stats["v"]
    np.testing.assert_allclose(mean, split.features["v"].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(std, split.features["v"].std(axis=0), rtol=1e-5)


@pytest.mark.parametrize("pad_value", [0.0, 1000.0])
def test_standardised_tensors_have_zero_padding_and_unit_valid_steps(pad_value: float) -> None:
    split, _ = _padded(pad_value)
    data = TensorData(split, Standardizer.fit(split, ("s",)), torch.device("cpu"))
    z = data.x["s"].numpy()
    mask = split.mask("s")
    assert (z[~mask] == 0).all()
    np.testing.assert_allclose(z[mask].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z[mask].std(axis=0), 1.0, atol=1e-4)


def test_pooled_mean_ignores_padding_whatever_it_holds() -> None:
    split, _ = _padded(1000.0)
    np.testing.assert_allclose(split.pooled("s")[1], split.features["s"][1, :2].mean(axis=0), rtol=1e-6)
