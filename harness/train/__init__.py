"""One Trainer for every torch model: seeds, device, mixed precision, early stopping, checkpoints, DDP."""

from harness.train.batches import Batch, ModalityInput, ModalitySpec, Standardizer, TensorData
from harness.train.config import TrainConfig
from harness.train.model import TorchModel
from harness.train.objective import Objective, objective_for
from harness.train.trainer import Trainer

__all__ = ["Batch", "ModalityInput", "ModalitySpec", "Objective", "Standardizer", "TensorData", "TorchModel",
           "TrainConfig", "Trainer", "objective_for"]
