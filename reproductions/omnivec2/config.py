"""OmniVec2's settings: every unknown of the paper is a named value here (README.md, "Decisions", justifies each).

Kept free of torch so that registering the arms (at every CLI start) stays cheap; the network and the stages are
imported when a run is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.errors import UserError

STAGES = ("masked-single", "masked-paired", "multitask")


@dataclass(frozen=True)
class StagePlan:
    """One stage's settings (what its checkpoint key hashes, with the net shape and the data)."""

    name: str
    epochs: int
    steps_per_epoch: int
    batch_size: int
    lr: float
    weight_decay: float
    settings: dict[str, Any]


@dataclass(frozen=True)
class NetShape:
    width: int = 96  # f's width
    reduced: int = 64  # after the FC reduction: g's width
    f_layers: int = 2
    g_layers: int = 2
    cross_layers: int = 1
    heads: int = 4
    ff_mult: int = 2
    dropout: float = 0.0


def check_plan(plans: list[StagePlan]) -> None:
    names = [p.name for p in plans]
    if names != [s for s in STAGES if s in names] or "multitask" not in names:
        raise UserError(f"stages {names}: choose an ordered subset of {STAGES} that ends with 'multitask'")


@dataclass(frozen=True)
class OmniVec2Config:
    """Defaults sized for the whole reproduction on 2 CPU cores in under 30 minutes (README: "Decisions")."""

    tasks: tuple[str, ...] = ("av-digits", "mfeat", "meld-sentiment", "mmsd")
    stages: tuple[str, ...] = STAGES  # an ordered subset ending with "multitask"
    multitask: bool = True  # False: stage 3 on the run's own task only (the single-task arm)
    two_stream_inference: bool = False  # keep the cross-attention at test time on paired tasks
    # data
    max_train: int = 2000  # training rows per task (MELD and MMSD are subsampled; the same rows for every run)
    subsample_seed: int = 0
    audio_tokens: int = 16
    text_chunk: int = 48
    # network
    width: int = 96
    reduced: int = 64
    f_layers: int = 2
    g_layers: int = 2
    cross_layers: int = 1
    heads: int = 4
    batch_size: int = 64
    weight_decay: float = 0.01
    # stage 1: masked single-modality pre-training with modality switching
    s1_epochs: int = 3
    s1_steps: int = 50
    s1_lr: float = 2e-3
    mask_ratio: float = 0.5
    mask_target: str = "raw"  # "raw" standardised token values, or "normalised" per token (MAE's option)
    switch_every: int = 1  # steps on one modality before switching to the next
    # stage 2: masked paired pre-training through the cross-attention
    s2_epochs: int = 3
    s2_steps: int = 50
    s2_lr: float = 2e-3
    pair_sampling: str = "uniform"  # "uniform" over allowed pairs, or "size": by the product of training rows
    # stage 3: supervised multitask training on sampled pairs
    s3_epochs: int = 8
    s3_steps: int = 50
    s3_lr: float = 2e-3
    loss_weighting: str = "chance"  # "equal", or "chance": each task's CE divided by log(classes)

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.mask_ratio < 1:
            problems.append(f"mask_ratio={self.mask_ratio} must be in (0, 1)")
        for name, value, options in (("mask_target", self.mask_target, ("raw", "normalised")),
                                     ("pair_sampling", self.pair_sampling, ("uniform", "size")),
                                     ("loss_weighting", self.loss_weighting, ("equal", "chance"))):
            if value not in options:
                problems.append(f"{name}={value!r} is not one of {options}")
        if min(self.switch_every, self.batch_size, self.max_train, self.s3_epochs, self.s3_steps) < 1:
            problems.append("switch_every, batch_size, max_train, s3_epochs and s3_steps must be at least 1")
        if self.width % self.heads or self.reduced % self.heads:
            problems.append(f"width {self.width} and reduced {self.reduced} must be divisible by heads {self.heads}")
        if problems:
            raise UserError("OmniVec2Config: " + "; ".join(problems))

    def net_shape(self) -> NetShape:
        return NetShape(self.width, self.reduced, self.f_layers, self.g_layers, self.cross_layers, self.heads)

    def plans(self) -> list[StagePlan]:
        settings = {"masked-single": (self.s1_epochs, self.s1_steps, self.s1_lr,
                                      {"mask_ratio": self.mask_ratio, "mask_target": self.mask_target,
                                       "switch_every": self.switch_every}),
                    "masked-paired": (self.s2_epochs, self.s2_steps, self.s2_lr,
                                      {"mask_ratio": self.mask_ratio, "mask_target": self.mask_target,
                                       "pair_sampling": self.pair_sampling}),
                    "multitask": (self.s3_epochs, self.s3_steps, self.s3_lr,
                                  {"pair_sampling": self.pair_sampling, "loss_weighting": self.loss_weighting})}
        unknown = [s for s in self.stages if s not in settings]
        if unknown:
            raise UserError(f"stages: unknown {unknown}; choose from {STAGES}")
        plans = [StagePlan(s, *settings[s][:2], self.batch_size, settings[s][2], self.weight_decay, settings[s][3])
                 for s in self.stages]
        check_plan(plans)
        return plans


@dataclass(frozen=True)
class NoStage2Config(OmniVec2Config):
    stages: tuple[str, ...] = ("masked-single", "multitask")


@dataclass(frozen=True)
class NoPretrainConfig(OmniVec2Config):
    stages: tuple[str, ...] = ("multitask",)


@dataclass(frozen=True)
class SingleTaskConfig(OmniVec2Config):
    stages: tuple[str, ...] = ("multitask",)
    multitask: bool = False


@dataclass(frozen=True)
class TwoStreamConfig(OmniVec2Config):
    two_stream_inference: bool = True
