"""QMN's arms as harness models: they train through the shared Trainer on whole dialogues, select on the selection
split, return per-utterance distributions in the split's row order, and the twin is QMN's size."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from harness.data.dataset import MultimodalDataset, Split
from harness.tasks import get_task
from reproductions.qmn.arms import (
    NoInfluenceConfig,
    NoInterferenceConfig,
    QMNConfig,
    QMNNConfig,
    RealTwinConfig,
    build,
)

TASK = get_task("synth-conversation")


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _split(n_dialogues: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 7, n_dialogues)
    n = int(lengths.sum())
    dialogue = np.repeat([f"{seed}-{d}" for d in range(n_dialogues)], lengths)
    turn = np.concatenate([np.arange(k) for k in lengths])
    speaker = rng.choice(["A", "B"], n)
    features = {m: rng.normal(size=(n, d)).astype(np.float32) for m, d in (("text", 6), ("audio", 4), ("visual", 3))}
    labels = (features["text"][:, 0] > 0).astype(np.int64) + 2 * (features["audio"][:, 0] > 0)
    return Split(ids=np.array([f"{seed}-u{i}" for i in range(n)]), labels=labels, features=features,
                 groups={"dialogue": dialogue, "turn": turn, "speaker": speaker})


@pytest.fixture(scope="module")
def data() -> MultimodalDataset:
    return MultimodalDataset("tiny_conversations", {"train": _split(12, 0), "valid": _split(4, 1),
                                                    "test": _split(4, 2)}, synthetic=True)


@pytest.mark.parametrize("config", [QMNConfig(), NoInterferenceConfig(), NoInfluenceConfig(), RealTwinConfig(),
                                    QMNNConfig()])
def test_each_arm_trains_and_predicts_distributions_in_row_order(config, data) -> None:
    config = dataclasses.replace(config, epochs=2, batch_size=4, hidden=4, dim=4, components=2)
    model = build(TASK, data, config, 0)
    model.fit(data.split("train"), data.split("valid"))
    test = data.split("test")
    out = model.predict(test)
    assert out.shape == (len(test), TASK.num_classes)
    assert np.allclose(out.sum(1), 1, atol=1e-5) and (out >= 0).all()
    assert model.info.best_epoch in (1, 2) and len(model.info.history) == 2
    assert all("valid_weighted_f1" in row for row in model.info.history)
    order = np.random.default_rng(0).permutation(len(test))
    assert np.allclose(model.predict(test.subset(order)), out[order], atol=1e-6)


def test_training_is_seeded(data) -> None:
    config = QMNConfig(epochs=1, batch_size=4, hidden=4, dim=4, components=2)
    runs = []
    for _ in range(2):
        model = build(TASK, data, config, 3)
        model.fit(data.split("train"), data.split("valid"))
        runs.append(model.predict(data.split("test")))
    assert np.array_equal(runs[0], runs[1])


def test_the_twin_has_qmns_parameter_count(data) -> None:
    qmn = build(TASK, data, QMNConfig(), 0).info.n_parameters
    twin = build(TASK, data, RealTwinConfig(), 0).info.n_parameters
    assert abs(twin - qmn) / qmn < 0.01
