"""The Trainer's contract: determinism, honest selection, the non-finite guard, precision, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from harness.metrics.registry import get_metric
from harness.models import NonFiniteError, get_model
from harness.seeding import seed_everything
from harness.train import Standardizer, TensorData, TorchModel, TrainConfig, Trainer, objective_for
from tests.train.tiny import tiny_config, tiny_msa, tiny_views


def _fit(model_name: str, task, data, seed: int = 0, **overrides):
    seed_everything(seed)
    model = get_model(model_name).build(task, data, tiny_config(model_name, **overrides), seed)
    model.fit(data.split("train"), data.split("valid"))
    return model


def test_same_seed_gives_identical_metrics_on_cpu():
    task, data = tiny_msa()
    a, b = (_fit("fusion-token", task, data, seed=3, dropout=0.1) for _ in range(2))
    untimed = [[{k: v for k, v in h.items() if not k.endswith("time_s")} for h in m.info.history] for m in (a, b)]
    assert untimed[0] == untimed[1]  # every epoch's loss and selection score, bit for bit
    np.testing.assert_array_equal(a.predict(data.split("test")), b.predict(data.split("test")))


def test_different_seeds_differ():
    task, data = tiny_msa()
    a, b = (_fit("fusion-token", task, data, seed=s) for s in (0, 1))
    assert not np.array_equal(a.predict(data.split("test")), b.predict(data.split("test")))


def test_best_epoch_is_the_first_reaching_the_best_selection_score_and_predictions_after_fit_reproduce_it():
    task, data = tiny_views()
    model = _fit("late-fusion", task, data, epochs=8, patience=8, lr=3e-2)
    history = model.info.history
    scores = [h["valid_accuracy"] for h in history]
    assert model.info.best_epoch == int(np.argmax(scores)) + 1  # first epoch reaching the best score
    restored = get_metric("accuracy").fn(data.split("valid").labels, model.predict(data.split("valid")))
    assert restored == scores[model.info.best_epoch - 1]
    assert all(set(h) == {"epoch", "train_loss", "valid_accuracy", "lr", "train_time_s", "epoch_time_s"}
               for h in history)


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    task, data = tiny_views()
    model = _fit("late-fusion", task, data, epochs=50, patience=2, lr=1e-6)  # too small to improve much
    assert len(model.info.history) <= model.info.best_epoch + 2
    assert len(model.info.history) < 50


class _Exploding(nn.Module):
    """A regression network whose output is NaN."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, batch):
        return self.w * torch.full((len(next(iter(batch.values())).x), 1), float("nan"))


def test_non_finite_loss_fails_the_run_with_a_reason():
    task, data = tiny_msa()
    model = TorchModel(task, data, TrainConfig(epochs=2), 0, lambda specs, out: _Exploding(),
                       tuple(task.modalities), progress=False)
    with pytest.raises(NonFiniteError, match="training loss became nan"):
        model.fit(data.split("train"), data.split("valid"))


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_on_cpu_and_is_recorded(precision):
    task, data = tiny_msa()
    model = _fit("fusion-token", task, data, epochs=1, precision=precision)
    assert model.info.precision == precision
    assert np.isfinite(model.predict(data.split("test"))).all()


def test_auto_precision_is_fp32_on_cpu():
    task, data = tiny_msa()
    assert _fit("late-fusion", task, data, epochs=1).info.precision == "fp32"


def test_cosine_schedule_decays_the_learning_rate():
    task, data = tiny_views()
    lrs = [h["lr"] for h in _fit("late-fusion", task, data, epochs=4, patience=4, schedule="cosine").info.history]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < lrs[0]


def test_bad_settings_are_user_errors():
    from harness.errors import UserError

    with pytest.raises(UserError, match="precision"):
        TrainConfig(precision="fp8")
    with pytest.raises(UserError, match="schedule"):
        TrainConfig(schedule="step")


def test_trainer_writes_best_checkpoint_as_safetensors(tmp_path):
    task, data = tiny_views()
    cfg = TrainConfig(epochs=2)
    objective = objective_for(task)
    train, valid = data.split("train"), data.split("valid")
    std = Standardizer.fit(train, tuple(task.modalities))
    torch.manual_seed(0)
    net = _Linear(sum(train.features[m].shape[1] for m in task.modalities), objective.out_dim)
    trainer = Trainer(cfg, objective, get_metric("accuracy"), 0, progress=False, checkpoint_dir=tmp_path)
    info = trainer.fit(net, TensorData(train, std, trainer.device, target_dtype=torch.long),
                       TensorData(valid, std, trainer.device, target_dtype=torch.long), valid.labels)
    from safetensors import safe_open

    with safe_open(tmp_path / "best.safetensors", "pt") as f:
        assert f.metadata()["epoch"] == str(info.best_epoch)
        assert set(f.keys()) == {"model.linear.weight", "model.linear.bias"}


class _Linear(nn.Module):
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)

    def forward(self, batch):
        return self.linear(torch.cat([inp.x[:, 0] for inp in batch.values()], dim=1))


def test_model_save_and_load_round_trip(tmp_path):
    task, data = tiny_msa()
    model = _fit("lmf", task, data)
    model.save(tmp_path / "lmf.safetensors")
    fresh = get_model("lmf").build(task, data, tiny_config("lmf"), seed=99)
    fresh.load(tmp_path / "lmf.safetensors")
    np.testing.assert_array_equal(fresh.predict(data.split("test")), model.predict(data.split("test")))


def test_an_image_modality_reaches_networks_as_one_step_of_its_flattened_pixels():
    import dataclasses

    from harness.data.dataset import MultimodalDataset, Split
    from harness.train.batches import modality_specs

    task, views = tiny_views()
    splits = {}
    for name, split in views.splits.items():
        image = np.repeat(split.features["left"][:, :4, None, None], 3, axis=2)  # (n, 4, 3, 1)
        splits[name] = Split(ids=split.ids, labels=split.labels, features={"image": image.astype(np.float32)})
    data = MultimodalDataset(name="tiny_image", splits=splits)
    task = dataclasses.replace(task, modalities=("image",))
    (spec,) = modality_specs(data.split("train"), ("image",))
    assert (spec.dim, spec.max_len, spec.sequence) == (12, 1, False)
    std = Standardizer.fit(data.split("train"), ("image",))
    inputs, _ = TensorData(data.split("valid"), std, torch.device("cpu")).batch(np.arange(5))
    assert inputs["image"].x.shape == (5, 1, 12)
    model = _fit("late-fusion", task, data, epochs=3, lr=3e-2)
    assert model.predict(data.split("test")).shape == (48, 3)
