"""Mini-batches as a model sees them: rows in the order asked for, masks that mark exactly the valid steps,
padding trimmed to the longest row of the batch, and input statistics from valid steps only (issue 20).

One small fixture with hand-checkable numbers: a sequence modality ``s`` (T = 3, d = 2, lengths 1, 3, 2) whose
padded steps hold 99, and a vector modality ``v`` (d = 1).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.data.dataset import Split
from harness.errors import UserError
from harness.train.batches import ModalityInput, ModalitySpec, Standardizer, TensorData, modality_specs

PAD = 99.0


def _split() -> Split:
    s = np.full((3, 3, 2), PAD)
    s[0, :1] = [[1.0, 10.0]]
    s[1, :3] = [[2.0, 20.0], [3.0, 30.0], [4.0, 40.0]]
    s[2, :2] = [[5.0, 50.0], [6.0, 60.0]]
    v = np.array([[1.0], [2.0], [6.0]])
    return Split(ids=np.array(["a", "b", "c"]), labels=np.array([0, 1, 2]), features={"s": s, "v": v},
                 lengths={"s": np.array([1, 3, 2], dtype=np.int32)})


def test_modality_specs_size_each_encoder() -> None:
    split = _split()
    assert modality_specs(split, ("v", "s")) == [ModalitySpec("v", 1, 1, False), ModalitySpec("s", 2, 3, True)]


def test_a_modality_the_data_lacks_is_refused_by_name() -> None:
    with pytest.raises(UserError) as err:
        modality_specs(_split(), ("s", "audio", "text"))
    assert str(err.value) == "modalities ['audio', 'text'] are not in the data; it has ['s', 'v']"


def test_statistics_are_float32_over_valid_steps_only() -> None:
    stats = Standardizer.fit(_split(), ("s", "v")).stats
    valid = np.array([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60]], dtype=np.float64)
    mean, std = stats["s"]
    assert mean.dtype == std.dtype == np.float32 and mean.shape == std.shape == (2,)
    np.testing.assert_allclose(mean, [3.5, 35.0], rtol=1e-6)
    np.testing.assert_allclose(std, valid.std(axis=0), rtol=1e-6)  # population std, per feature
    mean, std = stats["v"]
    assert mean.dtype == std.dtype == np.float32
    np.testing.assert_allclose(mean, [3.0], rtol=1e-6)
    np.testing.assert_allclose(std, [np.std([1.0, 2.0, 6.0])], rtol=1e-6)


def test_a_constant_feature_is_centred_not_divided_by_zero() -> None:
    x = np.array([[4.0, 0.0], [4.0, 1.0], [4.0, 2.0]])
    split = Split(ids=np.array(["a", "b", "c"]), labels=np.zeros(3), features={"v": x})
    mean, std = Standardizer.fit(split, ("v",)).stats["v"]
    assert std[0] == 1.0 and mean[0] == 4.0
    assert TensorData(split, Standardizer.fit(split, ("v",)), torch.device("cpu")).x["v"][:, 0, 0].tolist() == [0] * 3


def test_the_constant_feature_threshold_is_a_std_of_1e_6() -> None:
    # a spread just above 1e-6 is a real (tiny-scale) feature and is scaled by it; at 1e-6 and below it is noise
    above, at = 1.0000005e-6, 1e-6
    x = np.array([[-above, -at], [above, at]])
    split = Split(ids=np.array(["a", "b"]), labels=np.zeros(2), features={"v": x})
    _, std = Standardizer.fit(split, ("v",)).stats["v"]
    assert np.std(x[:, 1]) == at  # the fixture sits exactly on the threshold
    np.testing.assert_allclose(std, [above, 1.0], rtol=1e-6)


def test_tensor_data_holds_standardised_valid_steps_and_zero_padding() -> None:
    split = _split()
    data = TensorData(split, Standardizer({"s": (np.array([1.0, 10.0], np.float32), np.array([2.0, 5.0], np.float32)),
                                           "v": (np.array([2.0], np.float32), np.array([4.0], np.float32))}),
                      torch.device("cpu"))
    assert len(data) == 3 and data.x["s"].dtype == torch.float32 and data.x["s"].shape == (3, 3, 2)
    expected = [[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
                [[0.5, 2.0], [1.0, 4.0], [1.5, 6.0]],
                [[2.0, 8.0], [2.5, 10.0], [0.0, 0.0]]]
    assert data.x["s"].tolist() == expected  # (x - mean) / std on valid steps; padding exactly 0
    assert data.x["v"].tolist() == [[[-0.25]], [[0.0]], [[1.0]]]
    assert data.lengths["s"].tolist() == [1, 3, 2] and data.lengths["v"].tolist() == [1, 1, 1]
    assert data.lengths["s"].dtype == data.lengths["v"].dtype == np.int64  # step counts are integers
    assert data.y.dtype == torch.float32 and data.y.tolist() == [0.0, 1.0, 2.0]


def test_a_batch_keeps_the_requested_row_order_and_masks_exactly_the_valid_steps() -> None:
    split = _split()
    data = TensorData(split, Standardizer.fit(split, ("s", "v")), torch.device("cpu"), target_dtype=torch.long)
    inputs, y = data.batch(np.array([2, 0]))
    assert set(inputs) == {"s", "v"} and isinstance(inputs["s"], ModalityInput)
    assert y.dtype == torch.long and y.tolist() == [2, 0]
    s = inputs["s"]
    assert s.x.shape == (2, 2, 2)  # trimmed to the longest row of this batch (2 steps), not to T = 3
    assert torch.equal(s.x, data.x["s"][[2, 0], :2])
    assert s.mask.dtype == torch.bool and s.mask.tolist() == [[True, True], [True, False]]
    assert s.present.tolist() == [True, True]
    v = inputs["v"]
    assert v.x.shape == (2, 1, 1) and v.mask.tolist() == [[True], [True]]
    assert torch.equal(v.x, data.x["v"][[2, 0]])
    inputs, y = data.batch(np.array([0, 1, 0]))  # a full-length row: all 3 steps; repeated rows stay repeated
    assert inputs["s"].x.shape == (3, 3, 2) and y.tolist() == [0, 1, 0]
    assert inputs["s"].mask.tolist() == [[True, False, False], [True, True, True], [True, False, False]]


def test_a_removed_modality_is_flagged_absent_on_every_row() -> None:
    split = _split()
    data = TensorData(split, Standardizer.fit(split, ("s", "v")), torch.device("cpu"), missing=("v",))
    inputs, _ = data.batch(np.array([1, 2]))
    assert inputs["v"].present.tolist() == [False, False] and inputs["s"].present.tolist() == [True, True]
    assert inputs["v"].present.dtype == torch.bool
    assert inputs["v"].x.abs().sum() > 0  # the features stay: the model decides what absence means


def test_every_tensor_lives_on_the_device_asked_for() -> None:
    # the meta device stands in for a GPU (tensors with shapes and no storage): nothing may stay behind on the CPU
    split = _split()
    meta = torch.device("meta")
    data = TensorData(split, Standardizer.fit(split, ("s", "v")), meta, missing=("v",))
    assert data.device == meta
    for tensors in (data.x, data.lengths_t, data.present):
        assert {t.device for t in tensors.values()} == {meta}
    assert data.y.device == meta
    inputs, y = data.batch(np.array([2, 0]))
    assert y.device == meta and y.shape == (2,)
    for m in ("s", "v"):
        assert {inputs[m].x.device, inputs[m].mask.device, inputs[m].present.device} == {meta}
    assert inputs["s"].x.shape == (2, 2, 2) and inputs["s"].mask.shape == (2, 2)
