"""Neural fusion baselines, all ``encoders -> fusion -> head`` and all trained by ``harness.train.Trainer``."""

from baselines.neural import early_fusion, fusion_token, late_fusion, lmf, mult, tfn  # noqa: F401
