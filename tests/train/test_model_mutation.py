"""TorchModel, the adapter every neural baseline goes through (issue 20): seeded construction, what it reports,
the device it was asked for, inputs standardised with training statistics, removed modalities reaching the
network, and a saved model that predicts the same after loading.

The network is a hand-written one (a linear read-out per modality, zero when the modality is absent), so each
property is visible in the outputs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from harness.train import TorchModel, TrainConfig
from harness.train.batches import ModalitySpec, Standardizer
from harness.train.checkpoint import checkpoint_metadata, load_checkpoint
from harness.train.device import DEVICE_ENV
from tests.train.tiny import tiny_msa, tiny_views

CONFIG = TrainConfig(epochs=2, batch_size=32, precision="fp32")


class _PerModality(nn.Module):
    """Sum over modalities of a linear read-out of the first step, times the modality's presence flag."""

    def __init__(self, specs: list[ModalitySpec], out_dim: int) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({s.name: nn.Linear(s.dim, out_dim) for s in specs})

    def forward(self, batch):
        return sum(head(batch[m].x[:, 0]) * batch[m].present[:, None] for m, head in self.heads.items())


def _model(seed: int = 0, task_data=None, **kwargs) -> TorchModel:
    task, data = task_data or tiny_views()
    return TorchModel(task, data, CONFIG, seed, _PerModality, ("left", "right"), progress=False, **kwargs)


def _weights(model: TorchModel) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.network.parameters()]


def test_the_network_is_built_from_the_seed_alone() -> None:
    torch.manual_seed(123)
    a = _weights(_model(seed=5))
    torch.manual_seed(456)  # whatever ran before must not matter
    b = _weights(_model(seed=5))
    c = _weights(_model(seed=6))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


def test_a_new_model_reports_its_size_device_and_precision() -> None:
    model = _model()
    assert [(s.name, s.dim, s.max_len, s.sequence) for s in model.specs] == [("left", 8, 1, False),
                                                                            ("right", 3, 1, False)]
    assert model.info.n_parameters == (8 * 3 + 3) + (3 * 3 + 3)
    assert (model.info.device, model.info.precision, model.info.best_epoch) == ("cpu", "fp32", None)
    assert next(model.network.parameters()).device == torch.device("cpu")


def test_the_device_asked_for_beats_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(DEVICE_ENV, "no-such-device")
    assert _model(device="cpu").trainer.device == torch.device("cpu")


def test_classification_targets_are_class_indices_and_regression_defaults_to_l1() -> None:
    task, data = tiny_views()
    model = _model()
    model.fit(data.split("train"), data.split("valid"))
    rows = model.tensors(data.split("test"))
    assert rows.y.dtype == torch.long and rows.y.tolist() == data.split("test").labels.tolist()
    msa_task, msa = tiny_msa()
    regression = TorchModel(msa_task, msa, CONFIG, 0, _PerModality, ("text", "audio"), progress=False)
    out, y = torch.tensor([[1.0], [2.0]]), torch.tensor([0.0, 4.0])
    assert regression.objective.loss(out, y).item() == 3.0  # L1 summed: |1 - 0| + |2 - 4|
    mse = TorchModel(msa_task, msa, CONFIG, 0, _PerModality, ("text", "audio"), regression_loss="mse",
                     progress=False)
    assert mse.objective.loss(out, y).item() == 5.0
    test = msa.split("test")
    test = dataclasses.replace(test, labels=test.labels.astype(np.float64))  # e.g. labels read from a CSV
    regression.standardizer = Standardizer.fit(msa.split("train"), ("text", "audio"))
    assert regression.tensors(test).y.dtype == torch.float32  # the dtype the loss and the outputs use


def test_fit_standardises_with_training_statistics_and_reports_the_training() -> None:
    task, data = tiny_views()
    model = _model()
    with pytest.raises(AssertionError, match=r"^fit\(\) or load\(\) first$"):
        model.tensors(data.split("test"))
    model.fit(data.split("train"), data.split("valid"))
    mean, std = model.standardizer.stats["left"]
    np.testing.assert_allclose(mean, data.split("train").features["left"].mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(std, data.split("train").features["left"].std(axis=0), rtol=1e-4)
    assert len(model.info.history) == 2 and model.info.best_epoch in (0, 1)
    assert (model.info.device, model.info.precision) == ("cpu", "fp32")
    assert model.info.n_parameters == (8 * 3 + 3) + (3 * 3 + 3)


def test_predictions_with_a_modality_removed_are_the_other_modalitys_alone() -> None:
    task, data = tiny_views()
    model = _model()
    model.fit(data.split("train"), data.split("valid"))
    test = data.split("test")
    both = model.predict(test)
    assert both.shape == (48, 3) and np.allclose(both.sum(axis=1), 1.0)  # class probabilities
    without_right = model.predict_with_missing(test, ["right"])
    rows = model.tensors(test, ["right"])
    assert rows.present["right"].tolist() == [False] * 48 and rows.present["left"].tolist() == [True] * 48
    with torch.no_grad():
        left_only = model.network.heads["left"](rows.x["left"][:, 0]).softmax(dim=-1).numpy()
    np.testing.assert_allclose(without_right, left_only, rtol=1e-5, atol=1e-6)
    assert not np.allclose(without_right, both)


def test_a_saved_model_predicts_the_same_after_loading(tmp_path: Path) -> None:
    task, data = tiny_views()
    model = _model(seed=0)
    with pytest.raises(AssertionError, match=r"^fit\(\) first$"):
        model.save(tmp_path / "early.safetensors")
    model.fit(data.split("train"), data.split("valid"))
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert checkpoint_metadata(path) == {"modalities": "left,right"}
    _, extra = load_checkpoint(path)
    assert sorted(extra) == ["standardizer.left.mean", "standardizer.left.std", "standardizer.right.mean",
                             "standardizer.right.std"]
    fresh = _model(seed=1)
    fresh.load(path)
    for m in ("left", "right"):
        for a, b in zip(fresh.standardizer.stats[m], model.standardizer.stats[m], strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fresh.predict(data.split("test")), model.predict(data.split("test")))


def test_a_model_on_part_of_the_modalities_sizes_only_those() -> None:
    task, data = tiny_views()
    model = TorchModel(task, data, CONFIG, 0, _PerModality, ("right",), progress=False)
    assert [s.name for s in model.specs] == ["right"] and model.info.n_parameters == 3 * 3 + 3


def test_the_network_and_its_inputs_live_on_the_device_asked_for() -> None:
    # the meta device stands in for a GPU: weights and every input tensor must be moved there
    task, data = tiny_views()
    model = TorchModel(task, data, dataclasses.replace(CONFIG, precision="bf16"), 0, _PerModality,
                       ("left", "right"), device="meta", progress=False)
    assert {p.device for p in model.network.parameters()} == {torch.device("meta")}
    assert (model.info.device, model.info.precision) == ("meta", "bf16")
    model.standardizer = Standardizer.fit(data.split("train"), ("left", "right"))
    rows = model.tensors(data.split("test"))
    assert {rows.x["left"].device, rows.present["right"].device, rows.y.device} == {torch.device("meta")}


def test_progress_output_is_on_by_default_and_off_when_asked() -> None:
    task, data = tiny_views()
    assert TorchModel(task, data, CONFIG, 0, _PerModality, ("left",)).trainer.progress is True
    assert _model().trainer.progress is False  # e.g. worker processes, whose bars would interleave
