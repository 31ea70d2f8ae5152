"""One Trainer for every torch model: seeds, device, mixed precision, early stopping, checkpoints, DDP, and the
small hooks (step, sampler, callbacks, optimiser factory, phases) a paper plugs in; see ``hooks.py``."""

from harness.train.batches import Batch, ModalityInput, ModalitySpec, Standardizer, TensorData
from harness.train.config import TrainConfig
from harness.train.hooks import (
                                 Callback,
                                 EpochState,
                                 GroupBatches,
                                 Phase,
                                 ShuffledBatches,
                                 StepContext,
                                 StepOutput,
                                 TensorRows,
                                 TrainStep,
)
from harness.train.model import TorchModel
from harness.train.objective import Objective, objective_for
from harness.train.optim import WarmupCosine, adamw, sgd_warmup_cosine, warmup_cosine
from harness.train.trainer import Selection, SupervisedStep, Trainer

__all__ = ["Batch", "Callback", "EpochState", "GroupBatches", "ModalityInput", "ModalitySpec", "Objective", "Phase",
           "Selection", "ShuffledBatches", "Standardizer", "StepContext", "StepOutput", "SupervisedStep",
           "TensorData", "TensorRows", "TorchModel", "TrainConfig", "TrainStep", "Trainer", "WarmupCosine", "adamw",
           "objective_for", "sgd_warmup_cosine", "warmup_cosine"]
