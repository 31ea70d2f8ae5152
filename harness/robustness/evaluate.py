"""Perturb a split and re-score a fitted model on it (the MultiBench robustness axes, seeded).

Conditions, all on the split the run reports:

* ``zeros``: one modality's features set to 0 (in raw feature units; padding stays padding). Works for
  every model and measures reliance on the modality *and* sensitivity to an out-of-range input.
* ``mask``: one modality removed inside the model (``predict_with_missing``; neural models only): the
  fusion ignores it, as each model documents.
* ``noise``: Gaussian noise on every modality at once, ``x + level * sd * N(0, 1)`` on valid steps, where
  ``sd`` is each feature's standard deviation on the scored split; levels are fixed (:data:`NOISE_LEVELS`)
  and the generator is seeded by the run seed and the level index, so reruns are identical.

``noise_auc`` is the area under metric-vs-level over the level range divided by that range, i.e. the
mean metric across noise levels (trapezoid rule); it keeps the metric's direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.data.dataset import Split
from harness.metrics.registry import get_metric
from harness.models import Model
from harness.tasks.spec import TaskSpec

NOISE_LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)


def zero_modality(split: Split, modality: str) -> Split:
    return split.with_features({**split.features, modality: np.zeros_like(split.features[modality])})


def add_noise(split: Split, modalities: list[str], level: float, rng: np.random.Generator) -> Split:
    features = dict(split.features)
    for m in modalities:
        x = split.features[m]
        valid = split.mask(m) if split.is_sequence(m) else np.ones(len(split), dtype=bool)
        sd = x[valid].std(axis=0)
        noise = rng.standard_normal(x.shape).astype(x.dtype) * (level * sd).astype(x.dtype)
        features[m] = x + noise * (valid[..., None] if split.is_sequence(m) else 1)
    return split.with_features(features)


def noise_auc(levels: tuple[float, ...], values: list[float]) -> float:
    return float(np.trapezoid(values, levels) / (levels[-1] - levels[0]))


def evaluate_robustness(model: Model, task: TaskSpec, split: Split, seed: int,
                        clean: np.ndarray | None = None) -> dict[str, Any]:
    """Primary-metric scores of ``model`` on ``split`` under each condition (a JSON-plain dict).

    ``clean``: the model's outputs on ``split`` when the caller has them (the runner scores the report split
    anyway); they also serve noise level 0, whose split is bit-identical to the clean one (``x + 0 * noise``).
    """
    metric = get_metric(task.primary_metric)

    def score(outputs: np.ndarray) -> float:
        return float(metric.fn(split.labels, np.asarray(outputs)))

    def noisy(i: int, level: float) -> np.ndarray:
        if level == 0.0:
            return clean
        return model.predict(add_noise(split, modalities, level, np.random.default_rng([seed, i])))

    clean = np.asarray(model.predict(split)) if clean is None else clean
    modalities = list(task.modalities)
    result: dict[str, Any] = {
        "metric": metric.name, "clean": score(clean),
        "zeros": {m: score(model.predict(zero_modality(split, m))) for m in modalities},
        "mask": ({m: score(model.predict_with_missing(split, (m,))) for m in modalities}
                 if hasattr(model, "predict_with_missing") else {}),
    }
    noise = [score(noisy(i, level)) for i, level in enumerate(NOISE_LEVELS)]
    result |= {"noise_levels": list(NOISE_LEVELS), "noise": noise, "noise_auc": noise_auc(NOISE_LEVELS, noise)}
    return result
