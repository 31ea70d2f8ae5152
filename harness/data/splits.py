"""Fixed, seeded split protocols shared by the loaders (the split seed is part of the task, not the run)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split


def stratified_three_way(
    labels: np.ndarray, *, valid: int | float, test: int | float, seed: int
) -> dict[str, np.ndarray]:
    """Stratified train/valid/test indices: test first, then valid carved from the rest."""
    index = np.arange(len(labels))
    rest, test_idx = train_test_split(index, test_size=test, stratify=labels, random_state=seed)
    train_idx, valid_idx = train_test_split(
        rest, test_size=valid, stratify=labels[rest], random_state=seed
    )
    return {"train": np.sort(train_idx), "valid": np.sort(valid_idx), "test": np.sort(test_idx)}
