"""Dialogue-level networks as harness models: trained on whole dialogues through the shared Trainer's hooks.

One training phase: the data unit is a dialogue (:class:`~reproductions.corect.batch.DialogueTensors`), the
sampler shuffles dialogues and cuts batches of ``batch_size`` dialogues (CORECT: 10), the step is CORECT's loss
(cross-entropy = NLL of log-softmax, averaged over the batch's real utterances), the optimiser is Adam with L2
weight decay as in the official script, and :class:`~harness.train.Selection` keeps the epoch with the best primary
metric on the selection split (weighted F1 on MELD and IEMOCAP: CORECT selects on dev weighted F1), with early
stopping. Inputs are standardised with training-split statistics (the official code does no normalisation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from harness.data.dataset import MultimodalDataset, Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo, NonFiniteError
from harness.tasks.spec import TaskSpec
from harness.train import (
    EpochState,
    Phase,
    Selection,
    ShuffledBatches,
    Standardizer,
    StepContext,
    StepOutput,
    Trainer,
    objective_for,
)
from harness.train.device import one_thread
from harness.train.hooks import OptimiserFactory
from reproductions.corect.batch import DialogueBatch, DialogueTensors, speaker_vocabulary
from reproductions.corect.network import DialogueConfig

Network = Callable[[dict[str, int], int, int, DialogueConfig], nn.Module]


def resolve_modalities(task: TaskSpec, cfg: DialogueConfig) -> tuple[str, ...]:
    chosen = tuple(cfg.modalities) or tuple(task.modalities)
    unknown = [m for m in chosen if m not in task.modalities]
    if unknown or len(set(chosen)) != len(chosen):
        raise UserError(f"modalities={list(chosen)}: each must appear once and be one of task {task.name!r}'s "
                        f"modalities {list(task.modalities)}")
    return chosen


def utterance_step(net: nn.Module, batch: tuple[tuple[DialogueBatch, ...], torch.Tensor],
                   ctx: StepContext) -> StepOutput:
    """CORECT's loss: the mean NLL over the batch's real utterances (not over dialogues)."""
    chunks, y = batch
    with ctx.autocast():
        out = net(chunks)
    loss = F.cross_entropy(out.float(), y)
    return StepOutput(loss, {"train_loss": loss.detach() * len(y)}, count=len(y))


def adam(lr: float, weight_decay: float) -> OptimiserFactory:
    """The official optimiser: Adam with L2 weight decay added to the gradient (not AdamW), no schedule."""

    def make(params: list[nn.Parameter], total_steps: int):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay), None

    return make


class DialogueModel:
    """A dialogue network behind the registry's ``fit(train, select)`` / ``predict(split)`` contract."""

    def __init__(self, task: TaskSpec, data: MultimodalDataset, cfg: DialogueConfig, seed: int,
                 network: Network) -> None:
        if task.target_kind not in ("single-label", "binary"):
            raise UserError(f"{task.name}: dialogue models classify utterances; {task.target_kind!r} is not supported")
        self.cfg, self.modalities = cfg, resolve_modalities(task, cfg)
        self.objective = objective_for(task)
        self.metric = get_metric(task.primary_metric)
        self.trainer = Trainer(cfg, self.objective, self.metric, seed)
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

        def score(state: EpochState) -> float:
            outputs = self.trainer.predict(state.module, valid_data)
            if not np.isfinite(outputs).all():
                raise NonFiniteError(f"epoch {state.epoch}: outputs on the selection split contain NaN/inf")
            return float(self.metric.fn(labels, outputs))

        selection = Selection(score, self.metric, self.cfg.patience)
        phase = Phase("train", self.tensors(train), utterance_step, self.cfg.epochs,
                      ShuffledBatches(self.cfg.batch_size), adam(self.cfg.lr, self.cfg.weight_decay),
                      callbacks=(selection,))
        with one_thread():
            self.info = self.trainer.run(self.network, [phase])
        self.info.best_epoch = selection.best_epoch
        self.info.extras["dialogues_per_batch"] = self.cfg.batch_size

    def predict(self, split: Split) -> np.ndarray:
        data = self.tensors(split)
        with one_thread():
            return data.to_rows(self.trainer.predict(self.network, data))
