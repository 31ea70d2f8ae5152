"""ConceptNet Numberbatch word vectors (Speer, Chin & Havasi, AAAI 2017), read from the published text format.

The releases (``numberbatch-en-19.08.txt.gz``, ``numberbatch-19.08.txt.gz``, ...) are word2vec-style text: an
optional header line ``<count> <dim>``, then one line per term, ``<term> <v1> ... <vdim>``. English-only files
name terms plainly (``ice_cream``); multilingual files use ConceptNet URIs (``/c/en/ice_cream``), of which only
the chosen ``language`` is kept. Files ending in ``.gz`` are decompressed on the fly.

Only the words of a given vocabulary are kept (the full release holds ~500k English terms x 300 floats), so a
caller passes the words it will look up. Lookup keys are normalised as ConceptNet normalises terms: lower case,
spaces to underscores. **Out-of-vocabulary handling** (the paper does not say): a word with no vector is simply
absent from :attr:`WordVectors.vectors`; callers decide (KnowleNet's knowledge stream leaves it out of the
similarity matrix). ConceptNet's own fallback (the average of vectors of terms sharing a prefix) is not applied,
because it needs the whole release in memory.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from harness.data.dataset import DataError


def term_key(word: str) -> str:
    """ConceptNet's surface normalisation: lower case, spaces joined by underscores."""
    return "_".join(word.strip().lower().split())


@dataclass(frozen=True)
class WordVectors:
    """Vectors of the vocabulary's words that the release covers, and the words it did not."""

    vectors: dict[str, np.ndarray]  # term key -> (dim,) float32
    dim: int
    missing: tuple[str, ...]  # vocabulary keys with no vector (out of vocabulary)

    def coverage(self) -> float:
        total = len(self.vectors) + len(self.missing)
        return len(self.vectors) / total if total else 0.0


def _open(path: Path) -> TextIO:
    if not path.is_file():
        raise DataError(f"{path} not found; download a Numberbatch release (e.g. numberbatch-en-19.08.txt.gz) "
                        "and pass its path")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _term(token: str, language: str) -> str | None:
    """The term key of a line's first token, or None when it belongs to another language."""
    if token.startswith("/c/"):
        parts = token.split("/")
        if len(parts) < 4 or parts[2] != language:
            return None
        return term_key(parts[3])
    return term_key(token)


def load_numberbatch(path: str | Path, vocabulary: Iterable[str], *, language: str = "en") -> WordVectors:
    """Read the vectors of ``vocabulary`` (normalised by :func:`term_key`) from a Numberbatch text file."""
    path = Path(path)
    wanted = {term_key(w) for w in vocabulary if term_key(w)}
    found: dict[str, np.ndarray] = {}
    dim: int | None = None
    with _open(path) as f:
        for number, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])  # the header: count and dimension
                continue
            if len(parts) < 2:
                if line.strip():
                    raise DataError(f"{path}:{number}: expected '<term> <v1> ... <vd>', got {line[:60]!r}")
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise DataError(f"{path}:{number}: {len(parts) - 1} values, expected {dim}; the file is corrupt "
                                "or truncated")
            key = _term(parts[0], language)
            if key is None or key not in wanted or key in found:
                continue
            try:
                found[key] = np.asarray(parts[1:], dtype=np.float32)
            except ValueError as err:
                raise DataError(f"{path}:{number}: a value is not a number ({err})") from err
    if dim is None:
        raise DataError(f"{path}: no vectors (empty file)")
    return WordVectors(found, dim, tuple(sorted(wanted - found.keys())))
