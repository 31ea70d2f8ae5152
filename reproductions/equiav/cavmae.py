"""AudioSet-20K, AudioSet-2M, VGGSound and the two CAV-MAE retrieval subsets, read from the CAV-MAE layout.

EquiAV (like CAV-MAE) lists each split as a JSON file ``{"data": [{"video_id", "wav", "video_path", "labels"}]}``
whose ``labels`` are comma-separated class mids (``/m/09x0r,/m/05zppz``), plus a label CSV with a header and rows
``index,mid,display_name`` (CAV-MAE's ``class_labels_indices.csv``). The data is not obtainable here, so these
datasets exist to turn the poster claims' "not run: data unavailable" into a command a user with the data can run.

Features are read PRE-EXTRACTED, never decoded from the ``wav`` / ``video_path`` files: decoding would need an
audio/video/JPEG decoder dependency (EquiAV imports ``decord`` and torchaudio's Kaldi fbank) and hours of CPU per
AudioSet pass, while every model here consumes fixed feature arrays. Layout (``--option features=DIR``): one file
``DIR/<split>.npz`` per split (``train.npz``, ``test.npz``), read with ``allow_pickle=False``, holding

* ``ids``: (m,) strings, the JSON's ``video_id``;
* ``audio``: (m, T, d) float, zero-padded frames (e.g. fbank patches or an encoder's tokens), with ``audio_len`` (m,)
  the valid frames per clip;
* ``image``: (m, d) float, one vector per clip (e.g. EquiAV's middle frame through an image encoder).

The npz may hold more clips than the JSON (they are left out and counted in the manifest); a JSON clip without
features is refused, since dropping it silently would change the test set the claim is about.
Targets: AudioSet is multi-label, a (n, 527) multi-hot uint8 row per clip; VGGSound is single-label (n,) class ids
over 309 classes (a clip with several labels is refused).
"""

from __future__ import annotations

import csv
import json
from functools import partial
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult
from harness.data.sources import DatasetSource, register_dataset

LABEL_CSV = "class_labels_indices.csv"
FEATURE_KEYS = ("ids", "audio", "audio_len", "image")


def read_label_csv(path: Path, classes: int) -> dict[str, int]:
    """``mid -> index`` from CAV-MAE's ``index,mid,display_name`` CSV, which must list exactly ``classes`` classes."""
    if not path.is_file():
        raise DataError(f"{path} not found; pass --option labels=PATH/{LABEL_CSV} (index,mid,display_name)")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"index", "mid"} <= set(rows[0]):
        raise DataError(f"{path}: expected a header 'index,mid,display_name' and one row per class")
    index = {r["mid"]: int(r["index"]) for r in rows}
    if sorted(index.values()) != list(range(classes)):
        raise DataError(f"{path}: {len(rows)} rows with indices {min(index.values())}..{max(index.values())}; "
                        f"this dataset has {classes} classes indexed 0..{classes - 1} (is it the right label CSV?)")
    return index


def read_split_json(path: Path) -> list[dict]:
    """The ``data`` entries of one CAV-MAE dataset JSON."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(f"{path}: not a CAV-MAE dataset JSON ({{\"data\": [{{\"video_id\", \"labels\", ...}}]}}): "
                        f"{err}") from None
    bad = [e for e in entries if not isinstance(e, dict) or not {"video_id", "labels"} <= set(e)]
    if bad or not entries:
        raise DataError(f"{path}: {len(bad)} of {len(entries)} entries lack 'video_id' or 'labels'"
                        if bad else f"{path}: the 'data' list is empty")
    return entries


def targets(entries: list[dict], mids: dict[str, int], multi_label: bool, where: Path) -> np.ndarray:
    """(n, K) multi-hot uint8 rows, or (n,) int64 class ids when each clip must carry exactly one label."""
    rows = [[m.strip() for m in str(e["labels"]).split(",") if m.strip()] for e in entries]
    unknown = sorted({m for r in rows for m in r if m not in mids})
    if unknown:
        raise DataError(f"{where}: {len(unknown)} label mid(s) not in the label CSV (e.g. {unknown[0]!r}); "
                        "use the label CSV the JSON was built with")
    if multi_label:
        y = np.zeros((len(rows), len(mids)), dtype=np.uint8)
        for i, r in enumerate(rows):
            y[i, [mids[m] for m in r]] = 1
        return y
    counts = [len(r) for r in rows]
    if any(c != 1 for c in counts):
        i = next(i for i, c in enumerate(counts) if c != 1)
        raise DataError(f"{where}: clip {entries[i]['video_id']!r} has {counts[i]} labels; this dataset is "
                        "single-label (one mid per clip)")
    return np.array([mids[r[0]] for r in rows], dtype=np.int64)


def read_features(path: Path) -> dict[str, np.ndarray]:
    """One split's feature arrays, checked against the documented layout."""
    if not path.is_file():
        raise DataError(f"{path} not found; --option features=DIR must hold one <split>.npz per split "
                        f"with arrays {FEATURE_KEYS}")
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in FEATURE_KEYS if k not in npz.files]
        if missing:
            raise DataError(f"{path}: missing array(s) {missing}; it needs {FEATURE_KEYS}")
        arrays = {k: npz[k] for k in FEATURE_KEYS}
    m = len(arrays["ids"])
    shapes = {"audio": 3, "audio_len": 1, "image": 2}
    for key, ndim in shapes.items():
        if arrays[key].ndim != ndim or len(arrays[key]) != m:
            raise DataError(f"{path}: {key!r} has shape {arrays[key].shape}; expected {ndim} dims with {m} rows "
                            "(one per id)")
    return arrays


def read_cavmae(root: Path, *, classes: int, multi_label: bool, splits: tuple[str, ...],
                features: str | None = None, labels: str | None = None) -> ReadResult:
    """Each ``<split>.json`` under ``root`` with its features from ``features/<split>.npz``, in the JSON's order."""
    root = Path(root)
    for split in splits:
        if not (root / f"{split}.json").is_file():
            raise DataError(f"{split}.json not found in {root}; expected the CAV-MAE dataset JSON(s) "
                            f"{[s + '.json' for s in splits]}")
    if not features:
        raise DataError("this dataset reads pre-extracted features: pass --option features=DIR holding "
                        f"{[s + '.npz' for s in splits]} (arrays {FEATURE_KEYS}; see reproductions/equiav/cavmae.py)")
    label_path = Path(labels) if labels else root / LABEL_CSV
    mids = read_label_csv(label_path, classes)
    out, notes = {}, {"labels": str(label_path), "classes": classes,
                      "target": "multi-hot (n, K)" if multi_label else "class id", "unused_feature_rows": {}}
    extra = [label_path]
    for split in splits:
        json_path, npz_path = root / f"{split}.json", Path(features) / f"{split}.npz"
        entries = read_split_json(json_path)
        arrays = read_features(npz_path)
        extra.append(npz_path)
        row = {str(i): k for k, i in enumerate(arrays["ids"])}
        ids = [str(e["video_id"]) for e in entries]
        absent = [i for i in ids if i not in row]
        if absent:
            raise DataError(f"{npz_path}: no features for {len(absent)} of {len(ids)} clips of {json_path.name} "
                            f"(first {absent[0]!r}); extract them or remove those clips from the JSON")
        take = np.array([row[i] for i in ids])
        out[split] = Split(ids=np.array(ids), labels=targets(entries, mids, multi_label, json_path),
                           features={"audio": arrays["audio"][take].astype(np.float32),
                                     "image": arrays["image"][take].astype(np.float32)},
                           lengths={"audio": arrays["audio_len"][take].astype(np.int64)})
        notes["unused_feature_rows"][split] = len(row) - len(set(ids))
    return ReadResult(MultimodalDataset(name=f"cavmae_{classes}", splits=out), notes, tuple(extra))


_FEATURES = "--option features=DIR_WITH_{}"
_SOURCES = (
    ("audioset_20k", "AudioSet-20K (balanced train) / AudioSet eval", 527, True, ("train", "test")),
    ("audioset_2m", "AudioSet-2M (full train) / AudioSet eval", 527, True, ("train", "test")),
    ("vggsound", "VGGSound train / test", 309, False, ("train", "test")),
    ("audioset_retrieval", "CAV-MAE's AudioSet retrieval subset (zero-shot, test only)", 527, True, ("test",)),
    ("vggsound_retrieval", "CAV-MAE's VGGSound retrieval subset (zero-shot, test only)", 309, False, ("test",)),
)
for _name, _what, _classes, _multi, _splits in _SOURCES:
    register_dataset(DatasetSource(
        name=_name,
        description=f"{_what}, {_classes} classes, CAV-MAE JSON + label CSV with pre-extracted audio/image features",
        citation="Gemmeke et al., AudioSet, ICASSP 2017 / Chen et al., VGGSound, ICASSP 2020; layout of Gong et al., "
                 "CAV-MAE, ICLR 2023, as used by EquiAV (ICML 2024)",
        read=partial(read_cavmae, classes=_classes, multi_label=_multi, splits=_splits),
        source_hint=(f"DIR_WITH_{'/'.join(s + '.json' for s in _splits)}/{LABEL_CSV} "
                     + _FEATURES.format("/".join(s + ".npz" for s in _splits))),
    ))
