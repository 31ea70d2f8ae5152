"""MMSD / MMSD 2.0 with KnowleNet's word-level knowledge modality, as four prepared datasets.

Each reads the rows as the project's ``mmsd`` / ``mmsd2`` readers do (same splits, keyword filter, labels; optional
``--option image=FILE.npz``), with ``text`` = the MiniLM sentence embedding (as there), ``attributes`` = the mean of
the MiniLM embeddings of the five attribute words (see :func:`attribute_features`), and the ``knowledge`` sequence
modality of :mod:`reproductions.knowlenet.knowledge`:

* ``mmsd_knowledge`` / ``mmsd2_knowledge``: word vectors from the MiniLM substitute (runs here);
* ``mmsd_numberbatch`` / ``mmsd2_numberbatch``: word vectors from ConceptNet Numberbatch, needing
  ``--option numberbatch=PATH`` (e.g. numberbatch-en-19.08.txt.gz); not prepared here, so their tasks read
  "not run: data unavailable" with the command that prepares them.

Sentence embeddings come from the shared encoder cache (content-hashed), so tweets already encoded for ``mmsd`` or
``mmsd2`` are not encoded again.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from harness.data import mmsd
from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.keyed import attach_keyed
from harness.data.numberbatch import load_numberbatch
from harness.data.read_result import ReadResult
from harness.data.sources import DatasetSource, register_dataset
from harness.data.text_encoder import TextEncoder
from reproductions.knowlenet.knowledge import MAX_WORDS, minilm_word_vectors, similarity_sequences, vocabulary

WORD_SOURCES = ("minilm", "numberbatch")


def _rows(base: str, root: Path, label: str) -> tuple[dict[str, mmsd.Rows], dict]:
    if base == "mmsd":
        return mmsd.read_mmsd_rows(root, label)
    rows = mmsd.read_mmsd2_rows(root)
    return rows, {"label_source": "MMSD2.0 re-annotated label", "keyword_filter": None,
                  "counts": {s: {"raw": len(r)} for s, r in rows.items()}}


def attribute_features(attributes: list[str], encoder: TextEncoder) -> np.ndarray:
    """``(n, 384)``: the mean of the MiniLM sentence embeddings of a tweet's attribute words, each word encoded alone.

    Why not the embedding of the five words as one string (the ``mmsd`` task's ``attributes``): MMSD's attributes
    come from a vocabulary of 1,000 words, so encoding each word once costs 1,000 encoder passes instead of ~24,600.
    """
    split = [a.split() for a in attributes]
    vocab = sorted({w for ws in split for w in ws})
    table = dict(zip(vocab, encoder.sentences(vocab), strict=True))
    return np.stack([np.mean([table[w] for w in ws], axis=0) for ws in split]).astype(np.float32)


def read_knowledge(root: Path, *, base: str, words: str, numberbatch: str | None = None, label: str = "annotator",
                   attributes: str | None = None, image: str | None = None, limit: str | int | None = None,
                   max_words: str | int = MAX_WORDS, encoder: TextEncoder | None = None) -> ReadResult:
    """``base`` (mmsd | mmsd2) rows as the project reads them, text and attribute features, and the text x attribute
    word-similarity sequence."""
    if words not in WORD_SOURCES:
        raise DataError(f"word vectors {words!r} must be one of {WORD_SOURCES}")
    if words == "numberbatch" and not numberbatch:
        raise DataError("this dataset needs ConceptNet Numberbatch: pass --option numberbatch=PATH "
                        "(numberbatch-en-19.08.txt.gz or the multilingual release)")
    encoder = encoder or TextEncoder()
    rows, notes = _rows(base, Path(root), label)
    attr_path = Path(attributes) if attributes else Path(root) / mmsd.ATTRIBUTES
    if not attr_path.is_file():
        raise DataError(f"{attr_path} not found; pass --option attributes=PATH/{mmsd.ATTRIBUTES}")
    attr_words = mmsd.read_attributes(attr_path)
    limit_n = int(limit) if limit else None
    rows = {s: r[:limit_n] for s, r in rows.items()}
    for split, items in rows.items():
        missing = [i for i, _, _ in items if i not in attr_words]
        if missing:
            raise DataError(f"{attr_path}: no attribute words for {len(missing)} tweets of split {split!r} "
                            f"(first {missing[0]}); use MMSD's extract_all")
    vocab = vocabulary([t for r in rows.values() for _, t, _ in r],
                       [attr_words[i] for r in rows.values() for i, _, _ in r])
    if words == "minilm":
        vectors = minilm_word_vectors(vocab)
        without = len(vocab) - len(vectors)
    else:
        nb = load_numberbatch(numberbatch, vocab)
        vectors, without = nb.vectors, len(nb.missing)
    splits, coverage = {}, {}
    for name, items in rows.items():
        ids = np.array([i for i, _, _ in items])
        labels = np.array([y for _, _, y in items], dtype=np.int64)
        if not set(np.unique(labels)) <= {0, 1}:
            raise DataError(f"{base}: split {name!r} has labels {sorted(set(labels))}; expected 0/1")
        texts, attrs = [t for _, t, _ in items], [attr_words[i] for i in ids]
        sims, lengths, coverage[name] = similarity_sequences(texts, attrs, vectors, int(max_words))
        features = {"text": encoder.sentences(texts), "attributes": attribute_features(attrs, encoder),
                    "knowledge": sims}
        splits[name] = Split(ids=ids, labels=labels, features=features, lengths={"knowledge": lengths})
    if image:
        splits = attach_keyed(splits, Path(image), "image")
    dataset = MultimodalDataset(name=f"{base}_{'knowledge' if words == 'minilm' else 'numberbatch'}", splits=splits)
    notes |= {"labels": {s: {"n": len(sp), "sarcastic": int(sp.labels.sum())} for s, sp in splits.items()},
              "limit_rows_per_split": limit_n, "word_vectors": words, "vocabulary": len(vocab),
              "vocabulary_without_vector": without, "max_words": int(max_words), "knowledge_coverage": coverage,
              "features": "text: MiniLM sentence embedding; attributes: mean of the MiniLM embeddings of the 5 words; "
                          "knowledge: cosine(text word, attribute word), (n, max_words, 5), OOV text words dropped, "
                          "OOV attribute words give a zero column"}
    extra = (attr_path,) + ((Path(image),) if image else ()) + ((Path(numberbatch),) if numberbatch else ())
    return ReadResult(dataset, notes, extra)


_MMSD_HINT = "DIR_WITH_train.txt/valid2.txt/test2.txt/image_attributes_extract_all.txt"
_MMSD2_HINT = "DIR_WITH_train/valid/test.json --option attributes=MMSD/image_attributes_extract_all.txt"
for _base, _hint in (("mmsd", _MMSD_HINT), ("mmsd2", _MMSD2_HINT)):
    register_dataset(DatasetSource(
        name=f"{_base}_knowledge",
        description=f"{_base} + text x attribute word similarities (MiniLM word vectors, a ConceptNet substitute)",
        citation="Cai et al. ACL 2019 / Qin et al. Findings ACL 2023; knowledge stream after Yue et al., KnowleNet, "
                 "Information Fusion 2023",
        read=partial(read_knowledge, base=_base, words="minilm"),
        source_hint=_hint,
    ))
    register_dataset(DatasetSource(
        name=f"{_base}_numberbatch",
        description=f"{_base} + text x attribute word similarities from ConceptNet Numberbatch (user-supplied)",
        citation="Speer et al., ConceptNet 5.5, AAAI 2017 (Numberbatch); KnowleNet, Information Fusion 2023",
        read=partial(read_knowledge, base=_base, words="numberbatch"),
        source_hint=f"{_hint} --option numberbatch=numberbatch-en-19.08.txt.gz",
    ))
