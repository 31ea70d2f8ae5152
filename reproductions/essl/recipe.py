"""E-SSL training protocol (after ``rdangovs/essl`` cifar10/main.py): the training step, run on the shared Trainer.

What is kept from the official CIFAR-10 recipe (see README.md for the full list): two independently augmented
SSL views plus a third, independent view that is rotated all four ways and labelled 0..3; cross-view InfoNCE with
temperature 0.5 (the repository's "SimCLR", whose negatives come from the other view only); a rotation head on the
*backbone* features; separate forward passes per view (so BatchNorm statistics are per view); SGD with momentum 0.9
and weight decay on every parameter; lr = base x batch/256 with a per-iteration linear warm-up then cosine decay;
drop_last batches. What is scaled down is the network, the number of epochs and the crop sizes (8x8 digits cannot
be cut to 16x16). The augmentations, the loss, the schedule and the loop are the harness's (``harness.ssl``,
``harness.train``); one ``torch.Generator`` draws the batch order and every augmentation, so a run depends only on
its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from harness.models import FitInfo
from harness.ssl.augment import Augment, all_rotations, augment, rotate
from harness.ssl.losses import info_nce
from harness.train import Phase, ShuffledBatches, StepContext, StepOutput, TensorRows, TrainConfig, Trainer
from harness.train.optim import sgd_warmup_cosine


@dataclass(frozen=True)
class Protocol:
    """Optimisation and objective of one pre-training run."""

    epochs: int
    batch_size: int
    base_lr: float  # scaled by batch_size/256, as in the recipe
    warmup_epochs: int
    momentum: float
    weight_decay: float
    temperature: float
    lmbd: float  # weight of the rotation-prediction loss (0 = plain SimCLR)
    rotation_invariance: bool  # rotate each SSL view by a random quarter turn (rotation as an invariance)


class EsslNet(nn.Module):
    """The three trained parts; only ``backbone`` is kept for evaluation."""

    def __init__(self, backbone: nn.Module, projector: nn.Module, rotation_head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.projector, self.rotation_head = backbone, projector, rotation_head


class EsslStep:
    """SimCLR views through backbone + projector (cross-view InfoNCE); with lambda > 0 also the four-way rotated
    view through backbone + rotation head (cross-entropy, weighted by lambda). Logs ``ssl_loss`` and, with
    lambda > 0, ``rot_loss`` and ``rot_acc`` (rotation accuracy on the training views)."""

    def __init__(self, protocol: Protocol, aug: Augment, gen: torch.Generator) -> None:
        self.protocol, self.aug, self.gen = protocol, aug, gen

    def __call__(self, net: nn.Module, x: torch.Tensor, ctx: StepContext) -> StepOutput:
        p, aug, gen = self.protocol, self.aug, self.gen
        v1, v2 = augment(x, aug, gen), augment(x, aug, gen)
        if p.rotation_invariance:
            v1 = rotate(v1, torch.randint(0, 4, (len(x),), generator=gen))
            v2 = rotate(v2, torch.randint(0, 4, (len(x),), generator=gen))
        loss = ssl = info_nce(net.projector(net.backbone(v1)), net.projector(net.backbone(v2)), p.temperature)
        logs = {"ssl_loss": ssl.detach()}
        if p.lmbd > 0:
            turned, labels = all_rotations(augment(x, aug, gen, aug.rotation_crop_scale, aug.rotation_size))
            logits = net.rotation_head(net.backbone(turned))
            rot = F.cross_entropy(logits, labels)
            loss = ssl + p.lmbd * rot
            logs |= {"rot_loss": rot.detach(), "rot_acc": (logits.argmax(1) == labels).float().mean()}
        return StepOutput(loss, logs)


def pretrain(net: EsslNet, images: torch.Tensor, protocol: Protocol, aug: Augment, seed: int) -> FitInfo:
    """Pre-train ``net`` in place on ``images`` (n, C, H, W) on the CPU; one history row per epoch (losses,
    rotation accuracy, lr). A non-finite loss raises ``NonFiniteError`` (the run is recorded as failed)."""
    gen = torch.Generator().manual_seed(seed)
    batch = min(protocol.batch_size, images.shape[0])
    steps_per_epoch = images.shape[0] // batch
    phase = Phase("pretrain", TensorRows(images), EsslStep(protocol, aug, gen), protocol.epochs,
                  ShuffledBatches(batch, drop_last=True, generator=gen),
                  sgd_warmup_cosine(protocol.base_lr * batch / 256, protocol.momentum, protocol.weight_decay,
                                    protocol.warmup_epochs * steps_per_epoch),
                  frozen=() if protocol.lmbd > 0 else ("rotation_head.",))
    # No selection (the recipe evaluates the last epoch) and no clipping; augmentations draw on the CPU generator.
    trainer = Trainer(TrainConfig(grad_clip=0.0, precision="fp32"), None, None, seed, device="cpu", progress=False)
    return trainer.run(net, [phase])
