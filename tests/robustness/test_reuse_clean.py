"""Robustness passes reuse the clean outputs the runner already has (also for noise level 0): same scores,
two fewer passes over the split."""

from __future__ import annotations

import numpy as np

from harness.models import get_model
from harness.robustness import NOISE_LEVELS, evaluate_robustness
from harness.robustness.evaluate import add_noise
from tests.train.tiny import tiny_config, tiny_msa


def test_given_clean_outputs_give_identical_scores_with_two_fewer_predictions() -> None:
    task, data = tiny_msa()
    model = get_model("late-fusion").build(task, data, tiny_config("late-fusion"), 0)
    model.fit(data.split("train"), data.split("valid"))
    split = data.split("test")
    calls = []
    predict = model.predict
    model.predict = lambda s: calls.append(1) or predict(s)
    fresh = evaluate_robustness(model, task, split, seed=0)
    n_fresh, calls[:] = len(calls), []
    reused = evaluate_robustness(model, task, split, seed=0, clean=predict(split))
    assert reused == fresh
    assert len(calls) == n_fresh - 1 == len(task.modalities) + len(NOISE_LEVELS) - 1  # was + 1 before
    # the premise for level 0: its noisy split is the clean split, bit for bit
    assert NOISE_LEVELS[0] == 0.0
    zero = add_noise(split, list(task.modalities), 0.0, np.random.default_rng([0, 0]))
    assert all(np.array_equal(zero.features[m], split.features[m]) for m in task.modalities)
