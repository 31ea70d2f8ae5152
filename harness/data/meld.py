"""MELD (Poria et al., ACL 2019): emotion and sentiment of utterances in *Friends* dialogues.

Source of truth: declare-lab/MELD, ``data/MELD/{train,dev,test}_sent_emo.csv`` (columns ``Sr No., Utterance,
Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID, Season, Episode, StartTime, EndTime``). One sample per
utterance, ordered by dialogue then ``Utterance_ID`` (the order conversation models need); ``dev`` is the
``valid`` split. Ids are ``<split>/dia<D>_utt<U>``, the clip names of MELD.Raw (dialogue ids restart per split).
Group fields: ``dialogue`` = ``Dialogue_ID``, ``turn`` = ``Utterance_ID``, ``speaker`` = ``Speaker`` (the
character's name, as written in the CSV), so conversation models can batch whole dialogues.

Features: ``text`` = the utterance's 384-d MiniLM sentence embedding (:mod:`harness.data.text_encoder`).
Audio/visual utterance features are not in the CSVs; users who have them pass ``--option audio=FILE.npz``
(and/or ``visual=``), an npz with ``ids`` (``<split>/dia<D>_utt<U>``) and ``features`` (n, d) covering every
utterance (:mod:`harness.data.keyed`).
Label order follows the MELD README ("Labelling"): emotions neutral, surprise, fear,
sadness, joy, disgust, anger; sentiments neutral, positive, negative.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.keyed import attach_keyed
from harness.data.read_result import ReadResult
from harness.data.text_encoder import TextEncoder

if TYPE_CHECKING:
    import pandas as pd

FILES = {"train": "train_sent_emo.csv", "valid": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
COLUMNS = ("Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID")
LABELS = {
    "emotion": ("neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"),
    "sentiment": ("neutral", "positive", "negative"),
}


def read_tables(root: Path, limit: int | None = None) -> dict[str, pd.DataFrame]:
    """The three CSVs, checked and sorted by (Dialogue_ID, Utterance_ID); ``limit`` keeps the first rows."""
    import pandas as pd  # only when MELD is prepared, not at start-up

    tables = {}
    for split, file in FILES.items():
        path = Path(root) / file
        if not path.is_file():
            raise DataError(f"meld: {path} not found; point --from at declare-lab/MELD's data/MELD folder")
        try:
            df = pd.read_csv(path, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            raise DataError(f"meld: cannot parse {path}: {err}; is it a complete copy?") from err
        missing = [c for c in COLUMNS if c not in df.columns]
        if missing:
            raise DataError(f"meld: {path} lacks column(s) {missing}; expected MELD's {list(COLUMNS)}")
        if df.empty:
            raise DataError(f"meld: {path} has no rows (split {split} is empty)")
        for task, names in LABELS.items():
            column = task.capitalize()
            unknown = sorted(set(df[column].str.lower()) - set(names))
            if unknown:
                raise DataError(f"meld: {path} column {column} has unknown value(s) {unknown}; expected {names}")
        if df.duplicated(["Dialogue_ID", "Utterance_ID"]).any():
            raise DataError(f"meld: {path} repeats a (Dialogue_ID, Utterance_ID) pair; the file is corrupt")
        df = df.sort_values(["Dialogue_ID", "Utterance_ID"], kind="stable").reset_index(drop=True)
        tables[split] = df.head(limit) if limit else df
    return tables


def read(root: Path, *, target: str = "emotion", limit: str | int | None = None, audio: str | None = None,
         visual: str | None = None, encoder: TextEncoder | None = None) -> ReadResult:
    """Read MELD for ``target`` (``emotion`` or ``sentiment``); ``limit`` keeps the first rows of each split."""
    if target not in LABELS:
        raise DataError(f"meld: target {target!r} is not one of {list(LABELS)}")
    tables = read_tables(root, int(limit) if limit else None)
    encoder = encoder or TextEncoder()
    names = LABELS[target]
    splits = {}
    for split, df in tables.items():
        ids = np.array([f"{split}/dia{d}_utt{u}" for d, u in zip(df["Dialogue_ID"], df["Utterance_ID"], strict=True)])
        labels = np.array([names.index(v) for v in df[target.capitalize()].str.lower()], dtype=np.int64)
        text = encoder.sentences(df["Utterance"].astype(str).tolist())
        groups = {"dialogue": df["Dialogue_ID"].to_numpy(np.int64), "turn": df["Utterance_ID"].to_numpy(np.int64),
                  "speaker": df["Speaker"].astype(str).to_numpy(np.str_)}
        splits[split] = Split(ids=ids, labels=labels, features={"text": text}, groups=groups)
    extra = []
    for modality, path in (("audio", audio), ("visual", visual)):
        if path:
            splits = attach_keyed(splits, Path(path), modality)
            extra.append(Path(path))
    notes = {
        "target": target, "classes": list(names), "limit_rows_per_split": int(limit) if limit else None,
        "dialogues": {s: int(df["Dialogue_ID"].nunique()) for s, df in tables.items()},
        "speakers": {s: int(df["Speaker"].nunique()) for s, df in tables.items()},
        "class_counts": {s: np.bincount(sp.labels, minlength=len(names)).tolist() for s, sp in splits.items()},
        "text_features": "all-MiniLM-L6-v2 sentence embedding (384-d, normalised) of Utterance",
    }
    return ReadResult(MultimodalDataset(name=f"meld_{target}", splits=splits), notes, tuple(extra))
