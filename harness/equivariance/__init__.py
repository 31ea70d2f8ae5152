"""Group actions on tensors and equivariance measurement (for E-SSL's rotations, EquiAV's augmentations)."""

from harness.equivariance.augmentation import AugmentationLayout, Slot
from harness.equivariance.groups import (
    CircularShift,
    Composed,
    Crop,
    Dihedral,
    Identity,
    NotInvertibleError,
    Permutation,
    Transform,
    hflip,
    rot90,
    vflip,
)
from harness.equivariance.measure import equivariance_error, invariance_error

__all__ = [
    "AugmentationLayout",
    "CircularShift",
    "Composed",
    "Crop",
    "Dihedral",
    "Identity",
    "NotInvertibleError",
    "Permutation",
    "Slot",
    "Transform",
    "equivariance_error",
    "hflip",
    "invariance_error",
    "rot90",
    "vflip",
]
