"""Twitter multimodal sarcasm: MMSD (Cai, Cai & Wan, ACL 2019) and MMSD 2.0 (Qin et al., Findings ACL 2023).

Sources of truth:
- MMSD: headacheboy/data-of-multimodal-sarcasm-detection. ``text/train.txt`` lines are Python literals
  ``['<id>', '<text>', label]``; ``valid2.txt``/``test2.txt`` add a second label:
  ``['<id>', '<text>', hashtag_label, annotator_label]``. ``codes/loadData.py`` drops a line when any whitespace
  token of the text is in :data:`KEYWORDS` and uses the *last* element as the label. Lines are parsed with
  ``ast.literal_eval`` (never ``eval``).
- MMSD 2.0: JoeYing1019/MMSD2.0, ``data/text_json_final/{train,valid,test}.json``, arrays of
  ``{"image_id", "text", "label"}``; no keyword filter (the re-annotation replaced it).
- Image attributes (both): ``extract/extract_all``, lines ``['<id>', w1, ..., w5]``, the five attribute words
  predicted per image, the paper's image-attribute modality.

Features: ``text`` and ``attributes`` (the five words joined by spaces) as 384-d MiniLM sentence embeddings.
Users with image features pass ``--option image=FILE.npz`` (``ids`` = tweet ids, ``features`` (n, d)).
Label 1 = sarcastic, the positive class of precision/recall/F1.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.keyed import attach_keyed
from harness.data.read_result import ReadResult
from harness.data.text_encoder import TextEncoder

KEYWORDS = frozenset({"sarcasm", "sarcastic", "reposting", "<url>", "joke", "humour", "humor", "jokes", "irony",
                      "ironic", "exgag"})
MMSD_FILES = {"train": "train.txt", "valid": "valid2.txt", "test": "test2.txt"}
MMSD2_FILES = {"train": "train.json", "valid": "valid.json", "test": "test.json"}
ATTRIBUTES = "image_attributes_extract_all.txt"
LABEL_SOURCES = ("annotator", "hashtag")

Rows = list[tuple[str, str, int]]


def _literal_lines(path: Path) -> list[list]:
    if not path.is_file():
        raise DataError(f"{path} not found; point --from at the folder holding it")
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = ast.literal_eval(line)
            except (ValueError, SyntaxError) as err:
                raise DataError(f"{path}:{number}: not a Python literal list ({err}); the file is corrupt "
                                "or truncated") from err
            if not isinstance(row, list) or len(row) < 3:
                raise DataError(f"{path}:{number}: expected ['<id>', '<text>', label, ...], got {line[:80]!r}")
            rows.append(row)
    if not rows:
        raise DataError(f"{path}: no lines (empty split)")
    return rows


def keyword_filter(rows: Rows) -> Rows:
    """Upstream's filter: drop a tweet when a whitespace token of its text is a sarcasm/URL keyword."""
    return [r for r in rows if not KEYWORDS.intersection(r[1].split())]


def read_mmsd_rows(root: Path, label: str = "annotator") -> tuple[dict[str, Rows], dict]:
    """Filtered ``(id, text, label)`` rows per split and the counts before/after the filter."""
    if label not in LABEL_SOURCES:
        raise DataError(f"mmsd: label {label!r} is not one of {LABEL_SOURCES}")
    splits, counts, agree = {}, {}, {}
    for split, file in MMSD_FILES.items():
        raw = _literal_lines(Path(root) / file)
        width = 3 if split == "train" else 4
        bad = [i for i, r in enumerate(raw, 1) if len(r) != width]
        if bad:
            raise DataError(f"mmsd: {Path(root) / file}:{bad[0]} has {len(raw[bad[0] - 1])} fields, expected {width}")
        if split != "train":
            agree[split] = sum(r[2] == r[3] for r in raw)
        pick = -1 if label == "annotator" or split == "train" else -2
        rows = [(str(r[0]), str(r[1]), int(r[pick])) for r in raw]
        kept = keyword_filter(rows)
        counts[split] = {"raw": len(rows), "after_keyword_filter": len(kept), "dropped": len(rows) - len(kept)}
        splits[split] = kept
    notes = {"label_source": f"{label} label in valid/test (train.txt has one label, used as is)",
             "keyword_filter": sorted(KEYWORDS), "counts": counts, "hashtag_annotator_agree_raw": agree}
    return splits, notes


def read_mmsd2_rows(root: Path) -> dict[str, Rows]:
    splits = {}
    for split, file in MMSD2_FILES.items():
        path = Path(root) / file
        if not path.is_file():
            raise DataError(f"mmsd2: {path} not found; point --from at MMSD2.0's data/text_json_final")
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise DataError(f"mmsd2: {path} is not valid JSON ({err}); the file is truncated or corrupt") from err
        if not items:
            raise DataError(f"mmsd2: {path} holds no items (empty split)")
        try:
            splits[split] = [(str(it["image_id"]), str(it["text"]), int(it["label"])) for it in items]
        except (KeyError, TypeError) as err:
            raise DataError(f"mmsd2: {path}: every item needs image_id, text, label; missing {err}") from err
    return splits


def read_attributes(path: Path) -> dict[str, str]:
    """Tweet id -> its five image-attribute words joined by spaces."""
    return {str(r[0]): " ".join(map(str, r[1:])) for r in _literal_lines(path)}


def _attributes_file(root: Path, attributes: str | None) -> Path:
    path = Path(attributes) if attributes else Path(root) / ATTRIBUTES
    if not path.is_file():
        raise DataError(f"{path} not found; pass --option attributes=PATH/{ATTRIBUTES} (MMSD's extract/extract_all)")
    return path


def _build(name: str, rows: dict[str, Rows], attributes: Path, encoder: TextEncoder, image: str | None,
           limit: int | None) -> tuple[MultimodalDataset, dict]:
    words = read_attributes(attributes)
    splits = {}
    for split, items in rows.items():
        items = items[:limit] if limit else items
        missing = [i for i, _, _ in items if i not in words]
        if missing:
            raise DataError(f"{attributes}: no attribute words for {len(missing)} tweets of split {split!r} "
                            f"(first {missing[0]}); use MMSD's extract_all")
        ids = np.array([i for i, _, _ in items])
        labels = np.array([y for _, _, y in items], dtype=np.int64)
        if not set(np.unique(labels)) <= {0, 1}:
            raise DataError(f"{name}: split {split!r} has labels {sorted(set(labels))}; expected 0/1")
        features = {"text": encoder.sentences([t for _, t, _ in items]),
                    "attributes": encoder.sentences([words[i] for i in ids])}
        splits[split] = Split(ids=ids, labels=labels, features=features)
    if image:
        splits = attach_keyed(splits, Path(image), "image")
    counts = {s: {"n": len(sp), "sarcastic": int(sp.labels.sum()), "not": int((sp.labels == 0).sum())}
              for s, sp in splits.items()}
    return MultimodalDataset(name=name, splits=splits), counts


def read_mmsd(root: Path, *, label: str = "annotator", attributes: str | None = None, image: str | None = None,
              limit: str | int | None = None, encoder: TextEncoder | None = None) -> ReadResult:
    """MMSD with the upstream keyword filter; ``label`` picks annotator (upstream default) or hashtag labels."""
    rows, notes = read_mmsd_rows(root, label)
    attr = _attributes_file(root, attributes)
    limit = int(limit) if limit else None
    dataset, counts = _build("mmsd", rows, attr, encoder or TextEncoder(), image, limit)
    notes |= {"labels": counts, "limit_rows_per_split": limit, "features": "MiniLM sentence embeddings of text "
              "and of the five attribute words"}
    return ReadResult(dataset, notes, (attr,) + ((Path(image),) if image else ()))


def read_mmsd2(root: Path, *, attributes: str | None = None, image: str | None = None,
               limit: str | int | None = None, encoder: TextEncoder | None = None) -> ReadResult:
    """MMSD 2.0 (no keyword filter); image attributes come from MMSD's ``extract_all`` (same tweet ids)."""
    rows = read_mmsd2_rows(root)
    attr = _attributes_file(root, attributes)
    limit = int(limit) if limit else None
    dataset, counts = _build("mmsd2", rows, attr, encoder or TextEncoder(), image, limit)
    notes = {"label_source": "MMSD2.0 re-annotated label", "keyword_filter": None,
             "counts": {s: {"raw": len(r)} for s, r in rows.items()}, "labels": counts,
             "limit_rows_per_split": limit}
    return ReadResult(dataset, notes, (attr,) + ((Path(image),) if image else ()))
