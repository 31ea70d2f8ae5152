"""E-SSL (Dangovski et al., "Equivariant Contrastive Learning", ICLR 2022): its arms as registered models.

The arms differ only in their config defaults, so a leaderboard label names exactly what differs:

* ``essl-simclr``: SimCLR (the repository's cross-view InfoNCE), lambda = 0;
* ``essl-esimclr``: E-SimCLR, SimCLR + rotation prediction weighted by lambda = 0.4;
* ``essl-rot-invariant``: the paper's contrast, rotation used as one more *invariance* augmentation;
* ``essl-untrained``: the same encoder, never trained: the floor every arm is read against.
"""

from harness.models import register_model
from reproductions.essl.model import ESimCLRConfig, EsslConfig, RotationInvariantConfig, UntrainedConfig, build

IMAGES = ("single-label",)

register_model("essl-simclr", config=EsslConfig, target_kinds=IMAGES,
               description="E-SSL baseline: SimCLR pre-training of a small CNN, frozen-feature probe")(build)
register_model("essl-esimclr", config=ESimCLRConfig, target_kinds=IMAGES,
               description="E-SimCLR: SimCLR + 4-way rotation prediction (lambda 0.4), frozen-feature probe")(build)
register_model("essl-rot-invariant", config=RotationInvariantConfig, target_kinds=IMAGES,
               description="SimCLR with quarter turns as an invariance augmentation, frozen-feature probe")(build)
register_model("essl-untrained", config=UntrainedConfig, target_kinds=IMAGES,
               description="E-SSL floor: the same CNN never trained, frozen-feature probe")(build)
