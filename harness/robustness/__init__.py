"""Robustness as a standard axis: re-score a trained model with a modality removed or with noisy inputs."""

from harness.robustness.evaluate import NOISE_LEVELS, evaluate_robustness, noise_auc

__all__ = ["NOISE_LEVELS", "evaluate_robustness", "noise_auc"]
