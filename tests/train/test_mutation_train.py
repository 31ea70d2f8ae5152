"""The training loop's parts where the older tests were silent (issue 20, mutation testing).

Each test kills mutmut survivors of harness.train: optimiser factories, samplers, phases and the Trainer.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from harness.train.hooks import TensorRows
from harness.train.optim import adamw, sgd_warmup_cosine, warmup_cosine


def test_warmup_cosine_boundaries() -> None:
    assert warmup_cosine(0, 10, 0, 2.0) == 2.0  # no warm-up: the peak at once
    assert warmup_cosine(5, 10, 5, 2.0) == 2.0  # warm-up ends at the peak
    assert warmup_cosine(10, 10, 5, 2.0) == pytest.approx(0.0, abs=1e-12)
    assert warmup_cosine(3, 3, 3, 1.0) == 1.0  # total == warmup: no decay horizon, no division by zero
    assert warmup_cosine(5, 5, 4, 1.0) == pytest.approx(0.0, abs=1e-12)  # one decay step: down to 0 at total
    assert warmup_cosine(7, 10, 4, 1.0) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))


@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_optimiser_factories_apply_the_weight_decay_they_are_given(decay) -> None:
    params = [torch.nn.Parameter(torch.ones(2))]
    optimiser, scheduler = adamw(1e-3, decay)(params, 10)
    assert optimiser.param_groups[0]["weight_decay"] == decay and scheduler is None
    optimiser, _ = sgd_warmup_cosine(0.1, 0.9, decay, 2)(params, 10)
    assert optimiser.param_groups[0]["weight_decay"] == decay and optimiser.param_groups[0]["momentum"] == 0.9


def test_adamw_is_the_fused_implementation() -> None:
    # the speed the docstring promises (one kernel for all parameters) rests on it
    optimiser, _ = adamw(1e-3, 0.0)([torch.nn.Parameter(torch.ones(2))], 10)
    assert optimiser.param_groups[0]["fused"] is True


def test_a_phase_of_zero_epochs_is_allowed_and_trains_nothing() -> None:
    from harness.train.hooks import Phase, ShuffledBatches

    phase = Phase("none", TensorRows(torch.ones(4, 2)), lambda net, batch, ctx: None, 0, ShuffledBatches(2),
                  adamw(1e-3, 0.0))
    assert phase.epochs == 0


def test_shuffled_batches_without_a_generator_follow_the_runs_numpy_rng_only() -> None:
    from harness.train.hooks import ShuffledBatches

    sampler = ShuffledBatches(4)
    torch.manual_seed(1)
    first = np.concatenate(list(sampler.batches(10, np.random.default_rng(3))))
    torch.manual_seed(2)  # the global torch RNG must not matter
    again = np.concatenate(list(sampler.batches(10, np.random.default_rng(3))))
    assert first.tolist() == again.tolist() == np.random.default_rng(3).permutation(10).tolist()


def test_group_batches_of_keep_each_groups_rows_in_stored_order_for_many_rows() -> None:
    from harness.train.hooks import GroupBatches

    values = np.random.default_rng(0).integers(0, 2, size=200)  # two big groups: an unstable sort reorders them
    groups = GroupBatches.of(values, 1).members
    assert [g.tolist() for g in groups] == [np.flatnonzero(values == v).tolist() for v in (0, 1)]


def test_group_batches_hand_out_integer_row_indices_whatever_the_members_dtype() -> None:
    from harness.train.hooks import GroupBatches

    sampler = GroupBatches([np.array([0.0, 1.0]), np.array([2.0])], 2)  # e.g. ids read from a float column
    (batch,) = sampler.batches(3, np.random.default_rng(0))
    assert batch.dtype == np.int64 and sorted(batch.tolist()) == [0, 1, 2]
    assert TensorRows(torch.arange(3) * 10).batch(batch).tolist() == (batch * 10).tolist()


# ---- selection: which epoch is best, when to stop, what the checkpoint says ------------------------------------

def test_improves_ties_nan_and_direction() -> None:
    from harness.train.trainer import _improves

    nan = float("nan")
    assert _improves(0.5, None, True) and _improves(nan, None, False)  # anything improves on nothing
    assert _improves(0.5, nan, True) and _improves(0.5, nan, False)  # a number improves on nan
    assert not _improves(nan, nan, True) and not _improves(nan, 0.5, False)  # nan never improves
    assert not _improves(1.0, 1.0, True) and not _improves(1.0, 1.0, False)  # a tie keeps the earlier epoch
    assert _improves(0.9, 1.0, False) and not _improves(0.9, 1.0, True)


def test_selection_stops_after_patience_epochs_without_improvement_and_checkpoints_each_new_best() -> None:
    from harness.metrics.registry import get_metric
    from harness.train.hooks import EpochState
    from harness.train.trainer import Selection

    scores = [0.5, 0.6, 0.6, 0.55, 0.7]
    saved = []
    selection = Selection(lambda state: scores[state.epoch - 1], get_metric("accuracy"), patience=2,
                          checkpoint=lambda weights, epoch, score: saved.append((epoch, score)))
    module = torch.nn.Linear(1, 1)
    stops = []
    for epoch in range(1, 5):
        with torch.no_grad():
            module.weight.fill_(epoch)
        state = EpochState("train", epoch, module, None, {})
        selection.on_epoch_end(state)
        stops.append(state.stop)
        assert state.row == {"valid_accuracy": scores[epoch - 1]}
    assert stops == [False, False, False, True]  # best at 2; epochs 3 and 4 without improvement: patience 2
    assert saved == [(1, 0.5), (2, 0.6)] and selection.best_epoch == 2
    selection.on_phase_end(state)
    assert module.weight.item() == 2.0  # the best epoch's weights are back


def test_the_best_checkpoint_records_epoch_score_and_seed(tmp_path) -> None:
    from safetensors import safe_open

    from harness.metrics.registry import get_metric
    from harness.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(epochs=1), None, get_metric("accuracy"), 7, device="cpu", progress=False,
                      checkpoint_dir=tmp_path)
    trainer._checkpoint({"w": torch.ones(2)}, 3, 0.75)
    with safe_open(tmp_path / "best.safetensors", "pt") as f:
        assert f.metadata() == {"epoch": "3", "valid_accuracy": "0.75", "seed": "7"}


class _Rows:
    """The least a Trainer needs of data: len() and batch(index) -> (inputs, targets)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def batch(self, index):
        index = torch.as_tensor(index)
        return self.x[index], self.y[index]


def _mse():
    from harness.train.objective import Objective

    return Objective(1, lambda out, y: torch.nn.functional.mse_loss(out.squeeze(-1), y, reduction="sum"),
                     lambda out: out.squeeze(-1), torch.float32)


def test_the_supervised_step_divides_the_summed_loss_by_the_global_batch_and_counts_its_items() -> None:
    import contextlib

    from harness.train.hooks import StepContext
    from harness.train.trainer import SupervisedStep

    x, y = torch.ones(4, 1), torch.tensor([1.0, 2.0, 3.0, 4.0])
    net = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.0)
    # this rank holds 4 of a global batch of 8 split over 2 ranks: loss = sum of squares * 2 / 8
    out = SupervisedStep(_mse())(net, (x, y), StepContext(1, 0, 8, 2, contextlib.nullcontext))
    assert out.loss.item() == pytest.approx(30.0 * 2 / 8)
    assert out.logs["train_loss"].item() == pytest.approx(30.0) and out.count == 4


def test_fit_needs_both_an_objective_and_a_metric() -> None:
    from harness.errors import UserError
    from harness.metrics.registry import get_metric
    from harness.train import TrainConfig, Trainer

    data = _Rows(torch.ones(4, 1), torch.ones(4))
    message = r"^Trainer\.fit needs an objective and a selection metric; use Trainer\.run for custom steps$"
    for objective, metric in ((_mse(), None), (None, get_metric("MAE"))):
        trainer = Trainer(TrainConfig(epochs=1), objective, metric, 0, device="cpu", progress=False)
        with pytest.raises(UserError, match=message):
            trainer.fit(torch.nn.Linear(1, 1), data, data, np.ones(4))


class _NaNWhenEvaluated(torch.nn.Linear):
    def forward(self, x):
        out = super().forward(x)
        return out if self.training else out * float("nan")


def test_non_finite_selection_outputs_fail_the_fit_naming_the_epoch() -> None:
    from harness.metrics.registry import get_metric
    from harness.models import NonFiniteError
    from harness.train import TrainConfig, Trainer

    data = _Rows(torch.ones(4, 1), torch.ones(4))
    trainer = Trainer(TrainConfig(epochs=2), _mse(), get_metric("MAE"), 0, device="cpu", progress=False)
    with pytest.raises(NonFiniteError, match=r"^epoch 1: outputs on the selection split contain NaN/inf$"):
        trainer.fit(_NaNWhenEvaluated(1, 1), data, data, np.ones(4))


def test_selection_before_any_epoch_has_no_best_and_restores_nothing() -> None:
    from harness.metrics.registry import get_metric
    from harness.train.hooks import EpochState
    from harness.train.trainer import Selection

    selection = Selection(lambda state: 0.0, get_metric("accuracy"), patience=1)
    module = torch.nn.Linear(1, 1)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    selection.on_phase_end(EpochState("train", 0, module, None, {}))  # a phase of 0 epochs
    assert selection.best_epoch is None and selection.best_score is None
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


# ---- what the Trainer reports, and the precision it computes in ------------------------------------------------

def _sgd_phase(net_data, epochs: int = 2, frozen=()):
    from harness.train.hooks import Phase, ShuffledBatches, StepOutput
    from harness.train.optim import sgd_warmup_cosine

    def step(net, batch, ctx):
        with ctx.autocast():
            return StepOutput(net(batch).float().pow(2).mean())

    return Phase("p", net_data, step, epochs, ShuffledBatches(2), sgd_warmup_cosine(0.1, 0.0, 0.0, 0), frozen=frozen)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_run_and_fit_report_trainable_parameters_device_precision_and_timing(precision: str) -> None:
    from harness.metrics.registry import get_metric
    from harness.train import TrainConfig, Trainer

    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    net[0].bias.requires_grad_(False)  # frozen by the caller: not a trainable parameter
    trainer = Trainer(TrainConfig(epochs=2, precision=precision), _mse(), get_metric("MAE"), 0, device="cpu",
                      progress=False)
    info = trainer.run(net, [_sgd_phase(TensorRows(torch.randn(6, 3)))])
    assert (info.n_parameters, info.device, info.precision) == (6 + 2 + 1, "cpu", precision)
    assert info.extras["epochs_run"] == 2 and info.extras["world_size"] == 1
    assert info.extras["train_time_per_epoch_s"] == pytest.approx(np.mean([h["train_time_s"]
                                                                            for h in info.history]))
    assert "cuda_max_allocated_mb" not in info.extras  # a CPU run reports no GPU memory
    data = _Rows(torch.randn(6, 3), torch.randn(6))
    fitted = trainer.fit(net, data, data, data.y.numpy())
    assert (fitted.n_parameters, fitted.device, fitted.precision) == (9, "cpu", precision)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_gpu_run_reports_its_peak_memory_in_mib() -> None:
    from harness.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(epochs=1), None, None, 0, device="cuda", progress=False)
    info = trainer.run(torch.nn.Linear(256, 256), [_sgd_phase(TensorRows(torch.randn(8, 256, device="cuda")), 1)])
    peak = info.extras["cuda_max_allocated_mb"]
    assert 0.25 <= peak < 64  # the 256 x 256 float32 weight alone is 0.25 MiB


@pytest.mark.parametrize(("precision", "dtype"), [("fp32", torch.float32), ("bf16", torch.bfloat16),
                                                  ("fp16", torch.float16)])
def test_the_trainers_autocast_computes_in_the_resolved_precision(precision: str, dtype: torch.dtype) -> None:
    from harness.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(precision=precision), None, None, 0, device="cpu", progress=False)
    with trainer.autocast():
        out = torch.nn.functional.linear(torch.ones(2, 2), torch.ones(2, 2))
    assert out.dtype == dtype


def test_fp16_scales_the_loss_so_tiny_gradients_do_not_underflow() -> None:
    # d(loss)/d(out) = 1e-8 underflows in float16 (smallest subnormal 6e-8) unless the loss is scaled first.
    from harness.train import TrainConfig, Trainer
    from harness.train.hooks import Phase, ShuffledBatches, StepOutput

    net = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        net.weight.zero_()

    def step(module, batch, ctx):
        with ctx.autocast():
            return StepOutput(1e-8 * module(batch).float().sum())

    sgd = lambda params, total: (torch.optim.SGD(params, lr=1.0), None)  # noqa: E731
    trainer = Trainer(TrainConfig(precision="fp16", grad_clip=0.0), None, None, 0, device="cpu", progress=False)
    trainer.run(net, [Phase("tiny", TensorRows(torch.ones(1, 2)), step, 1, ShuffledBatches(1), sgd)])
    torch.testing.assert_close(net.weight.detach(), torch.full((1, 2), -1e-8), rtol=1e-2, atol=0.0)


@pytest.mark.parametrize(("progress", "level", "disabled"), [(False, "INFO", True), (True, "INFO", None),
                                                              (True, "WARNING", True), (None, "INFO", None)])
def test_the_progress_bar_shows_only_when_asked_and_info_is_logged(monkeypatch, progress, level, disabled) -> None:
    import logging

    from harness.train import TrainConfig, Trainer
    from harness.train import trainer as trainer_module

    seen, real = [], trainer_module.tqdm

    def fake_tqdm(iterable, **kwargs):
        seen.append(kwargs["disable"])
        return real(iterable, **{**kwargs, "disable": True})

    monkeypatch.setattr(trainer_module, "tqdm", fake_tqdm)
    monkeypatch.setattr(trainer_module.log, "isEnabledFor", lambda asked: asked >= getattr(logging, level))
    kwargs = {} if progress is None else {"progress": progress}  # None: the default, which shows it
    trainer = Trainer(TrainConfig(epochs=1), None, None, 0, device="cpu", **kwargs)
    trainer.run(torch.nn.Linear(3, 1), [_sgd_phase(TensorRows(torch.randn(4, 3)), 1)])
    assert seen == [disabled]


def test_fp32_never_skips_a_step_the_way_fp16_loss_scaling_does() -> None:
    # Only fp16 scales the loss (and skips steps whose gradients overflow); in fp32 an overflow must surface.
    from harness.train import TrainConfig, Trainer
    from harness.train.hooks import Phase, ShuffledBatches, StepOutput

    net = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(1.0)

    def step(module, batch, ctx):
        return StepOutput(module(batch).sum() * 1e30 * 1e30)  # gradient 1e60: inf in float32

    sgd = lambda params, total: (torch.optim.SGD(params, lr=1.0), None)  # noqa: E731
    trainer = Trainer(TrainConfig(precision="fp32", grad_clip=0.0), None, None, 0, device="cpu", progress=False)
    trainer.run(net, [Phase("overflow", TensorRows(torch.ones(1, 1)), step, 1, ShuffledBatches(1), sgd)])
    assert not torch.isfinite(net.weight).any()  # the step was taken, not skipped


class _Recorder:
    def __init__(self) -> None:
        self.seen = []

    def on_epoch_end(self, state) -> None:
        self.seen.append(("epoch", state.phase, state.epoch, isinstance(state.optimiser.param_groups[0]["lr"], float)))

    def on_phase_end(self, state) -> None:
        self.seen.append(("end", state.phase, state.epoch, state.module is not None and state.optimiser is not None
                          and isinstance(state.row, dict)))


def test_callbacks_see_the_phase_epoch_module_and_optimiser_even_for_a_phase_of_zero_epochs() -> None:
    from harness.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(), None, None, 0, device="cpu", progress=False)
    recorder = _Recorder()
    phase = _sgd_phase(TensorRows(torch.randn(4, 3)), epochs=0)
    trainer.run(torch.nn.Linear(3, 1), [dataclasses.replace(phase, callbacks=(recorder,))])
    assert recorder.seen == [("end", "p", 0, True)]
    recorder = _Recorder()
    info = trainer.run(torch.nn.Linear(3, 1), [dataclasses.replace(_sgd_phase(TensorRows(torch.randn(4, 3)), 1),
                                                                   callbacks=(recorder,))])
    assert recorder.seen == [("epoch", "p", 1, True), ("end", "p", 1, True)]
    row = info.history[0]
    assert 0 <= row["train_time_s"] <= row["epoch_time_s"] < 600


def test_a_parameter_without_a_gradient_in_a_step_is_left_alone_by_adamw() -> None:
    # zero_grad(set_to_none=True): a parameter the step does not reach has no gradient, so AdamW skips it (no
    # weight decay, no momentum drift); zeroed gradients instead would keep moving it.
    from harness.train import TrainConfig, Trainer
    from harness.train.hooks import Phase, ShuffledBatches, StepOutput

    net = torch.nn.ModuleDict({"a": torch.nn.Linear(1, 1), "b": torch.nn.Linear(1, 1)})
    after_first = {}

    def step(module, batch, ctx):
        out = module["a"](batch).sum()
        return StepOutput(out + module["b"](batch).sum() if ctx.epoch == 1 else out)

    class Snapshot:
        def on_epoch_end(self, state):
            after_first.setdefault("b", net["b"].weight.detach().clone())

        def on_phase_end(self, state):
            pass

    trainer = Trainer(TrainConfig(grad_clip=0.0), None, None, 0, device="cpu", progress=False)
    trainer.run(net, [Phase("p", TensorRows(torch.ones(2, 1)), step, 2, ShuffledBatches(2), adamw(0.1, 0.5),
                            callbacks=(Snapshot(),))])
    assert torch.equal(net["b"].weight.detach(), after_first["b"])


def test_an_explicit_device_wins_over_the_environment(monkeypatch) -> None:
    from harness.train import TrainConfig, Trainer

    monkeypatch.setenv("MMREPRO_DEVICE", "no-such-device")
    assert Trainer(TrainConfig(), None, None, 0, device="cpu", progress=False).device.type == "cpu"


# ---- training settings and objectives ----------------------------------------------------------------------------

def test_train_config_boundaries_and_each_refusal() -> None:
    from harness.errors import UserError
    from harness.train import TrainConfig

    TrainConfig(epochs=1, batch_size=1, patience=1, lr=1e-9, grad_clip=0.0, weight_decay=0.0)  # the smallest valid
    counts = "epochs, batch_size and patience must be at least 1"
    rates = "lr must be positive; grad_clip and weight_decay non-negative"
    for kwargs, message in [({"epochs": 0}, counts), ({"batch_size": 0}, counts), ({"patience": 0}, counts),
                            ({"lr": 0.0}, rates), ({"grad_clip": -1.0}, rates), ({"weight_decay": -1e-4}, rates),
                            ({"epochs": 0, "lr": -1.0}, f"{counts}; {rates}")]:
        with pytest.raises(UserError) as info:
            TrainConfig(**kwargs)
        assert str(info.value) == f"TrainConfig: {message}"


def test_objectives_sum_their_losses_and_report_in_the_registry_format() -> None:
    from harness.errors import UserError
    from harness.tasks import get_task
    from harness.train import objective_for

    out, y = torch.tensor([[0.5], [2.0]]), torch.tensor([1.0, 1.0])
    regression = get_task("synth-msa")
    l1, mse = objective_for(regression), objective_for(regression, "mse")
    assert (l1.out_dim, l1.target_dtype) == (1, torch.float32)
    assert l1.loss(out, y).item() == pytest.approx(1.5) and mse.loss(out, y).item() == pytest.approx(1.25)
    assert l1.to_output(out).tolist() == [0.5, 2.0]
    with pytest.raises(UserError, match=r"^loss='huber' is not one of \['l1', 'mse'\]$"):
        objective_for(regression, "huber")
    classes = get_task("breast-cancer-views")
    ce = objective_for(classes)
    logits, labels = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
    assert (ce.out_dim, ce.target_dtype) == (2, torch.long)
    expected = torch.nn.functional.cross_entropy(logits, labels, reduction="sum").item()
    assert ce.loss(logits, labels).item() == pytest.approx(expected)
    torch.testing.assert_close(ce.to_output(logits), logits.softmax(dim=-1))


def test_a_task_kind_without_a_torch_objective_is_refused_naming_it() -> None:
    from harness.errors import UserError
    from harness.tasks import get_task
    from harness.train import objective_for

    with pytest.raises(UserError, match=r"^torch models support regression and \('single-label', 'binary'\) tasks, "
                                        r"not 'retrieval'$"):
        objective_for(get_task("av-digits-retrieval"))
