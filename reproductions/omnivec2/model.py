"""OmniVec2 arms as harness models: one network trained on every task of the suite, scored on the run's task.

A run of ``omnivec2`` on task T trains (or resumes from its stage checkpoints) the network on *all* tasks of
``config.tasks`` and reports T's heads. The runs of the other tasks with the same arm, settings and seed find the
same stage checkpoints (keyed by settings, seed and data) and only load them, so the multitask training happens
once per arm and seed. The arms differ only in config defaults (see ``__init__.py``).

Every unknown of the paper is a named setting here; README.md justifies each default.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from harness.data.dataset import MultimodalDataset, Split
from harness.data.paths import cache_dir
from harness.data.store import load_dataset
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.models import FitInfo
from harness.runs.store import data_fingerprint
from harness.tasks import get_task
from harness.tasks.spec import TaskSpec
from harness.train.checkpoint import StageStore
from harness.train.device import one_thread
from reproductions.omnivec2.config import OmniVec2Config
from reproductions.omnivec2.network import OmniVec2Net
from reproductions.omnivec2.stages import SuiteTensors, TaskTensors, predict_task, run_stages
from reproductions.omnivec2.tokens import Standardiser, layout, raw_tokens, stream_shape

CHECKPOINT_ENV = "MMREPRO_CHECKPOINTS"

# ---- the suite's tensors, built once per process per data and tokenization ---------------------------------

TOKEN_FIELDS = ("tasks", "max_train", "subsample_seed", "audio_tokens", "text_chunk")
_SUITES: dict[tuple, tuple[SuiteTensors, dict[str, dict[str, Standardiser]]]] = {}


def _train_rows(n: int, config: OmniVec2Config) -> np.ndarray:
    if n <= config.max_train:
        return np.arange(n)
    return np.sort(np.random.default_rng(config.subsample_seed).choice(n, config.max_train, replace=False))


def task_tensors(spec: TaskSpec, data: MultimodalDataset, config: OmniVec2Config
                 ) -> tuple[TaskTensors, dict[str, Standardiser]]:
    """One task's standardised streams (train subsampled, selection split whole) and its standardisers."""
    train, valid = data.split(spec.splits.train), data.split(spec.splits.select)
    rows = _train_rows(len(train), config)
    train = train.subset(rows)
    streams, std, tr, va = layout(spec.name), {}, {}, {}
    for stream, modalities in streams.items():
        raw = raw_tokens(train, modalities, stream, config.audio_tokens, config.text_chunk)
        std[stream] = Standardiser.fit(raw)
        tr[stream] = torch.as_tensor(std[stream](raw))
        va[stream] = torch.as_tensor(std[stream](raw_tokens(valid, modalities, stream, config.audio_tokens,
                                                            config.text_chunk)))
    metric = get_metric(spec.primary_metric)
    return TaskTensors(spec.name, tuple(streams), int(spec.num_classes or 0), tr,
                       torch.as_tensor(train.labels.astype(np.int64)), va, valid.labels,
                       lambda y, p, fn=metric.fn: float(fn(y, p)), metric.higher_is_better), std


def suite_tensors(config: OmniVec2Config) -> tuple[SuiteTensors, dict[str, dict[str, Standardiser]]]:
    """Every task of ``config.tasks`` as tensors (memoised per process, keyed by the data fingerprints)."""
    specs = [get_task(t) for t in config.tasks]
    key = (tuple((s.name, s.spec_hash(), data_fingerprint(s.dataset)) for s in specs),
           tuple(getattr(config, f) for f in TOKEN_FIELDS))
    if key not in _SUITES:
        built = [task_tensors(s, load_dataset(s.dataset), config) for s in specs]
        tasks = [t for t, _ in built]
        shapes = {m: stream_shape(t.train[m].numpy(), len(layout(t.name)[m]) > 1) for t in tasks for m in t.modalities}
        _SUITES.clear()  # one suite at a time: the tensors are tens of MB
        _SUITES[key] = (SuiteTensors(tasks, shapes), {t.name: std for t, (_, std) in zip(tasks, built, strict=True)})
    return _SUITES[key]


def checkpoint_root() -> Path:
    """``$MMREPRO_CHECKPOINTS/omnivec2``, default under the data root's cache."""
    root = os.environ.get(CHECKPOINT_ENV)
    return (Path(root) if root else cache_dir("checkpoints")) / "omnivec2"


def build_net(suite: SuiteTensors, config: OmniVec2Config, seed: int) -> OmniVec2Net:
    """The full network (every tokenizer and head of the suite), initialised from the seed alone, so every arm
    of one seed starts from the same weights."""
    heads = {(t.name, m): t.n_classes for t in suite.tasks for m in t.modalities}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return OmniVec2Net(suite.shapes, heads, config.net_shape())


def trained_net(config: OmniVec2Config, seed: int, own_task: str | None = None, store: StageStore | None = None,
                fail_before: str | None = None) -> tuple[OmniVec2Net, SuiteTensors, list, float]:
    """The network after ``config``'s stages (resumed where checkpoints exist); with ``own_task`` (the
    single-task arm) stage 3 sees only that task."""
    full, _ = suite_tensors(config)
    net = build_net(full, config, seed)
    suite = full if own_task is None else SuiteTensors([t for t in full.tasks if t.name == own_task], full.shapes)
    shape = dataclasses.asdict(config.net_shape()) | {f: getattr(config, f) for f in TOKEN_FIELDS}
    t0 = time.perf_counter()
    results = run_stages(net, suite, config.plans(), seed, store or StageStore(checkpoint_root()), shape,
                         fail_before)
    return net, suite, results, time.perf_counter() - t0


# ---- the harness model -------------------------------------------------------------------------------------

class OmniVec2Model:
    """fit: train (or resume) the arm's network on the suite; predict: the run's task, single- or two-stream."""

    def __init__(self, task: TaskSpec, config: OmniVec2Config, seed: int) -> None:
        if task.name not in config.tasks:
            raise UserError(f"task {task.name!r} is not in omnivec2's tasks {list(config.tasks)}")
        self.task, self.config, self.seed = task, config, seed
        self.info = FitInfo()

    def fit(self, train: Split, valid: Split) -> None:
        own = None if self.config.multitask else self.task.name
        with one_thread():
            self.net, suite, results, seconds = trained_net(self.config, self.seed, own)
        _, standardisers = suite_tensors(self.config)
        self.std = standardisers[self.task.name]
        self.tensors = next(t for t in suite.tasks if t.name == self.task.name)
        history = [{"phase": r.name} | row for r in results for row in r.record.get("history", [])]
        inference = sum(p.numel() for n, p in self.net.named_parameters()
                        if not n.startswith(("cross.", "decode_")))
        extras: dict[str, Any] = {"stages_seconds": seconds, "inference_parameters": inference,
                                  **{f"{r.name}_resumed": r.resumed for r in results},
                                  **{f"{r.name}_seconds": float(r.record.get("seconds", 0.0)) for r in results}}
        multitask = results[-1].record
        self.info = FitInfo(n_parameters=sum(p.numel() for p in self.net.parameters()),
                            best_epoch=multitask.get("best_epoch"), history=history, extras=extras)

    def predict(self, split: Split) -> np.ndarray:
        streams = layout(self.task.name)
        inputs = {m: torch.as_tensor(self.std[m](raw_tokens(split, mods, m, self.config.audio_tokens,
                                                            self.config.text_chunk)))
                  for m, mods in streams.items()}
        with one_thread():
            return predict_task(self.net, self.tensors, inputs, self.config.two_stream_inference)

