"""A split as padded whole dialogues: what QMN's recurrence over turns needs, built from the engine's group fields.

Rows are grouped by ``Split.dialogues()`` (``dialogue`` field, ordered by ``turn``); ``switch`` marks turns whose
``speaker`` differs from the previous turn's, the only speaker information the strong/weak influence uses;
``speaker`` indexes each turn's speaker within its dialogue (QMNN's speaker phases).
Features are standardised with the training split's statistics (:class:`harness.train.Standardizer`) and padded
turns are zero; labels of padded turns are -100 (ignored by cross-entropy), and ``rows`` maps every real turn
back to its row in the split, so predictions come back in the split's own order.
"""

from __future__ import annotations

import numpy as np
import torch

from harness.data.dataset import Split
from harness.errors import UserError
from harness.train import Standardizer
from reproductions.qmn.model import Dialogues

IGNORE = -100


def check_conversational(split: Split, modalities: tuple[str, ...]) -> None:
    """One clear line when the data cannot feed a conversation model."""
    missing = [k for k in ("dialogue", "speaker") if k not in split.groups]
    if missing:
        raise UserError(f"QMN needs conversations: the samples lack group field(s) {missing} (have "
                        f"{sorted(split.groups) or 'none'}); use MELD, IEMOCAP or synth-conversation")
    sequences = [m for m in modalities if split.is_sequence(m) or split.features[m].ndim != 2]
    if sequences:
        raise UserError(f"QMN takes one feature vector per utterance; modalities {sequences} are not (n, d)")


class PackedDialogues:
    """One split as (dialogues, turns) tensors on ``device``."""

    def __init__(self, split: Split, standardizer: Standardizer, modalities: tuple[str, ...],
                 device: torch.device | str = "cpu") -> None:
        check_conversational(split, modalities)
        groups = split.dialogues()
        n, t = len(groups), max(len(g) for g in groups)
        rows = np.full((n, t), -1, dtype=np.int64)
        for i, g in enumerate(groups):
            rows[i, : len(g)] = g
        real = rows >= 0
        speaker = np.asarray(split.group("speaker"))[np.where(real, rows, 0)]
        switch = np.zeros((n, t), dtype=bool)
        switch[:, 1:] = (speaker[:, 1:] != speaker[:, :-1]) & real[:, 1:]
        index = np.zeros((n, t), dtype=np.int64)
        for i, g in enumerate(groups):  # speaker index by order of first appearance within the dialogue
            _, first, inverse = np.unique(speaker[i, : len(g)], return_index=True, return_inverse=True)
            index[i, : len(g)] = np.argsort(np.argsort(first))[inverse]
        self.rows = rows
        self.device = torch.device(device)
        self.mask = torch.from_numpy(real).to(self.device)
        self.switch = torch.from_numpy(switch).to(self.device)
        self.speaker = torch.from_numpy(index).to(self.device)
        labels = np.where(real, np.asarray(split.labels)[np.where(real, rows, 0)], IGNORE)
        self.y = torch.from_numpy(labels.astype(np.int64)).to(self.device)
        self.x = {}
        for m in modalities:
            mean, std = standardizer.stats[m]
            z = (split.features[m][np.where(real, rows, 0)] - mean) / std
            self.x[m] = torch.from_numpy(np.where(real[..., None], z, 0.0).astype(np.float32)).to(self.device)
        self.n_rows = len(split)

    def __len__(self) -> int:
        return self.rows.shape[0]

    @property
    def turns(self) -> int:
        return int(self.mask.sum())

    def batch(self, index: np.ndarray) -> tuple[Dialogues, torch.Tensor]:
        """Dialogues ``index``, trimmed to their longest dialogue, and their (B, T) labels."""
        steps = int(self.mask[index].sum(1).max())
        idx = torch.from_numpy(np.asarray(index)).to(self.device)
        x = {m: v[idx, :steps] for m, v in self.x.items()}
        return (Dialogues(x, self.mask[idx, :steps], self.switch[idx, :steps], self.speaker[idx, :steps]),
                self.y[idx, :steps])

    def unpack(self, per_turn: np.ndarray) -> np.ndarray:
        """(n_dialogues, T, ...) outputs back to (n_rows, ...) in the split's row order."""
        out = np.empty((self.n_rows, *per_turn.shape[2:]), dtype=per_turn.dtype)
        real = self.rows >= 0
        out[self.rows[real]] = per_turn[real]
        return out
