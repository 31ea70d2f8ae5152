"""Augmentation-parameter vectors in EquiAV's layout.

EquiAV's transformation predictor u(h, t) is told which augmentation produced a view through a
fixed-layout real vector t (24-d for audio, 18-d for video in the released code): for each step in
a fixed order, an on/off flag followed by that step's parameters, all zero when the step did not
fire, with some fields normalised by an axis length (the time shift is divided by the number of
frames). ``AugmentationLayout`` builds such vectors from ``Transform`` objects and composes the same
steps into the transformation itself, so that one description gives both the view and its t.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from harness.equivariance.groups import Identity, Transform


@dataclass(frozen=True)
class Slot:
    """One step of a layout: its name, how many parameters it records, and what they are divided by."""

    name: str
    n_params: int
    scale: float = 1.0


class AugmentationLayout:
    def __init__(self, slots: Sequence[Slot]) -> None:
        names = [slot.name for slot in slots]
        if len(set(names)) != len(names):
            raise ValueError(f"slot names must be unique, got {names}")
        self.slots = tuple(slots)

    @property
    def dim(self) -> int:
        """Length of the encoded vector: a flag plus the parameters, per slot."""
        return sum(1 + slot.n_params for slot in self.slots)

    def _check(self, steps: Mapping[str, Transform]) -> None:
        unknown = set(steps) - {slot.name for slot in self.slots}
        if unknown:
            raise ValueError(f"steps {sorted(unknown)} are not in the layout {[s.name for s in self.slots]}")

    def encode(self, steps: Mapping[str, Transform]) -> torch.Tensor:
        """The parameter vector t for the steps that fired (absent slots encode as zeros)."""
        self._check(steps)
        values: list[float] = []
        for slot in self.slots:
            if slot.name not in steps:
                values.extend([0.0] * (1 + slot.n_params))
                continue
            params = steps[slot.name].parameters()
            if len(params) != slot.n_params:
                raise ValueError(f"slot {slot.name!r} expects {slot.n_params} parameters, got {len(params)}")
            values.append(1.0)
            values.extend(p / slot.scale for p in params)
        return torch.tensor(values)

    def compose(self, steps: Mapping[str, Transform]) -> Transform:
        """The transformation that applies the steps that fired, in slot order."""
        self._check(steps)
        result: Transform = Identity()
        for slot in self.slots:
            if slot.name in steps:
                result = steps[slot.name] @ result
        return result
