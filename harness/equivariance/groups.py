"""Transformations of tensors as objects that compose and invert, so that equivariance can be measured.

``g @ h`` is the transformation that applies h first, then g. Two transformations of the same kind
compose in closed form (two rotations are a rotation); anything else composes into ``Composed``.
Group actions (dihedral symmetries of images, circular shifts, permutations of set tokens) have
inverses; a crop discards data, so it composes but raises ``NotInvertibleError`` on ``inverse()``.
``parameters()`` gives the real numbers that describe a transformation, for augmentation-parameter
vectors (see ``harness.equivariance.augmentation``).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch


class NotInvertibleError(ValueError):
    """The transformation discards information (e.g. a crop), so it has no inverse."""


class Transform(ABC):
    """A map x -> g(x) on tensors."""

    @abstractmethod
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def inverse(self) -> "Transform":
        raise NotInvertibleError(f"{self!r} has no inverse")

    def parameters(self) -> tuple[float, ...]:
        raise ValueError(f"{self!r} has no parameter encoding")

    def __matmul__(self, inner: "Transform") -> "Transform":
        """self ∘ inner: apply ``inner`` first."""
        if isinstance(inner, Identity):
            return self
        return self._compose_same_kind(inner) or Composed(self, inner)

    def _compose_same_kind(self, inner: "Transform") -> "Transform | None":
        """The closed-form composition self ∘ inner when both are the same kind of transformation."""
        return None


@dataclass(frozen=True)
class Identity(Transform):
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def inverse(self) -> "Identity":
        return self

    def parameters(self) -> tuple[float, ...]:
        return ()

    def __matmul__(self, inner: Transform) -> Transform:
        return inner


@dataclass(frozen=True)
class Composed(Transform):
    outer: Transform
    inner: Transform

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.outer(self.inner(x))

    def inverse(self) -> Transform:
        return self.inner.inverse() @ self.outer.inverse()


@dataclass(frozen=True)
class Dihedral(Transform):
    """The element r^k s^f of the dihedral group D4 acting on two axes (default: H, W of an image).

    x -> rot90(flip(x) if flipped else x, k): first the optional horizontal flip (reversing the last
    of ``dims``), then k quarter turns. Since s r = r^-1 s, composition is
    (k1, f1) ∘ (k2, f2) = (k1 + (-1)^f1 k2, f1 xor f2), and every flipped element is its own inverse.
    """

    rotations: int = 0
    flipped: bool = False
    dims: tuple[int, int] = (-2, -1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rotations", self.rotations % 4)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.flipped:
            x = torch.flip(x, (self.dims[1],))
        return torch.rot90(x, self.rotations, self.dims)

    def inverse(self) -> "Dihedral":
        return Dihedral(self.rotations if self.flipped else -self.rotations, self.flipped, self.dims)

    def parameters(self) -> tuple[float, ...]:
        return (float(self.rotations), float(self.flipped))

    def _compose_same_kind(self, inner: Transform) -> Transform | None:
        if not isinstance(inner, Dihedral) or inner.dims != self.dims:
            return None
        sign = -1 if self.flipped else 1
        return Dihedral(self.rotations + sign * inner.rotations, self.flipped != inner.flipped, self.dims)


def rot90(k: int = 1, dims: tuple[int, int] = (-2, -1)) -> Dihedral:
    """k quarter turns (the cyclic group C4), as torch.rot90 counts them."""
    return Dihedral(k, False, dims)


def hflip(dims: tuple[int, int] = (-2, -1)) -> Dihedral:
    """Mirror image left-right (reverses the last of ``dims``)."""
    return Dihedral(0, True, dims)


def vflip(dims: tuple[int, int] = (-2, -1)) -> Dihedral:
    """Mirror image top-bottom: a half turn after a left-right flip."""
    return Dihedral(2, True, dims)


@dataclass(frozen=True)
class CircularShift(Transform):
    """Roll by ``shift`` steps along ``dim`` (e.g. time of a sequence or spectrogram), wrapping round."""

    shift: int
    dim: int = -1

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, self.shift, self.dim)

    def inverse(self) -> "CircularShift":
        return CircularShift(-self.shift, self.dim)

    def parameters(self) -> tuple[float, ...]:
        return (float(self.shift),)

    def _compose_same_kind(self, inner: Transform) -> Transform | None:
        if not isinstance(inner, CircularShift) or inner.dim != self.dim:
            return None
        return CircularShift(self.shift + inner.shift, self.dim)


@dataclass(frozen=True)
class Crop(Transform):
    """Keep ``length`` entries from ``start`` along ``dim`` (a time window, a frequency band)."""

    start: int
    length: int
    dim: int = -1

    def __post_init__(self) -> None:
        if self.start < 0 or self.length < 1:
            raise ValueError(f"crop needs start >= 0 and length >= 1, got {self.start}, {self.length}")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.start + self.length > x.shape[self.dim]:
            raise ValueError(f"{self!r} does not fit an axis of length {x.shape[self.dim]}")
        return x.narrow(self.dim, self.start, self.length)

    def parameters(self) -> tuple[float, ...]:
        return (float(self.start), float(self.length))

    def _compose_same_kind(self, inner: Transform) -> Transform | None:
        if not isinstance(inner, Crop) or inner.dim != self.dim:
            return None
        if self.start + self.length > inner.length:
            raise ValueError(f"{self!r} does not fit inside {inner!r}")
        return Crop(inner.start + self.start, self.length, self.dim)


@dataclass(frozen=True)
class Permutation(Transform):
    """y[i] = x[order[i]] along ``dim`` (default: the token axis of (batch, tokens, features))."""

    order: tuple[int, ...]
    dim: int = -2

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(int(i) for i in self.order))
        if sorted(self.order) != list(range(len(self.order))):
            raise ValueError(f"not a permutation of 0..{len(self.order) - 1}: {self.order}")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(self.dim, torch.tensor(self.order, device=x.device))

    def inverse(self) -> "Permutation":
        inverse = [0] * len(self.order)
        for i, j in enumerate(self.order):
            inverse[j] = i
        return Permutation(tuple(inverse), self.dim)

    def parameters(self) -> tuple[float, ...]:
        return tuple(float(i) for i in self.order)

    def _compose_same_kind(self, inner: Transform) -> Transform | None:
        if not isinstance(inner, Permutation) or inner.dim != self.dim:
            return None
        if len(inner.order) != len(self.order):
            raise ValueError("cannot compose permutations of different lengths")
        return Permutation(tuple(inner.order[i] for i in self.order), self.dim)
