"""Fixed, seeded split protocols shared by the loaders and fold tasks (the split seed is part of the task, not the run).

scikit-learn is imported inside the functions: the CLI imports this module's callers at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.errors import UserError

if TYPE_CHECKING:
    from harness.tasks.fold_protocol import FoldProtocol


def stratified_three_way(
    labels: np.ndarray, *, valid: int | float, test: int | float, seed: int
) -> dict[str, np.ndarray]:
    """Stratified train/valid/test indices: test first, then valid carved from the rest."""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    rest, test_idx = train_test_split(index, test_size=test, stratify=labels, random_state=seed)
    train_idx, valid_idx = train_test_split(
        rest, test_size=valid, stratify=labels[rest], random_state=seed
    )
    return {"train": np.sort(train_idx), "valid": np.sort(valid_idx), "test": np.sort(test_idx)}


def _held_out(labels: np.ndarray, protocol: FoldProtocol, fold: int, stratify: bool,
              fold_ids: np.ndarray | None) -> np.ndarray:
    """Boolean mask of the items fold ``fold`` reports on."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    n = len(labels)
    if fold_ids is not None:
        return fold_ids == np.unique(fold_ids)[fold]
    if protocol.kind == "repeated":
        _, test = train_test_split(np.arange(n), test_size=protocol.test, random_state=protocol.seed + fold,
                                   stratify=labels if stratify else None)
    else:
        splitter = (StratifiedKFold if stratify else KFold)(protocol.k, shuffle=True, random_state=protocol.seed)
        test = list(splitter.split(np.zeros(n), labels if stratify else None))[fold][1]
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    return mask


def fold_indices(labels: np.ndarray, protocol: FoldProtocol, fold: int, *, stratify: bool,
                 fold_ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Sorted row indices of fold ``fold``'s ``train``, ``select`` and ``report`` items (the rules are in
    :mod:`harness.tasks.folds`); a class too rare to stratify is a UserError naming the fold."""
    from sklearn.model_selection import train_test_split

    if not 0 <= fold < protocol.k:
        raise UserError(f"fold {fold} is not in 0..{protocol.k - 1}")
    try:
        report = _held_out(labels, protocol, fold, stratify, fold_ids)
        rest = np.flatnonzero(~report)
        train, select = train_test_split(rest, test_size=protocol.select, random_state=protocol.seed + fold,
                                         stratify=labels[rest] if stratify else None)
    except ValueError as err:  # sklearn: a class with too few members to stratify, or too few items
        raise UserError(f"fold {fold} of {protocol.describe()}: cannot split {len(labels)} items ({err})") from None
    return {"train": np.sort(train), "select": np.sort(select), "report": np.flatnonzero(report)}
