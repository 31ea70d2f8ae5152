"""The in-memory form every loader produces and every model consumes.

A dataset is a split-indexed table of samples. Each modality is one of

- a vector per sample, shape ``(n, d)``;
- a padded sequence, shape ``(n, T, d)``, with per-sample ``lengths``;
- an image, shape ``(n, C, H, W)`` (no lengths): float pixels in [0, 1], or raw ``uint8`` 0..255
  (:meth:`Split.images` gives both as float [0, 1]), so no model hard-codes a dataset's pixel layout.

Samples may also carry *group fields* (``Split.groups``), one value per sample, that say how samples
belong together: ``dialogue`` (dialogue id), ``speaker``, ``turn`` (integer position within its dialogue),
``pair`` (samples sharing a pair id share the paired item, e.g. one image heard in two clips) and ``fold``
(the item's fold in a published k-fold protocol; tasks with ``[folds]`` read it).
Values are integers or strings. Conversation models batch whole dialogues through
:meth:`Split.dialogues`. Validation lives here so that every loader, embedded or prepared, gets the same checks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

from harness.errors import UserError


class DataError(UserError):
    """A dataset violates the layout contract (shapes, lengths, non-finite values, empty split)."""


GROUP_KEYS = ("dialogue", "speaker", "turn", "pair", "fold")


@dataclass(frozen=True)
class Split:
    """One split: per-modality arrays aligned on axis 0 with ``labels``, ``ids`` and each group field."""

    ids: np.ndarray
    labels: np.ndarray
    features: dict[str, np.ndarray]
    lengths: dict[str, np.ndarray] = field(default_factory=dict)
    groups: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def is_sequence(self, modality: str) -> bool:
        return modality in self.lengths

    def is_image(self, modality: str) -> bool:
        return modality not in self.lengths and self.features[modality].ndim == 4

    def mask(self, modality: str) -> np.ndarray:
        """Boolean ``(n, T)`` mask of valid time steps for a sequence modality."""
        steps = np.arange(self.features[modality].shape[1])
        return steps[None, :] < self.lengths[modality][:, None]

    def pooled(self, modality: str) -> np.ndarray:
        """Per-sample vector: the modality itself, an image flattened, or the mean over valid steps of a sequence."""
        x = self.features[modality]
        if self.is_image(modality):
            return x.reshape(len(x), -1)
        if not self.is_sequence(modality):
            return x
        m = self.mask(modality)[..., None].astype(x.dtype)
        return (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)

    def images(self, modality: str) -> np.ndarray:
        """``(n, C, H, W)`` float32 pixels in [0, 1] of an image modality (``uint8`` is divided by 255)."""
        if not self.is_image(modality):
            raise DataError(f"modality {modality!r} is not an image (shape {self.features[modality].shape}); "
                            "image modalities are (n, C, H, W)")
        x = self.features[modality]
        return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32, copy=False)

    def group(self, key: str) -> np.ndarray:
        """One group field; a clear error when the loader did not fill it."""
        if key not in self.groups:
            raise DataError(f"these samples have no {key!r} group field (they have {sorted(self.groups) or 'none'}); "
                            "use a dataset whose loader records it (e.g. MELD, IEMOCAP, synth_conversation)")
        return self.groups[key]

    def dialogues(self) -> list[np.ndarray]:
        """Row indices of each dialogue in turn order; dialogues in order of first appearance.

        Without a ``turn`` field a dialogue's rows keep their stored order.
        """
        dialogue = self.group("dialogue")
        _, first, inverse = np.unique(dialogue, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))[inverse]  # dialogue's rank by first appearance, per row
        turn = self.groups.get("turn", np.arange(len(self)))
        order = np.lexsort((np.arange(len(self)), turn, rank))
        return np.split(order, np.flatnonzero(np.diff(rank[order])) + 1)

    def with_features(self, features: dict[str, np.ndarray], lengths: dict[str, np.ndarray] | None = None) -> Split:
        """The same samples (ids, labels, groups) with other features; ``lengths`` default to the current ones."""
        return replace(self, features=features, lengths=self.lengths if lengths is None else lengths)

    def subset(self, index: np.ndarray) -> Split:
        return Split(
            ids=self.ids[index],
            labels=self.labels[index],
            features={k: v[index] for k, v in self.features.items()},
            lengths={k: v[index] for k, v in self.lengths.items()},
            groups={k: v[index] for k, v in self.groups.items()},
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
            if set(split.groups) != set(first.groups):
                raise DataError(
                    f"{self.name}/{split_name}: group fields {sorted(split.groups)} differ from "
                    f"{sorted(first.groups)} in another split; every split needs the same group fields"
                )

    @property
    def modalities(self) -> list[str]:
        return list(next(iter(self.splits.values())).features)

    @property
    def group_keys(self) -> list[str]:
        return list(next(iter(self.splits.values())).groups)

    def feature_shape(self, modality: str) -> tuple[int, ...]:
        """Shape of one sample (``(d,)``, ``(T, d)`` or ``(C, H, W)``), taken from the first split."""
        return tuple(next(iter(self.splits.values())).features[modality].shape[1:])

    def split(self, name: str) -> Split:
        if name not in self.splits:
            raise DataError(f"{self.name} has no split {name!r}; it has {sorted(self.splits)}")
        return self.splits[name]

    def fingerprint(self) -> str:
        """sha256 over every array's dtype, shape and bytes, in a fixed order (16 hex chars).

        Group fields enter only when present, so datasets without them keep the fingerprints (and run ids)
        they had before group fields existed.
        """
        h = hashlib.sha256(self.name.encode())
        for split_name in sorted(self.splits):
            split = self.splits[split_name]
            arrays = {"ids": split.ids, "labels": split.labels}
            arrays |= {f"x.{k}": v for k, v in split.features.items()}
            arrays |= {f"len.{k}": v for k, v in split.lengths.items()}
            arrays |= {f"group.{k}": v for k, v in split.groups.items()}
            for key in sorted(arrays):
                a = np.ascontiguousarray(arrays[key])
                if a.dtype.kind in "OUS":
                    a = np.asarray([str(v) for v in a.ravel()], dtype=np.str_)
                h.update(f"{split_name}/{key}/{a.dtype.str}/{a.shape}".encode())
                h.update(memoryview(a).cast("B") if a.size else b"")  # no copy of a large array
        return h.hexdigest()[:16]


def validate_split(dataset: str, split_name: str, split: Split) -> None:
    """Refuse a split that would silently mislead a model: every message names where and how to fix."""
    where = f"{dataset}/{split_name}"
    n = len(split)
    if n == 0:
        raise DataError(f"{where}: the split is empty; check the source files or the split protocol")
    if split.ids.shape[0] != n:
        raise DataError(f"{where}: {split.ids.shape[0]} ids but {n} labels; they must match one to one")
    _validate_labels(where, split.labels)
    ids, counts = np.unique(split.ids.astype(str), return_counts=True)
    if (counts > 1).any():
        raise DataError(f"{where}: {int((counts > 1).sum())} item id(s) repeat (e.g. {str(ids[counts > 1][0])!r}); "
                        "each item needs its own id, or per-item predictions and leakage checks mix items up")
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
        elif x.ndim not in (2, 4):
            raise DataError(f"{where}: modality {modality!r} must be a vector (n, d) or an image (n, C, H, W), "
                            f"got {x.shape}")
        elif x.ndim == 4 and x.dtype.kind != "f" and x.dtype != np.uint8:
            raise DataError(f"{where}: image modality {modality!r} is {x.dtype}; use float pixels in [0, 1] or uint8")
    _validate_groups(where, split)


def _validate_labels(where: str, labels: np.ndarray) -> None:
    """Labels are numbers (class ids, values or multi-hot rows) and finite: anything else trains on noise."""
    if labels.dtype.kind not in "biuf":
        example = labels.ravel()[:1].tolist()
        raise DataError(f"{where}: labels are {labels.dtype} (e.g. {example}); map them to class ids 0..K-1 "
                        "(classification) or numbers (regression) before preparing")
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        bad = int((~np.isfinite(labels)).reshape(len(labels), -1).any(axis=1).sum())
        raise DataError(f"{where}: {bad} label(s) are NaN/inf; drop or fix those items in the source")


def _validate_groups(where: str, split: Split) -> None:
    n = len(split)
    for key, values in split.groups.items():
        if key not in GROUP_KEYS:
            raise DataError(f"{where}: group field {key!r} is not one of {GROUP_KEYS}")
        if values.shape != (n,):
            raise DataError(f"{where}: group field {key!r} has shape {values.shape}; it needs one value per "
                            f"sample ({n})")
        if values.dtype.kind not in "iuU":
            raise DataError(f"{where}: group field {key!r} is {values.dtype}; use integers or strings")
    if "turn" in split.groups:
        turn = split.groups["turn"]
        if turn.dtype.kind not in "iu" or (turn < 0).any():
            raise DataError(f"{where}: group field 'turn' must hold non-negative integers (position in dialogue)")
        if "dialogue" not in split.groups:
            raise DataError(f"{where}: group field 'turn' needs a 'dialogue' field to say whose turn it is")
        pairs = np.unique(np.stack([np.unique(split.groups["dialogue"], return_inverse=True)[1], turn]), axis=1)
        if pairs.shape[1] != n:
            raise DataError(f"{where}: {n - pairs.shape[1]} (dialogue, turn) pairs repeat; a turn index must be "
                            "unique within its dialogue")
