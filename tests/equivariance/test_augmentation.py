"""EquiAV-layout parameter vectors: per slot an on/off flag then the parameters; zeros when a step is off."""

import pytest
import torch

from harness.equivariance import AugmentationLayout, CircularShift, Crop, Dihedral, Slot, rot90

LAYOUT = AugmentationLayout([Slot("time_shift", 1, scale=1024), Slot("crop", 2, scale=1024), Slot("d4", 2)])


def test_vector_layout_flags_parameters_and_zeros() -> None:
    assert LAYOUT.dim == 2 + 3 + 3
    t = LAYOUT.encode({"time_shift": CircularShift(-256), "d4": Dihedral(3, True)})
    torch.testing.assert_close(t, torch.tensor([1.0, -0.25, 0.0, 0.0, 0.0, 1.0, 3.0, 1.0]))
    torch.testing.assert_close(LAYOUT.encode({}), torch.zeros(8))


def test_steps_apply_in_slot_order_whatever_the_mapping_order() -> None:
    x = torch.arange(2 * 1024.0).reshape(2, 1024)
    steps = {"crop": Crop(100, 400), "time_shift": CircularShift(3)}
    assert torch.equal(LAYOUT.compose(steps)(x), Crop(100, 400)(CircularShift(3)(x)))


def test_wrong_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="not in the layout"):
        LAYOUT.encode({"colour": rot90()})
    with pytest.raises(ValueError, match="expects 1 parameters"):
        LAYOUT.encode({"time_shift": Crop(0, 1)})
    with pytest.raises(ValueError, match="unique"):
        AugmentationLayout([Slot("a", 0), Slot("a", 1)])
