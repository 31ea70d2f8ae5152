"""CMU-MOSI / CMU-MOSEI in the MMSA pickle layout (``aligned_50.pkl``, ``unaligned_50.pkl``).

Source of truth: thuiar/MMSA, ``src/MMSA/data_loader.py`` (Yu et al., 2021), which reads
``data[split][key]`` for split in ``train/valid/test`` and key in:

==========================  ===================  ==============================================
key                         shape                meaning
==========================  ===================  ==============================================
``id``                      (n,)                 clip id, e.g. ``"video$_$clip"``
``raw_text``                (n,)                 transcript
``text``                    (n, T_t, d_t)        word features (768-d BERT or 300-d GloVe)
``text_bert``               (n, 3, T_t)          BERT input ids, attention mask, segment ids
``audio``                   (n, T_a, d_a)        COVAREP (MOSEI 74-d, MOSI 5-d)
``vision``                  (n, T_v, d_v)        Facet (MOSEI 35-d, MOSI 20-d)
``audio_lengths``           (n,)                 valid audio steps (unaligned layout)
``vision_lengths``          (n,)                 valid vision steps (unaligned layout)
``regression_labels``       (n,) or (n, 1)       sentiment in [-3, 3]: the task's label
``classification_labels``   (n,)                 class ids (checked for length, not used)
==========================  ===================  ==============================================

Aligned files (all modalities word-aligned to one ``T``) may omit the ``*_lengths`` keys, as MMSA then
ignores them; audio and vision are then taken at full length. MMSA keeps no text length: the text length
here is one past the last step that is not all zero (padding is trailing zeros), at least 1.
Non-finite values (MOSEI's audio holds -inf, which MMSA sets to 0) follow the explicit ``nonfinite``
policy and are counted in the manifest.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult, check_policy, fix_nonfinite
from harness.data.safe_pickle import safe_load

SPLITS = ("train", "valid", "test")
FILES = ("aligned_50.pkl", "unaligned_50.pkl")
REQUIRED = ("id", "raw_text", "text", "text_bert", "audio", "vision", "regression_labels", "classification_labels")
SEQUENCES = ("text", "audio", "vision")
LENGTH_KEYS = {"audio": "audio_lengths", "vision": "vision_lengths"}


def find_file(path: Path) -> Path:
    """The pickle itself, or the single MMSA pickle inside a folder."""
    path = Path(path)
    if path.is_file():
        return path
    found = [path / f for f in FILES if (path / f).is_file()]
    if len(found) != 1:
        what = "both" if found else "neither"
        raise DataError(f"{path}: {what} of {', '.join(FILES)} found; pass the pickle file itself with --from")
    return found[0]


def _text_lengths(text: np.ndarray) -> np.ndarray:
    nonzero = np.abs(text).reshape(text.shape[0], text.shape[1], -1).max(axis=2) > 0
    last = text.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, 1).astype(np.int64)


def _split(part: dict, where: str, policy: str, notes: dict) -> Split:
    if not isinstance(part, dict):
        raise DataError(f"{where}: expected a dict of arrays, got {type(part).__name__}")
    missing = [k for k in REQUIRED if k not in part]
    if missing:
        raise DataError(f"{where}: missing key(s) {missing}; an MMSA pickle split needs {list(REQUIRED)}")
    y = np.asarray(part["regression_labels"], dtype=np.float32).reshape(-1)
    n = len(y)
    if n == 0:
        raise DataError(f"{where}: the split is empty (0 regression_labels)")
    for key in REQUIRED + tuple(k for k in LENGTH_KEYS.values() if k in part):
        if len(part[key]) != n:
            raise DataError(f"{where}: key {key!r} has {len(part[key])} rows but regression_labels has {n}; "
                            "the file is inconsistent (mixed splits or truncated export)")
    bert = np.asarray(part["text_bert"])
    features = {}
    for m in SEQUENCES:
        x = np.asarray(part[m])
        if x.ndim != 3:
            raise DataError(f"{where}: key {m!r} must be (n, T, d), got shape {x.shape}")
        features[m] = fix_nonfinite(x.astype(np.float32, copy=False), policy, f"{where}/{m}", notes["nonfinite"])
    if bert.shape != (n, 3, features["text"].shape[1]):
        raise DataError(f"{where}: text_bert has shape {bert.shape}, expected {(n, 3, features['text'].shape[1])} "
                        "(ids, mask, segments over the text steps)")
    lengths = {"text": _text_lengths(features["text"])}
    for m, key in LENGTH_KEYS.items():
        t = features[m].shape[1]
        if key in part:
            raw = np.asarray(part[key]).astype(np.int64).reshape(-1)
            if (raw > t).any() or (raw < 0).any():
                raise DataError(f"{where}: {key} must lie in [0, {t}], got [{raw.min()}, {raw.max()}]")
            zero = int((raw == 0).sum())
            if zero:
                notes["zero_lengths_set_to_1"][f"{where}/{key}"] = zero
            lengths[m] = np.maximum(raw, 1)
        elif t == features["text"].shape[1]:
            lengths[m] = np.full(n, t, dtype=np.int64)
        else:
            raise DataError(f"{where}: {m} has {t} steps but text has {features['text'].shape[1]}, so this is the "
                            f"unaligned layout, which needs the key {key!r}")
    ids = np.asarray([str(i) for i in part["id"]])
    return Split(ids=ids, labels=y, features=features, lengths=lengths)


def read(path: Path, *, name: str = "mmsa", nonfinite: str = "error") -> ReadResult:
    """Read an MMSA pickle through the restricted unpickler; ``nonfinite`` is ``error`` or ``zero``."""
    file = find_file(path)
    check_policy(nonfinite)
    data = safe_load(file)
    if not isinstance(data, dict):
        raise DataError(f"{file}: expected a dict with splits {SPLITS}, got {type(data).__name__}")
    missing = [s for s in SPLITS if s not in data]
    if missing:
        raise DataError(f"{file}: missing split(s) {missing}; MMSA pickles hold {list(SPLITS)}")
    notes: dict = {"layout": file.name, "nonfinite_policy": nonfinite, "nonfinite": {}, "zero_lengths_set_to_1": {},
                   "label": "regression_labels (sentiment in [-3, 3])"}
    splits = {s: _split(data[s], f"{file}:{s}", nonfinite, notes) for s in SPLITS}
    return ReadResult(MultimodalDataset(name=name, splits=splits), notes)


def to_layout(dataset: MultimodalDataset) -> dict[str, dict[str, np.ndarray]]:
    """A dataset with ``text/audio/vision`` sequences and regression labels, in MMSA's pickle layout.

    Fields the source lacks are filled by documented conventions: ``text_bert`` carries zero ids, the mask
    of valid text steps and zero segments; ``raw_text`` is empty; ``classification_labels`` is the sign
    class of the label (0 negative, 1 zero, 2 positive; mmrepro's convention, not verified against MMSA's).
    """
    layout = {}
    for split_name in SPLITS:
        split = dataset.split(split_name)
        missing = [m for m in SEQUENCES if not split.is_sequence(m)]
        if missing:
            raise DataError(f"{dataset.name}/{split_name}: MMSA layout needs sequence modalities {SEQUENCES}; "
                            f"missing or not sequences: {missing}")
        n, t_text = len(split), split.features["text"].shape[1]
        bert = np.zeros((n, 3, t_text), dtype=np.float32)
        bert[:, 1] = split.mask("text")
        y = split.labels.astype(np.float32)
        layout[split_name] = {
            "id": split.ids.astype(object), "raw_text": np.array([""] * n, dtype=object),
            "text": split.features["text"], "text_bert": bert,
            "audio": split.features["audio"], "vision": split.features["vision"],
            "audio_lengths": split.lengths["audio"].tolist(), "vision_lengths": split.lengths["vision"].tolist(),
            "regression_labels": y, "classification_labels": (np.sign(y) + 1).astype(np.float32),
        }
    return layout


def write(dataset: MultimodalDataset, path: Path) -> Path:
    """Export ``dataset`` (e.g. ``synth_msa``) as an MMSA ``unaligned_50.pkl``-style pickle at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(to_layout(dataset), f, protocol=4)
    return path
