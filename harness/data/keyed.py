"""Attach user-supplied per-sample features (audio, visual, image) keyed by sample id.

The file is an ``.npz`` with ``ids`` (n,) strings and ``features`` (n, d) floats. Every sample of every split
must have a row; a missing id is an error, never a silently dropped sample. Extra rows are ignored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, Split


def read_keyed(path: Path) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise DataError(f"{path}: feature file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            ids, features = z["ids"].astype(str), z["features"]
    except KeyError as err:
        raise DataError(f"{path}: needs arrays 'ids' (n,) and 'features' (n, d); missing {err}") from err
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: not a readable .npz ({err}); is it truncated?") from err
    if features.ndim != 2 or len(ids) != len(features):
        raise DataError(f"{path}: 'features' must be (n, d) with one row per id; got {features.shape} for "
                        f"{len(ids)} ids")
    return dict(zip(ids, features.astype(np.float32), strict=True))


def attach_keyed(splits: dict[str, Split], path: Path, modality: str) -> dict[str, Split]:
    """``splits`` with ``modality`` added from ``path``, rows matched by sample id."""
    table = read_keyed(path)
    out = {}
    for name, split in splits.items():
        missing = [i for i in split.ids if i not in table]
        if missing:
            raise DataError(f"{path}: no {modality} features for {len(missing)} of {len(split)} samples of split "
                            f"{name!r} (first: {missing[0]!r}); ids must match the dataset's sample ids")
        features = dict(split.features) | {modality: np.stack([table[i] for i in split.ids])}
        out[name] = split.with_features(features)
    return out
