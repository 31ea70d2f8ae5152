"""Dialogue-level networks as harness models: fit on whole dialogues through the shared Trainer, predict per utterance.

The Trainer's data unit here is a dialogue (:class:`~reproductions.corect.batch.DialogueTensors`): it shuffles
dialogues, cuts batches of ``batch_size`` dialogues and selects the epoch with the best primary metric (weighted F1
on MELD and IEMOCAP) on the selection split, as CORECT selects on dev weighted F1. Inputs are standardised with
training-split statistics (the official code does no normalisation; SBERT/MiniLM vectors are unaffected in
substance, synthetic audio/visual vectors need it less than raw IEMOCAP ones would).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo
from harness.tasks.spec import TaskSpec
from harness.train import Standardizer, Trainer, objective_for
from reproductions.corect.batch import DialogueTensors, speaker_vocabulary
from reproductions.corect.network import DialogueConfig

Network = Callable[[dict[str, int], int, int, DialogueConfig], nn.Module]


def resolve_modalities(task: TaskSpec, cfg: DialogueConfig) -> tuple[str, ...]:
    chosen = tuple(cfg.modalities) or tuple(task.modalities)
    unknown = [m for m in chosen if m not in task.modalities]
    if unknown or len(set(chosen)) != len(chosen):
        raise UserError(f"modalities={list(chosen)}: each must appear once and be one of task {task.name!r}'s "
                        f"modalities {list(task.modalities)}")
    return chosen


class DialogueModel:
    """A dialogue network behind the registry's ``fit(train, select)`` / ``predict(split)`` contract."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, cfg: DialogueConfig, seed: int,
                 network: Network) -> None:
        if task.target_kind not in ("single-label", "binary"):
            raise UserError(f"{task.name}: dialogue models classify utterances; {task.target_kind!r} is not supported")
        self.cfg, self.modalities = cfg, resolve_modalities(task, cfg)
        self.objective = objective_for(task)
        self.trainer = Trainer(cfg, self.objective, get_metric(task.primary_metric), seed)
        train = data.split(task.splits.train)
        self.vocabulary = speaker_vocabulary(train, cfg.max_speakers)
        n_speakers = len(self.vocabulary) if self.vocabulary else cfg.max_speakers
        dims = {m: int(train.pooled(m).shape[1]) for m in self.modalities}
        torch.manual_seed(seed)
        self.network = network(dims, self.objective.out_dim, n_speakers, cfg).to(self.trainer.device)
        self.standardizer: Standardizer | None = None
        self.info = FitInfo(n_parameters=sum(p.numel() for p in self.network.parameters()),
                            device=str(self.trainer.device), precision=self.trainer.precision)

    def tensors(self, split: Split) -> DialogueTensors:
        assert self.standardizer is not None, "fit() first"
        return DialogueTensors(split, self.modalities, self.standardizer, self.vocabulary, self.cfg.max_speakers,
                               self.cfg.batch_size, self.trainer.device)

    def fit(self, train: Split, valid: Split) -> None:
        self.standardizer = Standardizer.fit(train, self.modalities)
        valid_data = self.tensors(valid)
        labels = np.asarray(valid.labels)[valid_data.order]
        self.info = self.trainer.fit(self.network, self.tensors(train), valid_data, labels)
        self.info.extras["dialogues_per_batch"] = self.cfg.batch_size

    def predict(self, split: Split) -> np.ndarray:
        data = self.tensors(split)
        return data.to_rows(self.trainer.predict(self.network, data))
