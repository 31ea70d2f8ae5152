"""Whole dialogues as the unit of batching: a split's utterances grouped into dialogues in turn order.

CORECT (and every conversation model here) sees a batch of whole dialogues, zero-padded to the longest one
(``../shared/papers/corect.md`` §1: batches of 10 dialogues, padding zeros, padded speaker id 0). Utterance
order inside a batch is *dialogue-major*: dialogue by dialogue, turn by turn; networks return one output row per
real utterance in that order, and :class:`DialogueTensors` maps them back to the split's row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from harness.data.dataset import Split
from harness.train import Standardizer


@dataclass(frozen=True)
class DialogueBatch:
    """``x[m]`` ``(B, L, d)`` zero-padded; ``lengths`` ``(B,)``; ``speakers`` ``(B, L)`` ids (0 on padding)."""

    x: dict[str, torch.Tensor]
    lengths: torch.Tensor
    speakers: torch.Tensor

    @property
    def mask(self) -> torch.Tensor:
        """``(B, L)`` True on real utterances."""
        steps = torch.arange(self.speakers.shape[1], device=self.lengths.device)
        return steps[None, :] < self.lengths[:, None]


def speaker_vocabulary(train: Split, max_speakers: int) -> dict[str, int] | None:
    """A global speaker vocabulary when the training split has few speaker labels (IEMOCAP's M/F, sorted),
    else None: then speakers are numbered per dialogue by first appearance (MELD's character names)."""
    names = sorted({str(s) for s in train.group("speaker")})
    return {s: i for i, s in enumerate(names)} if len(names) <= max_speakers else None


def speaker_ids(split: Split, dialogues: list[np.ndarray], vocabulary: dict[str, int] | None,
                max_speakers: int) -> np.ndarray:
    """Per-row speaker ids: from ``vocabulary`` (unknown -> 0), or by order of first appearance in the
    row's dialogue, capped at ``max_speakers - 1``."""
    speaker = split.group("speaker")
    ids = np.zeros(len(split), dtype=np.int64)
    for rows in dialogues:
        names = [str(s) for s in speaker[rows]]
        if vocabulary is None:
            order = list(dict.fromkeys(names))
            ids[rows] = [min(order.index(s), max_speakers - 1) for s in names]
        else:
            ids[rows] = [vocabulary.get(s, 0) for s in names]
    return ids


class DialogueTensors:
    """One split as dialogues, the Trainer's data unit: ``len`` is the number of dialogues and
    ``batch(index)`` returns the chosen dialogues (in ``index`` order) and their utterance labels.

    The inputs are a tuple of :class:`DialogueBatch` chunks of at most ``chunk`` dialogues: training batches
    are one chunk; prediction walks the split in stored order ``chunk`` dialogues at a time, as CORECT's
    evaluation does, so that an unmasked model sees the same padding at every evaluation (hazard 3).
    """

    def __init__(self, split: Split, modalities: tuple[str, ...], standardizer: Standardizer,
                 vocabulary: dict[str, int] | None, max_speakers: int, chunk: int, device: torch.device) -> None:
        self.dialogues = split.dialogues()
        self.chunk, self.device = chunk, device
        self.x = {}
        for m in modalities:
            mean, std = standardizer.stats[m]
            self.x[m] = torch.from_numpy(((split.pooled(m) - mean) / std).astype(np.float32))
        self.speakers = torch.from_numpy(speaker_ids(split, self.dialogues, vocabulary, max_speakers))
        self.y = torch.from_numpy(np.array(split.labels, dtype=np.int64))
        self.order = np.concatenate(self.dialogues)  # dialogue-major position -> split row

    def __len__(self) -> int:
        return len(self.dialogues)

    def batch(self, index: np.ndarray) -> tuple[tuple[DialogueBatch, ...], torch.Tensor]:
        chunks = tuple(self._chunk([self.dialogues[int(d)] for d in index[start:start + self.chunk]])
                       for start in range(0, len(index), self.chunk))
        rows = torch.from_numpy(np.concatenate([self.dialogues[int(d)] for d in index]))
        return chunks, self.y[rows].to(self.device)

    def _chunk(self, dialogues: list[np.ndarray]) -> DialogueBatch:
        lengths = [len(r) for r in dialogues]
        width = max(lengths)
        padded = np.full((len(dialogues), width), -1, dtype=np.int64)
        for i, r in enumerate(dialogues):
            padded[i, : len(r)] = r
        valid = torch.from_numpy(padded >= 0)
        rows = torch.from_numpy(np.maximum(padded, 0))
        x = {m: (v[rows] * valid[..., None]).to(self.device) for m, v in self.x.items()}
        speakers = (self.speakers[rows] * valid).to(self.device)
        return DialogueBatch(x, torch.tensor(lengths, device=self.device), speakers)

    def to_rows(self, outputs: np.ndarray) -> np.ndarray:
        """Outputs in dialogue-major order (what ``predict`` returns) -> the split's row order."""
        result = np.empty_like(outputs)
        result[self.order] = outputs
        return result
