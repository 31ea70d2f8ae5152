"""The Trainer's hooks, one test per promise: steps and their logged terms, samplers, callbacks, optimiser
factories, staged training with frozen parts; plus best-epoch restoration and fp16 clipping of true gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from harness.data.dataset import Split
from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.train import (
    Callback,
    EpochState,
    GroupBatches,
    Objective,
    Phase,
    ShuffledBatches,
    Standardizer,
    StepContext,
    StepOutput,
    TensorData,
    TensorRows,
    TrainConfig,
    Trainer,
    adamw,
    sgd_warmup_cosine,
    warmup_cosine,
)


def _trainer(**config) -> Trainer:
    return Trainer(TrainConfig(**({"grad_clip": 0.0, "precision": "fp32"} | config)), None, None, 0, device="cpu",
                   progress=False)


def _sgd(lr: float = 0.1):
    return lambda params, total: (torch.optim.SGD(params, lr=lr), None)


class _Recorder(Callback):
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.phase_ends: list[str] = []

    def on_epoch_end(self, state: EpochState) -> None:
        self.rows.append(dict(state.row))

    def on_phase_end(self, state: EpochState) -> None:
        self.phase_ends.append(state.phase)


# ---- best epoch and fp16 clipping (issue 20) ------------------------------------------------------------------

def _drifting_regression() -> tuple[TensorData, TensorData, np.ndarray]:
    """Train targets 2x, selection targets x: w climbs from 0 towards 2, so selection error is least near w = 1,
    in the middle of training, and grows after."""
    rng = np.random.default_rng(0)
    x_train, x_valid = rng.standard_normal((64, 1)), rng.standard_normal((32, 1))
    train = Split(ids=np.arange(64), labels=(2 * x_train[:, 0]).astype(np.float32), features={"x": x_train})
    valid = Split(ids=np.arange(32), labels=x_valid[:, 0].astype(np.float32), features={"x": x_valid})
    std = Standardizer({"x": (np.zeros(1, np.float32), np.ones(1, np.float32))})  # keep x as is: w is the slope
    device = torch.device("cpu")
    return TensorData(train, std, device), TensorData(valid, std, device), valid.labels


class _Slope(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, batch):
        return self.w * batch["x"].x[:, 0]


def _fit_slope(epochs: int):
    train, valid, labels = _drifting_regression()
    objective = Objective(1, lambda out, y: F.mse_loss(out.squeeze(-1), y, reduction="sum"),
                          lambda out: out.squeeze(-1), torch.float32)
    trainer = Trainer(TrainConfig(epochs=epochs, batch_size=64, lr=0.1, weight_decay=0.0, patience=epochs),
                      objective, get_metric("MAE"), 0, device="cpu", progress=False)
    net = _Slope()
    return net, trainer.fit(net, train, valid, labels)


def test_restored_weights_are_the_best_selection_epochs_not_the_last_when_the_score_peaks_mid_training():
    net, info = _fit_slope(epochs=25)
    scores = [h["valid_MAE"] for h in info.history]
    assert len(scores) == 25 and 1 < info.best_epoch < 25  # the peak is mid-training
    assert info.best_epoch == int(np.argmin(scores)) + 1 and scores[-1] > min(scores)
    stopped_at_best, _ = _fit_slope(epochs=info.best_epoch)  # the same run cut at the best epoch
    assert torch.equal(net.w, stopped_at_best.w)
    assert 0.5 < net.w.item() < 1.5  # the slope that fits the selection targets, not the train ones (2)


class _FixedGradient(nn.Module):
    """loss = w · (3, 4): the gradient is (3, 4), norm 5, whatever w is."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))


def test_fp16_clipping_acts_on_unscaled_gradients_clipped_to_the_hand_computed_norm():
    net = _FixedGradient()
    c = torch.tensor([3.0, 4.0])

    def step(module, batch, ctx):
        with ctx.autocast():
            return StepOutput((module.w * c).sum())

    trainer = _trainer(precision="fp16", grad_clip=1.0)
    phase = Phase("clip", TensorRows(torch.zeros(4, 1)), step, 1, ShuffledBatches(4), _sgd(lr=1.0))
    trainer.run(net, [phase])
    # SGD with lr 1 moves w by minus the clipped gradient: (3, 4) / 5 * 1.0. Clipping the loss-scaled
    # gradient (x 65536) instead would leave a step of norm 1 / 65536.
    torch.testing.assert_close(net.w.detach(), torch.tensor([-0.6, -0.8]))


# ---- the training step ----------------------------------------------------------------------------------------

def test_step_terms_are_logged_as_means_over_steps_and_the_loss_term_is_backpropagated():
    net = _FixedGradient()
    contexts: list[StepContext] = []

    def step(module, batch, ctx):
        contexts.append(ctx)
        first, second = (module.w * batch.sum()).sum(), (module.w ** 2).sum()  # two forward passes
        return StepOutput(first + second, {"first": first.detach(), "size": torch.tensor(float(len(batch)))})

    recorder = _Recorder()
    rows = torch.arange(10.0)[:, None]
    _trainer().run(net, [Phase("p", TensorRows(rows), step, 2, ShuffledBatches(4), _sgd(0.0), callbacks=(recorder,))])
    assert [c.global_size for c in contexts[:3]] == [4, 4, 2] and [c.step for c in contexts] == list(range(6))
    assert [c.epoch for c in contexts] == [1, 1, 1, 2, 2, 2]
    assert recorder.rows[0]["size"] == pytest.approx(10 / 3)  # mean over the epoch's three steps
    assert recorder.rows[0]["first"] == 0.0  # w stays 0 with lr 0


def test_step_logs_with_a_count_are_divided_by_the_summed_count():
    def step(module, batch, ctx):
        return StepOutput((module.w * 0).sum(), {"sum_of_rows": batch.sum()}, count=len(batch))

    info = _trainer().run(_FixedGradient(), [Phase("p", TensorRows(torch.arange(10.0)[:, None]), step, 1,
                                                   ShuffledBatches(3), _sgd())])
    assert info.history[0]["sum_of_rows"] == pytest.approx(4.5)  # mean of 0..9 per row


def test_a_non_finite_logged_term_fails_the_run_naming_the_term():
    from harness.models import NonFiniteError

    def step(module, batch, ctx):
        return StepOutput((module.w * 0).sum(), {"rot_loss": torch.tensor(float("nan"))})

    with pytest.raises(NonFiniteError, match="training loss became nan \\(rot_loss"):
        _trainer().run(_FixedGradient(), [Phase("p", TensorRows(torch.zeros(4, 1)), step, 1, ShuffledBatches(4),
                                                _sgd())])


# ---- samplers -------------------------------------------------------------------------------------------------

def test_shuffled_batches_cover_every_row_once_per_epoch_and_drop_last_drops_the_short_batch():
    rng = np.random.default_rng(0)
    batches = list(ShuffledBatches(4).batches(10, rng))
    assert [len(b) for b in batches] == [4, 4, 2] and sorted(np.concatenate(batches)) == list(range(10))
    assert [len(b) for b in ShuffledBatches(4, drop_last=True).batches(10, rng)] == [4, 4]
    assert ShuffledBatches(4).steps(10) == 3 and ShuffledBatches(4, drop_last=True).steps(10) == 2


def test_shuffled_batches_from_a_torch_generator_follow_its_seed_not_the_numpy_rng():
    def order(seed: int, rng_seed: int) -> list[int]:
        sampler = ShuffledBatches(5, generator=torch.Generator().manual_seed(seed))
        return np.concatenate(list(sampler.batches(10, np.random.default_rng(rng_seed)))).tolist()

    assert order(1, 0) == order(1, 99) == torch.randperm(10, generator=torch.Generator().manual_seed(1)).tolist()


def test_group_batches_keep_whole_dialogues_in_turn_order_and_count_groups_per_batch():
    dialogue = np.array(["a", "b", "a", "c", "b", "a", "d"])
    turn = np.array([2, 0, 0, 0, 1, 1, 0])
    split = Split(ids=np.arange(7), labels=np.zeros(7), features={"x": np.zeros((7, 1))},
                  groups={"dialogue": dialogue, "turn": turn})
    sampler = GroupBatches(split.dialogues(), groups_per_batch=2)
    batches = list(sampler.batches(7, np.random.default_rng(0)))
    assert sampler.steps(7) == 2 and len(batches) == 2
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))
    for batch in batches:
        ids = dialogue[batch]
        assert len(set(ids)) <= 2
        for d in set(ids):
            rows = batch[ids == d]
            assert set(rows) == set(np.flatnonzero(dialogue == d))  # the whole dialogue
            assert list(turn[rows]) == sorted(turn[rows])  # in turn order


def test_group_batches_of_pair_ids_put_both_members_of_a_pair_in_one_batch():
    pair = np.array([7, 3, 7, 3, 5, 5])
    batches = list(GroupBatches.of(pair, 1).batches(6, np.random.default_rng(0)))
    assert sorted(sorted(pair[b].tolist()) for b in batches) == [[3, 3], [5, 5], [7, 7]]
    with pytest.raises(UserError, match="covers 6 rows but the data has 5"):
        next(GroupBatches.of(pair, 1).batches(5, np.random.default_rng(0)))
    with pytest.raises(UserError, match="groups_per_batch"):
        GroupBatches.of(pair, 0)


# ---- callbacks ------------------------------------------------------------------------------------------------

def test_callbacks_add_to_the_history_row_and_can_stop_the_phase_early():
    class StopAtTwo(Callback):
        def on_epoch_end(self, state: EpochState) -> None:
            state.row["probe"] = 10.0 * state.epoch
            state.stop = state.epoch == 2

    recorder = _Recorder()

    def step(module, batch, ctx):
        return StepOutput((module.w * 0).sum())

    info = _trainer().run(_FixedGradient(), [Phase("p", TensorRows(torch.zeros(4, 1)), step, 5, ShuffledBatches(4),
                                                   _sgd(), callbacks=(StopAtTwo(), recorder))])
    assert [h["probe"] for h in info.history] == [10.0, 20.0]  # stopped after epoch 2 of 5
    assert recorder.rows[1]["probe"] == 20.0 and recorder.phase_ends == ["p"]
    assert info.extras["epochs_run"] == 2


# ---- optimiser factories --------------------------------------------------------------------------------------

def test_warmup_cosine_values():
    assert warmup_cosine(0, 100, 10, 1.0) == 0.0
    assert warmup_cosine(5, 100, 10, 1.0) == pytest.approx(0.5)
    assert warmup_cosine(10, 100, 10, 1.0) == pytest.approx(1.0)
    assert warmup_cosine(55, 100, 10, 1.0) == pytest.approx(0.5)  # half-way through the cosine part
    assert warmup_cosine(100, 100, 10, 1.0) == pytest.approx(0.0, abs=1e-12)


def test_sgd_warmup_cosine_sets_the_formulas_lr_before_every_step():
    seen: list[float] = []
    optimisers: list[torch.optim.Optimizer] = []
    factory = sgd_warmup_cosine(0.4, momentum=0.9, weight_decay=0.0, warmup_steps=3)

    def make(params, total):
        optimiser, scheduler = factory(params, total)
        optimisers.append(optimiser)
        return optimiser, scheduler

    def step(module, batch, ctx):
        seen.append(optimisers[0].param_groups[0]["lr"])
        return StepOutput((module.w * 0).sum())

    _trainer().run(_FixedGradient(), [Phase("p", TensorRows(torch.zeros(8, 1)), step, 4, ShuffledBatches(4), make)])
    assert seen == [warmup_cosine(s, 8, 3, 0.4) for s in range(8)]  # exactly, step by step
    assert optimisers[0].param_groups[0]["momentum"] == 0.9


def test_adamw_factory_with_cosine_anneals_to_zero_over_the_phase():
    optimiser, scheduler = adamw(1e-2, 0.0, "cosine")([nn.Parameter(torch.zeros(1))], 4)
    for _ in range(4):
        optimiser.step()
        scheduler.step()
    assert optimiser.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert adamw(1e-2, 0.0)([nn.Parameter(torch.zeros(1))], 4)[1] is None


# ---- staged training ------------------------------------------------------------------------------------------

class _EncoderHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.encoder(x))


def test_phases_run_in_order_with_frozen_parts_fixed_in_eval_mode_and_unfrozen_afterwards():
    net = _EncoderHead()
    modes: list[tuple[str, bool]] = []

    def step(module, batch, ctx):
        modes.append((ctx.epoch, module.encoder[1].training))
        return StepOutput(module(batch).pow(2).mean())

    rows = TensorRows(torch.randn(8, 2, generator=torch.Generator().manual_seed(1)))
    encoder_before = {k: v.clone() for k, v in net.encoder.state_dict().items()}
    head_before = net.head.weight.detach().clone()
    phases = [Phase("head-only", rows, step, 1, ShuffledBatches(4), _sgd(), frozen=("encoder.",)),
              Phase("all", rows, step, 1, ShuffledBatches(4), _sgd())]
    trainer = _trainer()
    info = trainer.run(net, phases[:1])
    # phase 1: the encoder's weights and BatchNorm statistics are untouched, the head moved
    assert all(torch.equal(v, net.encoder.state_dict()[k]) for k, v in encoder_before.items())
    assert not torch.equal(head_before, net.head.weight)
    assert all(p.requires_grad for p in net.parameters())  # given back after the phase
    info = trainer.run(net, phases)
    assert [h["phase"] for h in info.history] == ["head-only", "all"]
    assert [training for _, training in modes] == [False, False, False, False, True, True]
    assert not torch.equal(encoder_before["0.weight"], net.encoder[0].weight)


def test_trainer_fit_without_objective_is_a_user_error():
    with pytest.raises(UserError, match="Trainer.fit needs an objective"):
        _trainer().fit(nn.Linear(1, 1), None, None, None)


def test_negative_phase_epochs_are_a_user_error():
    with pytest.raises(UserError, match="epochs must be at least 0"):
        Phase("p", TensorRows(torch.zeros(1)), None, -1, ShuffledBatches(1), _sgd())


def test_tensor_rows_gather_rows_of_a_tensor_or_of_a_dict():
    x = torch.arange(6.0).reshape(3, 2)
    assert torch.equal(TensorRows(x).batch(np.array([2, 0])), x[[2, 0]])
    both = TensorRows({"a": x, "b": -x}).batch(np.array([1]))
    assert torch.equal(both["a"], x[[1]]) and torch.equal(both["b"], -x[[1]]) and len(TensorRows(x)) == 3
