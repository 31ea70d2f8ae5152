"""The linear baselines' fit memo: its premise (the grid's solvers ignore the seed) and its result (a reused fit
predicts exactly what a fresh fit predicts)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from baselines import sklearn_fusion
from baselines.sklearn_fusion import LinearConfig, _linear
from harness.models import get_model
from tests.train.tiny import tiny_msa, tiny_views


@pytest.mark.parametrize("make", [tiny_views, tiny_msa])
def test_grid_solvers_ignore_the_seed(make) -> None:
    task, data = make()
    train = data.split("train")
    x = np.concatenate([train.pooled(m) for m in task.modalities], axis=1)
    a, b = (_linear(task, 10.0, 2000, seed).fit(x, train.labels)[-1] for seed in (0, 1))
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


@pytest.mark.parametrize("model", ["linear-early", "linear-late"])
def test_reused_fit_predicts_exactly_like_a_fresh_fit(model: str, monkeypatch) -> None:
    monkeypatch.setattr(sklearn_fusion, "FIT_MEMO", sklearn_fusion._FitMemo())
    task, data = tiny_views()
    config = LinearConfig(grid=(0.1, 1.0))

    def run(seed: int):
        built = get_model(model).build(task, data, config, seed)
        built.fit(data.split("train"), data.split("valid"))
        return built.predict(data.split("test")), built.info.extras["fits_reused"]

    first, reused0 = run(0)
    second, reused1 = run(1)
    groups = 1 if model == "linear-early" else len(task.modalities)
    assert (reused0, reused1) == (0, len(config.grid) * groups)
    sklearn_fusion.FIT_MEMO.items.clear()
    fresh, _ = run(1)
    assert np.array_equal(second, fresh) and np.array_equal(first, fresh)


def test_memo_keys_on_content_and_is_bounded() -> None:
    memo = sklearn_fusion._FitMemo(size=2)
    task, data = tiny_views()
    train = data.split("train")
    x, y = train.pooled("left"), train.labels
    assert memo.fit(task, 1.0, 100, 0, x, y) is memo.fit(task, 1.0, 100, 5, x.copy(), y.copy())
    assert memo.fit(task, 1.0, 100, 0, x, (y + 1) % 3) is not memo.fit(task, 1.0, 100, 0, x, y)
    memo.fit(task, 2.0, 100, 0, x, y)
    memo.fit(task, 3.0, 100, 0, x, y)
    assert len(memo.items) == 2 and memo.hits == 2
    regression = dataclasses.replace(task, target_kind="regression")
    assert memo.fit(regression, 3.0, 100, 0, x, y.astype(float)) is not memo.fit(task, 3.0, 100, 0, x, y)

