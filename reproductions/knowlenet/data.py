"""MMSD / MMSD 2.0 with KnowleNet's word-level knowledge modality, as four prepared datasets.

Each is the project's ``mmsd`` / ``mmsd2`` reader (same splits, keyword filter, labels, ``text`` and ``attributes``
MiniLM sentence embeddings, optional ``--option image=FILE.npz``) plus the ``knowledge`` sequence modality of
:mod:`reproductions.knowlenet.knowledge`:

* ``mmsd_knowledge`` / ``mmsd2_knowledge``: word vectors from the MiniLM substitute (runs here);
* ``mmsd_numberbatch`` / ``mmsd2_numberbatch``: word vectors from ConceptNet Numberbatch, needing
  ``--option numberbatch=PATH`` (e.g. numberbatch-en-19.08.txt.gz); not prepared here, so their tasks read
  "not run: data unavailable" with the command that prepares them.

The raw text is re-read (cheap) to tokenise it; the sentence embeddings come from the shared encoder cache, so a
dataset prepared after ``mmsd`` encodes nothing new.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from harness.data import mmsd
from harness.data.dataset import DataError, MultimodalDataset
from harness.data.numberbatch import load_numberbatch
from harness.data.read_result import ReadResult
from harness.data.sources import DatasetSource, register_dataset
from harness.data.text_encoder import TextEncoder
from reproductions.knowlenet.knowledge import MAX_WORDS, minilm_word_vectors, similarity_sequences, vocabulary

WORD_SOURCES = ("minilm", "numberbatch")


def _rows(base: str, root: Path, label: str) -> dict[str, mmsd.Rows]:
    return mmsd.read_mmsd_rows(root, label)[0] if base == "mmsd" else mmsd.read_mmsd2_rows(root)


def read_knowledge(root: Path, *, base: str, words: str, numberbatch: str | None = None, label: str = "annotator",
                   attributes: str | None = None, image: str | None = None, limit: str | int | None = None,
                   max_words: str | int = MAX_WORDS, encoder: TextEncoder | None = None) -> ReadResult:
    """``base`` (mmsd | mmsd2) read as the project reads it, plus the text x attribute word-similarity sequence."""
    if words not in WORD_SOURCES:
        raise DataError(f"word vectors {words!r} must be one of {WORD_SOURCES}")
    if words == "numberbatch" and not numberbatch:
        raise DataError("this dataset needs ConceptNet Numberbatch: pass --option numberbatch=PATH "
                        "(numberbatch-en-19.08.txt.gz or the multilingual release)")
    encoder = encoder or TextEncoder()
    common = {"attributes": attributes, "image": image, "limit": limit, "encoder": encoder}
    result = (mmsd.read_mmsd(root, label=label, **common) if base == "mmsd" else mmsd.read_mmsd2(root, **common))
    rows = _rows(base, Path(root), label)
    attr_words = mmsd.read_attributes(result.extra_sources[0])
    limit_n = int(limit) if limit else None
    texts = {s: [t for _, t, _ in r[:limit_n]] for s, r in rows.items()}
    all_texts = [t for ts in texts.values() for t in ts]
    all_attr = [attr_words[i] for sp in result.dataset.splits.values() for i in sp.ids]
    vocab = vocabulary(all_texts, all_attr)
    if words == "minilm":
        vectors = minilm_word_vectors(vocab)
        missing = len(vocab) - len(vectors)
    else:
        nb = load_numberbatch(numberbatch, vocab)
        vectors, missing = nb.vectors, len(nb.missing)
    splits, coverage = {}, {}
    for name, split in result.dataset.splits.items():
        if len(texts[name]) != len(split):
            raise DataError(f"{base}/{name}: {len(texts[name])} texts but {len(split)} samples; the source changed")
        sims, lengths, coverage[name] = similarity_sequences(texts[name], [attr_words[i] for i in split.ids],
                                                              vectors, int(max_words))
        splits[name] = split.with_features(dict(split.features) | {"knowledge": sims},
                                           dict(split.lengths) | {"knowledge": lengths})
    dataset = MultimodalDataset(name=f"{base}_{'knowledge' if words == 'minilm' else 'numberbatch'}", splits=splits)
    notes = result.notes | {"word_vectors": words, "vocabulary": len(vocab), "vocabulary_without_vector": missing,
                            "max_words": int(max_words), "knowledge_coverage": coverage,
                            "knowledge": "cosine(text word, attribute word), (n, max_words, 5); OOV text words "
                                         "dropped, OOV attribute words give a zero column"}
    extra = result.extra_sources + ((Path(numberbatch),) if numberbatch else ())
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
