"""OmniVec2's three training stages as phases of the shared Trainer, each saved and resumed by ``StageStore``.

1. ``masked-single``: masked single-modality pre-training with iterative modality switching. Each step takes one
   modality (round-robin, switching every ``switch_every`` steps), masks ``mask_ratio`` of the tokens of a batch
   drawn from every task that has that modality, and reconstructs them from f's output (labels unused).
2. ``masked-paired``: masked paired pre-training. Each step takes a pair of sources of different modalities, masks
   both, fuses them by cross-attention, runs g and reconstructs both streams from g's output. A pair from one
   task (av-digits audio+image, MMSD text+attributes) keeps its samples aligned; any other pair is two
   independent batches, as the paper pairs datasets of two modalities.
3. ``multitask``: supervised multitask training on sampled pairs of (task, modality) units, fused by
   cross-attention, each stream scored by its own (task, modality) head; the two losses are weighted by
   ``loss_weighting``. The epoch is selected on the mean of every task's primary metric on its selection split,
   read by *single-stream* inference (what is reported).

Each stage's randomness (batch order, pair and modality choice, masks, initial weights of nothing: weights come
from the previous stage) comes from its own seed (``stage_seed``), so a stage resumed from its checkpoint in a new
process continues exactly as an uninterrupted run. Runs on one CPU thread.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from harness.models import NonFiniteError
from harness.train import EpochState, Phase, Selection, StepContext, StepOutput, TrainConfig, Trainer, adamw
from harness.train.checkpoint import StageResult, StageStore, chain_keys, stage_seed
from harness.train.device import one_thread
from reproductions.omnivec2.config import StagePlan
from reproductions.omnivec2.network import OmniVec2Net
from reproductions.omnivec2.tokens import StreamShape

PREDICT_BATCH = 512


@dataclass
class TaskTensors:
    """One task's standardised token streams, labels and selection metric (``score(labels, probs)``)."""

    name: str
    modalities: tuple[str, ...]
    n_classes: int
    train: dict[str, torch.Tensor]
    train_y: torch.Tensor
    valid: dict[str, torch.Tensor]
    valid_y: np.ndarray
    score: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool = True


@dataclass
class SuiteTensors:
    """Every task of the multitask suite; a *source* is one (task, modality) stream of training rows."""

    tasks: list[TaskTensors]
    shapes: dict[str, StreamShape]
    sources: list[tuple[int, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.sources = [(i, m) for i, t in enumerate(self.tasks) for m in t.modalities]

    def fingerprint(self) -> str:
        """A hash of every tensor and label: part of each stage's checkpoint key."""
        h = hashlib.sha256()
        for t in self.tasks:
            h.update(t.name.encode())
            for part in [*(t.train[m] for m in t.modalities), t.train_y, *(t.valid[m] for m in t.modalities)]:
                h.update(np.ascontiguousarray(np.asarray(part)).tobytes())
            h.update(np.ascontiguousarray(t.valid_y).tobytes())
        return h.hexdigest()[:16]

    def rows(self, source: int) -> int:
        task, modality = self.sources[source]
        return len(self.tasks[task].train[modality])


# ---- data and samplers: each step is one index array the Trainer hands back to ``SourceBatches.batch`` --------

class SourceBatches:
    """``batch(index)`` for index rows ``[source, row]`` (one stream) or ``[source_a, row_a, source_b, row_b]``
    (a pair): gathers the standardised tokens (and labels) of each stream."""

    def __init__(self, suite: SuiteTensors) -> None:
        self.suite = suite

    def __len__(self) -> int:
        return sum(self.suite.rows(s) for s in range(len(self.suite.sources)))

    def _stream(self, sources: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
        first = int(sources[0])
        task, modality = self.suite.sources[first]
        if np.all(sources == first):
            t = self.suite.tasks[task]
            idx = torch.as_tensor(rows)
            return {"task": t.name, "modality": modality, "x": t.train[modality][idx], "y": t.train_y[idx]}
        x = torch.empty((len(rows), *self.suite.tasks[task].train[modality].shape[1:]))
        for source in np.unique(sources):  # several sources of one modality (stage 1): keep the index order
            sel = np.flatnonzero(sources == source)
            x[torch.as_tensor(sel)] = self.suite.tasks[self.suite.sources[int(source)][0]].train[modality][
                torch.as_tensor(rows[sel])]
        return {"task": None, "modality": modality, "x": x, "y": None}

    def batch(self, index: np.ndarray) -> dict[str, Any]:
        out = {"a": self._stream(index[:, 0], index[:, 1])}
        if index.shape[1] == 4:
            out["b"] = self._stream(index[:, 2], index[:, 3])
        return out


@dataclass(frozen=True)
class SwitchingSampler:
    """Stage 1: ``steps`` batches per epoch; the modality switches every ``switch_every`` steps in a fixed
    round-robin order, and each batch is drawn uniformly from the rows of every source of that modality."""

    suite: SuiteTensors
    batch_size: int
    steps_per_epoch: int
    switch_every: int

    def steps(self, n: int) -> int:
        return self.steps_per_epoch

    def batches(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        modalities = sorted({m for _, m in self.suite.sources})
        pools = {m: np.concatenate([np.stack([np.full(self.suite.rows(s), s), np.arange(self.suite.rows(s))], 1)
                                    for s, (_, sm) in enumerate(self.suite.sources) if sm == m])
                 for m in modalities}
        for i in range(self.steps_per_epoch):
            pool = pools[modalities[(i // self.switch_every) % len(modalities)]]
            yield pool[rng.choice(len(pool), size=min(self.batch_size, len(pool)), replace=False)]


def allowed_pairs(suite: SuiteTensors, supervised: bool) -> list[tuple[int, int]]:
    """Pairs of sources that differ in modality (pre-training) or in task or modality (multitask). With none (one
    task with one stream) a source is paired with itself: two independent batches of it."""
    pairs = []
    for a, b in itertools.combinations(range(len(suite.sources)), 2):
        (ta, ma), (tb, mb) = suite.sources[a], suite.sources[b]
        if ma != mb or (supervised and ta != tb):
            pairs.append((a, b))
    return pairs or [(s, s) for s in range(len(suite.sources))]


@dataclass(frozen=True)
class PairSampler:
    """Stages 2 and 3: each step draws one pair of sources (``uniform`` over the allowed pairs, or ``size``:
    proportional to the product of their training rows), then a batch of each; the rows of a pair from one task
    are the same samples (a natural pair), otherwise independent."""

    suite: SuiteTensors
    pairs: tuple[tuple[int, int], ...]
    batch_size: int
    steps_per_epoch: int
    pair_sampling: str

    def steps(self, n: int) -> int:
        return self.steps_per_epoch

    def batches(self, n: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
        suite = self.suite
        weights = np.array([1.0 if self.pair_sampling == "uniform" else suite.rows(a) * suite.rows(b)
                            for a, b in self.pairs])
        for _ in range(self.steps_per_epoch):
            a, b = self.pairs[rng.choice(len(self.pairs), p=weights / weights.sum())]
            same_task = suite.sources[a][0] == suite.sources[b][0]
            na, nb = suite.rows(a), suite.rows(b)
            size = min(self.batch_size, na, nb)
            ra = rng.choice(na, size=size, replace=False)
            rb = ra if same_task and a != b else rng.choice(nb, size=size, replace=False)
            yield np.stack([np.full(size, a), ra, np.full(size, b), rb], axis=1)


# ---- the three steps ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Masking:
    ratio: float
    target: str  # "raw" (standardised token values) or "normalised" (each target token to mean 0, std 1, as MAE)


def _mask(x: torch.Tensor, ratio: float, gen: torch.Generator) -> torch.Tensor:
    """(B, L) bool: ``round(ratio * L)`` tokens per row (at least one), chosen at random."""
    b, length = x.shape[:2]
    k = min(length, max(1, round(ratio * length)))
    order = torch.rand(b, length, generator=gen).argsort(dim=1)
    return order < k  # rank < k: a random k-subset per row


def reconstruction(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, target: str) -> torch.Tensor:
    """Mean squared error over the masked tokens (MAE's loss)."""
    if target == "normalised":
        x = (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True) + 1e-6).sqrt()
    per_token = ((pred - x) ** 2).mean(-1)
    return (per_token * mask).sum() / mask.sum()


class MaskedSingleStep:
    def __init__(self, masking: Masking, gen: torch.Generator) -> None:
        self.masking, self.gen = masking, gen

    def __call__(self, net: nn.Module, batch: dict[str, Any], ctx: StepContext) -> StepOutput:
        s = batch["a"]
        mask = _mask(s["x"], self.masking.ratio, self.gen)
        z = net.encode_f(s["modality"], s["x"], mask)
        loss = reconstruction(net.decode_f[s["modality"]](z[:, 1:]), s["x"], mask, self.masking.target)
        return StepOutput(loss, {"recon": loss.detach()})


class MaskedPairedStep:
    def __init__(self, masking: Masking, gen: torch.Generator) -> None:
        self.masking, self.gen = masking, gen

    def __call__(self, net: nn.Module, batch: dict[str, Any], ctx: StepContext) -> StepOutput:
        a, b = batch["a"], batch["b"]
        ma, mb = _mask(a["x"], self.masking.ratio, self.gen), _mask(b["x"], self.masking.ratio, self.gen)
        ha, hb = net.fuse(net.encode_f(a["modality"], a["x"], ma), net.encode_f(b["modality"], b["x"], mb))
        la = reconstruction(net.decode_g[a["modality"]](ha[:, 1:]), a["x"], ma, self.masking.target)
        lb = reconstruction(net.decode_g[b["modality"]](hb[:, 1:]), b["x"], mb, self.masking.target)
        loss = 0.5 * (la + lb)
        return StepOutput(loss, {"recon": loss.detach()})


class MultitaskStep:
    """Both streams fused, each scored by its (task, modality) head; ``weights``: task -> loss weight."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights

    def __call__(self, net: nn.Module, batch: dict[str, Any], ctx: StepContext) -> StepOutput:
        a, b = batch["a"], batch["b"]
        ha, hb = net.fuse(net.encode_f(a["modality"], a["x"]), net.encode_f(b["modality"], b["x"]))
        la = F.cross_entropy(net.head(a["task"], a["modality"], ha), a["y"])
        lb = F.cross_entropy(net.head(b["task"], b["modality"], hb), b["y"])
        loss = 0.5 * (self.weights[a["task"]] * la + self.weights[b["task"]] * lb)
        return StepOutput(loss, {"ce": (0.5 * (la + lb)).detach()})


def loss_weights(suite: SuiteTensors, weighting: str) -> dict[str, float]:
    """``equal``: 1 per task; ``chance``: 1 / log(C), so a task's loss reads as a share of the loss of a uniform
    guess and 2-class and 10-class tasks weigh alike."""
    if weighting == "equal":
        return {t.name: 1.0 for t in suite.tasks}
    return {t.name: 1.0 / math.log(t.n_classes) for t in suite.tasks}


# ---- inference ---------------------------------------------------------------------------------------------

@torch.inference_mode()
def predict_task(net: OmniVec2Net, task: TaskTensors, inputs: dict[str, torch.Tensor], two_stream: bool
                 ) -> np.ndarray:
    """Class probabilities: single-stream (each stream's own head, probabilities averaged over the task's
    streams; no cross-attention) or, for a paired task with ``two_stream``, both streams fused."""
    net.eval()
    n = len(next(iter(inputs.values())))
    out = []
    for start in range(0, n, PREDICT_BATCH):
        part = {m: v[start:start + PREDICT_BATCH] for m, v in inputs.items()}
        if two_stream and len(task.modalities) == 2:
            logits = net.predict_pair(task.name, task.modalities, part[task.modalities[0]], part[task.modalities[1]])
        else:
            logits = tuple(net.predict_stream(task.name, m, part[m]) for m in task.modalities)
        out.append(torch.stack([lg.softmax(-1) for lg in logits]).mean(0))
    probs = torch.cat(out).numpy().astype(np.float64)
    if not np.isfinite(probs).all():
        raise NonFiniteError(f"{task.name}: predictions contain NaN/inf")
    return probs


def selection_score(suite: SuiteTensors) -> Callable[[EpochState], float]:
    """Mean over tasks of the primary metric on the selection split (single-stream), each oriented so that
    higher is better."""
    def score(state: EpochState) -> float:
        values = []
        for t in suite.tasks:
            v = t.score(t.valid_y, predict_task(state.module, t, t.valid, two_stream=False))
            values.append(v if t.higher_is_better else -v)
        state.module.train()
        return float(np.mean(values))

    return score


# ---- running the stages ------------------------------------------------------------------------------------

class _Metric:
    name, higher_is_better = "mean_primary", True


def _phase(plan: StagePlan, suite: SuiteTensors, gen: torch.Generator) -> Phase:
    s = plan.settings
    data = SourceBatches(suite)
    optimiser = adamw(plan.lr, plan.weight_decay, "cosine")
    if plan.name == "masked-single":
        sampler = SwitchingSampler(suite, plan.batch_size, plan.steps_per_epoch, s["switch_every"])
        return Phase(plan.name, data, MaskedSingleStep(Masking(s["mask_ratio"], s["mask_target"]), gen),
                     plan.epochs, sampler, optimiser)
    pairs = tuple(allowed_pairs(suite, supervised=plan.name == "multitask"))
    sampler = PairSampler(suite, pairs, plan.batch_size, plan.steps_per_epoch, s["pair_sampling"])
    if plan.name == "masked-paired":
        return Phase(plan.name, data, MaskedPairedStep(Masking(s["mask_ratio"], s["mask_target"]), gen),
                     plan.epochs, sampler, optimiser)
    selection = Selection(selection_score(suite), _Metric(), patience=max(1, plan.epochs))
    return Phase(plan.name, data, MultitaskStep(loss_weights(suite, s["loss_weighting"])), plan.epochs, sampler,
                 optimiser, callbacks=(selection,))


def run_stages(net: OmniVec2Net, suite: SuiteTensors, plans: list[StagePlan], seed: int, store: StageStore,
               net_settings: dict[str, Any], fail_before: str | None = None) -> list[StageResult]:
    """Train ``net`` in place through ``plans`` in order, resuming each stage whose checkpoint exists.
    ``fail_before``: raise before that stage trains (for the interruption test)."""
    keys = chain_keys({p.name: (p.epochs, p.steps_per_epoch, p.batch_size, p.lr, p.weight_decay, p.settings)
                       for p in plans}, seed, net_settings, suite.fingerprint())
    results = []
    for plan in plans:
        def train(plan: StagePlan = plan) -> dict[str, Any]:
            if plan.name == fail_before:
                raise StageInterrupted(plan.name)
            seed_s = stage_seed(seed, plan.name)
            with torch.random.fork_rng(), one_thread():
                torch.manual_seed(seed_s)
                gen = torch.Generator().manual_seed(seed_s)
                trainer = Trainer(TrainConfig(grad_clip=1.0, precision="fp32"), None, None, seed_s, device="cpu",
                                  progress=False)
                info = trainer.run(net, [_phase(plan, suite, gen)])
            best = [h.get("epoch") for h in info.history if "valid_mean_primary" in h]
            return {"history": info.history, "best_epoch": _best_epoch(info.history) if best else None}
        results.append(store.run(plan.name, keys[plan.name], net, train))
    return results


def _best_epoch(history: list[dict[str, Any]]) -> int:
    scores = [(h["valid_mean_primary"], -h["epoch"]) for h in history]
    return -max(scores)[1]


class StageInterrupted(RuntimeError):
    """Raised by ``run_stages(fail_before=...)``: a stand-in for a crash or a killed process."""

