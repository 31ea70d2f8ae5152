"""The in-memory form every loader produces and every model consumes.

A dataset is a split-indexed table of samples. Each modality is either a vector per sample
(shape ``(n, d)``) or a padded sequence (shape ``(n, T, d)``) with per-sample ``lengths``.
Validation lives here so that every loader, embedded or prepared, gets the same checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from harness.errors import UserError


class DataError(UserError):
    """A dataset violates the layout contract (shapes, lengths, non-finite values, empty split)."""


@dataclass(frozen=True)
class Split:
    """One split: per-modality arrays aligned on axis 0 with ``labels`` and ``ids``."""

    ids: np.ndarray
    labels: np.ndarray
    features: dict[str, np.ndarray]
    lengths: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def is_sequence(self, modality: str) -> bool:
        return modality in self.lengths

    def mask(self, modality: str) -> np.ndarray:
        """Boolean ``(n, T)`` mask of valid time steps for a sequence modality."""
        steps = np.arange(self.features[modality].shape[1])
        return steps[None, :] < self.lengths[modality][:, None]

    def pooled(self, modality: str) -> np.ndarray:
        """Per-sample vector: the modality itself, or the mean over valid steps of a sequence."""
        x = self.features[modality]
        if not self.is_sequence(modality):
            return x
        m = self.mask(modality)[..., None].astype(x.dtype)
        return (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)

    def subset(self, index: np.ndarray) -> Split:
        return Split(
            ids=self.ids[index],
            labels=self.labels[index],
            features={k: v[index] for k, v in self.features.items()},
            lengths={k: v[index] for k, v in self.lengths.items()},
        )


@dataclass(frozen=True)
class MultimodalDataset:
    """Named splits plus a content fingerprint that goes into every run's cache key."""

    name: str
    splits: dict[str, Split]
    synthetic: bool = False

    def __post_init__(self) -> None:
        for split_name, split in self.splits.items():
            validate_split(self.name, split_name, split)
        first = next(iter(self.splits.values()))
        for split_name, split in self.splits.items():
            if set(split.features) != set(first.features):
                raise DataError(
                    f"{self.name}/{split_name}: modalities {sorted(split.features)} differ from "
                    f"{sorted(first.features)} in another split; every split needs the same modalities"
                )

    @property
    def modalities(self) -> list[str]:
        return list(next(iter(self.splits.values())).features)

    def feature_shape(self, modality: str) -> tuple[int, ...]:
        """Shape of one sample (``(d,)`` or ``(T, d)``), taken from the first split."""
        return tuple(next(iter(self.splits.values())).features[modality].shape[1:])

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise DataError(f"{self.name} has no split {name!r}; it has {sorted(self.splits)}")
        return self.splits[name]

    def fingerprint(self) -> str:
        """sha256 over every array's dtype, shape and bytes, in a fixed order (16 hex chars)."""
        h = hashlib.sha256(self.name.encode())
        for split_name in sorted(self.splits):
            split = self.splits[split_name]
            arrays = {"ids": split.ids, "labels": split.labels}
            arrays |= {f"x.{k}": v for k, v in split.features.items()}
            arrays |= {f"len.{k}": v for k, v in split.lengths.items()}
            for key in sorted(arrays):
                a = np.ascontiguousarray(arrays[key])
                if a.dtype.kind in "OUS":
                    a = np.asarray([str(v) for v in a.ravel()], dtype=np.str_)
                h.update(f"{split_name}/{key}/{a.dtype.str}/{a.shape}".encode())
                h.update(a.tobytes())
        return h.hexdigest()[:16]


def validate_split(dataset: str, split_name: str, split: Split) -> None:
    """Refuse a split that would silently mislead a model: every message names where and how to fix."""
    where = f"{dataset}/{split_name}"
    n = len(split)
    if n == 0:
        raise DataError(f"{where}: the split is empty; check the source files or the split protocol")
    if split.ids.shape[0] != n:
        raise DataError(f"{where}: {split.ids.shape[0]} ids but {n} labels; they must match one to one")
    for modality, x in split.features.items():
        if x.shape[0] != n:
            raise DataError(
                f"{where}: modality {modality!r} has {x.shape[0]} samples but there are {n} labels"
            )
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            bad = int((~np.isfinite(x)).reshape(n, -1).any(axis=1).sum())
            raise DataError(
                f"{where}: modality {modality!r} has NaN/inf values in {bad} samples; "
                "clean the source or prepare with an explicit non-finite policy"
            )
        if modality in split.lengths:
            lengths = split.lengths[modality]
            if x.ndim != 3:
                raise DataError(f"{where}: sequence modality {modality!r} must be (n, T, d), got {x.shape}")
            if lengths.shape != (n,) or (lengths < 1).any() or (lengths > x.shape[1]).any():
                raise DataError(
                    f"{where}: lengths of {modality!r} must be n integers in [1, {x.shape[1]}]"
                )
        elif x.ndim != 2:
            raise DataError(f"{where}: vector modality {modality!r} must be (n, d), got {x.shape}")
