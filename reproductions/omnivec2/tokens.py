"""The multitask suite's inputs as raw tokens: every task's modalities become streams of (n, L, D) token arrays.

OmniVec2's tokenizers are modality-specific and unpublished; here each is a fixed, parameter-free cut of the
input into tokens (this module) followed by a learned linear embedding (``network.Tokenizer``):

* **audio** (FSDD log-mel, variable length): the valid frames cut into ``audio_tokens`` equal segments, each
  averaged (40 mel bins per token), so every clip is ``audio_tokens`` tokens whatever its length;
* **image** (8x8 digit, stored flat): 2x2 pixel patches, 16 tokens of 4 values (ViT-style patches);
* **text** / **attributes** (384-d MiniLM sentence embeddings; the words are not stored): ``text_chunk``-wide
  slices, 384 / 48 = 8 tokens;
* **tabular** (mfeat's six feature views): one token per view, zero-padded to the widest view; its tokenizer has
  one embedding per view (``per_position``), since the views differ in meaning and width.

Which task modality feeds which stream is :data:`LAYOUTS`; a task outside it is refused with the list. Token values
are standardised per (position, dimension) with the task's training statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.data.dataset import Split
from harness.errors import UserError

# task -> stream -> the task's modalities that make it (several = one token each, tabular views)
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "av-digits": {"audio": ("audio",), "image": ("image",)},
    "mfeat": {"tabular": ("fou", "fac", "kar", "pix", "zer", "mor")},
    "meld-sentiment": {"text": ("text",)},
    "meld-emotion": {"text": ("text",)},
    "mmsd": {"text": ("text",), "attributes": ("attributes",)},
}


@dataclass(frozen=True)
class StreamShape:
    """One stream's token layout: ``length`` tokens of ``dim`` values; ``per_position``: one embedding per token."""

    length: int
    dim: int
    per_position: bool


def layout(task: str) -> dict[str, tuple[str, ...]]:
    if task not in LAYOUTS:
        raise UserError(f"omnivec2 has no tokenizer layout for task {task!r}; it knows {', '.join(LAYOUTS)}")
    return LAYOUTS[task]


def _segments(x: np.ndarray, lengths: np.ndarray, n_tokens: int) -> np.ndarray:
    """Mean of each of ``n_tokens`` equal segments of the valid frames (at least one frame per segment)."""
    n, t, d = x.shape
    cs = np.concatenate([np.zeros((n, 1, d), np.float64), np.cumsum(x, axis=1, dtype=np.float64)], axis=1)
    k = np.arange(n_tokens)
    start = np.floor(k[None, :] * lengths[:, None] / n_tokens).astype(int)
    end = np.maximum(start + 1, np.floor((k[None, :] + 1) * lengths[:, None] / n_tokens).astype(int))
    end = np.minimum(end, np.maximum(lengths[:, None], 1))
    start = np.minimum(start, end - 1)
    rows = np.arange(n)[:, None]
    total = cs[rows, end] - cs[rows, start]
    return (total / (end - start)[..., None]).astype(np.float32)


def _patches(x: np.ndarray, patch: int) -> np.ndarray:
    """(n, side*side) flat square images -> (n, (side/patch)^2, patch^2) patch tokens."""
    n, d = x.shape
    side = int(round(np.sqrt(d)))
    if side * side != d or side % patch:
        raise UserError(f"an image stream needs flat square images divisible into {patch}x{patch} patches, got {d}")
    g = side // patch
    return x.reshape(n, g, patch, g, patch).transpose(0, 1, 3, 2, 4).reshape(n, g * g, patch * patch)


def raw_tokens(split: Split, modalities: tuple[str, ...], stream: str, audio_tokens: int, text_chunk: int
               ) -> np.ndarray:
    """One stream of a split as (n, L, D) float32 tokens (see the module docstring)."""
    if len(modalities) > 1:  # one token per view, zero-padded to the widest
        views = [split.pooled(m) for m in modalities]
        width = max(v.shape[1] for v in views)
        out = np.zeros((len(split), len(views), width), np.float32)
        for i, v in enumerate(views):
            out[:, i, :v.shape[1]] = v
        return out
    m = modalities[0]
    x = split.features[m]
    if split.is_sequence(m):
        return _segments(x.astype(np.float32), split.lengths[m], audio_tokens)
    if stream == "image":
        return _patches(x.reshape(len(x), -1).astype(np.float32), 2)
    if x.ndim != 2 or x.shape[1] % text_chunk:
        raise UserError(f"stream {stream!r}: a vector of width {x.shape[-1]} cannot be cut into "
                        f"{text_chunk}-wide tokens")
    return x.reshape(len(x), -1, text_chunk).astype(np.float32)


def stream_shape(tokens: np.ndarray, per_position: bool) -> StreamShape:
    return StreamShape(int(tokens.shape[1]), int(tokens.shape[2]), per_position)


@dataclass(frozen=True)
class Standardiser:
    """Per (position, dimension) mean and std of a stream's training tokens (std floor 1e-6: padded dims)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, tokens: np.ndarray) -> Standardiser:
        return cls(tokens.mean(axis=0), np.maximum(tokens.std(axis=0), 1e-6))

    def __call__(self, tokens: np.ndarray) -> np.ndarray:
        return ((tokens - self.mean) / self.std).astype(np.float32)
