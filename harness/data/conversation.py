"""Conversation features as DialogueRNN / DialogueGCN / COGMEN / CORECT publish them (IEMOCAP, CMU-MOSEI).

Source of truth: the 9-tuple pickle read by DialogueRNN's ``IEMOCAPDataset`` and CORECT's ``preprocess.py``
(``IEMOCAP_features.pkl``, ``IEMOCAP_features_4.pkl``)::

    (ids, speakers, labels, text, audio, visual, sentences, train_ids, test_ids)

where each of ``speakers .. sentences`` maps a dialogue id to a per-utterance list (speaker ``"M"``/``"F"``,
integer label, one feature vector per modality, the transcript). Pickles are read with ``latin1`` through
the restricted unpickler. One sample per utterance, in dialogue order, with id
``<dialogue>#<position>#<speaker>``. The same three parts fill the group fields ``dialogue`` (the pickle's
dialogue id), ``turn`` (position in the dialogue) and ``speaker`` (``"M"``/``"F"``), so conversation models
batch whole dialogues (:meth:`harness.data.dataset.Split.dialogues`).

Split protocol (CORECT): test = ``test_ids``; valid = the first ``floor(10%)`` of ``train_ids`` in stored
order (sorted first if the pickle stores a set, whose order is not defined); train = the rest.
IEMOCAP-6 labels: hap 0, sad 1, neu 2, ang 3, exc 4, fru 5; IEMOCAP-4: hap 0, sad 1, neu 2, ang 3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult, check_policy, fix_nonfinite
from harness.data.safe_pickle import safe_load

FIELDS = ("ids", "speakers", "labels", "text", "audio", "visual", "sentences", "train_ids", "test_ids")
MODALITIES = ("text", "audio", "visual")
CLASSES = {
    "iemocap_6": ("hap", "sad", "neu", "ang", "exc", "fru"),
    "iemocap_4": ("hap", "sad", "neu", "ang"),
}


def _ordered(ids, where: str) -> list[str]:
    if isinstance(ids, set | frozenset):
        return sorted(str(i) for i in ids)
    if not isinstance(ids, list | tuple | np.ndarray):
        raise DataError(f"{where}: expected a list of dialogue ids, got {type(ids).__name__}")
    return [str(i) for i in ids]


def _dialogue_rows(fields: dict, dialogue, where: str, policy: str, replaced: dict) -> dict:
    n = len(fields["labels"][dialogue])
    for key in ("speakers", *MODALITIES):
        if len(fields[key][dialogue]) != n:
            raise DataError(f"{where}: dialogue {dialogue!r} has {len(fields[key][dialogue])} {key} entries but "
                            f"{n} labels; the pickle is inconsistent")
    rows = {m: fix_nonfinite(np.asarray(fields[m][dialogue], dtype=np.float32).reshape(n, -1), policy,
                             f"{where}:{m}", replaced) for m in MODALITIES}
    rows["labels"] = np.asarray(fields["labels"][dialogue], dtype=np.int64)
    speakers = [str(s) for s in fields["speakers"][dialogue]]
    rows["ids"] = [f"{dialogue}#{i}#{s}" for i, s in enumerate(speakers)]
    rows["dialogue"], rows["turn"], rows["speaker"] = [str(dialogue)] * n, list(range(n)), speakers
    return rows


def read(path: Path, *, name: str = "iemocap_6", nonfinite: str = "error") -> ReadResult:
    """Read a conversation pickle; ``name`` picks the class list the labels are checked against."""
    path = Path(path)
    check_policy(nonfinite)
    raw = safe_load(path)
    if not isinstance(raw, tuple | list) or len(raw) != len(FIELDS):
        raise DataError(f"{path}: expected the 9-tuple {FIELDS} of DialogueRNN/CORECT, got "
                        f"{type(raw).__name__} of length {len(raw) if hasattr(raw, '__len__') else '?'}")
    fields = dict(zip(FIELDS, raw, strict=True))
    train_ids = _ordered(fields["train_ids"], f"{path}:train_ids")
    test_ids = _ordered(fields["test_ids"], f"{path}:test_ids")
    by_str = {str(k): k for k in fields["labels"]}
    missing = [d for d in train_ids + test_ids if d not in by_str]
    if missing:
        raise DataError(f"{path}: {len(missing)} listed dialogues have no labels (first {missing[0]!r})")
    n_valid = len(train_ids) // 10
    groups = {"train": train_ids[n_valid:], "valid": train_ids[:n_valid], "test": test_ids}
    classes = CLASSES[name]
    replaced: dict[str, int] = {}
    splits = {}
    for split, dialogues in groups.items():
        if not dialogues:
            raise DataError(f"{path}: split {split!r} has no dialogues")
        rows = [_dialogue_rows(fields, by_str[d], f"{path}:{split}", nonfinite, replaced) for d in dialogues]
        labels = np.concatenate([r["labels"] for r in rows])
        if labels.min() < 0 or labels.max() >= len(classes):
            raise DataError(f"{path}: {split} labels span [{labels.min()}, {labels.max()}] but {name} has "
                            f"{len(classes)} classes {classes}; use the matching pickle")
        features = {m: np.concatenate([r[m] for r in rows]) for m in MODALITIES}
        group_fields = {"dialogue": np.array([d for r in rows for d in r["dialogue"]], dtype=np.str_),
                  "turn": np.concatenate([r["turn"] for r in rows]).astype(np.int64),
                  "speaker": np.array([s for r in rows for s in r["speaker"]], dtype=np.str_)}
        splits[split] = Split(ids=np.array([i for r in rows for i in r["ids"]]), labels=labels, features=features,
                              groups=group_fields)
    notes = {"classes": list(classes), "dialogues": {s: len(d) for s, d in groups.items()},
             "valid_protocol": "first floor(10%) of train_ids in stored order (CORECT)",
             "nonfinite_policy": nonfinite, "nonfinite": replaced}
    return ReadResult(MultimodalDataset(name=name, splits=splits), notes)
