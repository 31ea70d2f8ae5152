"""EquiAV (Kim et al., "EquiAV: Leveraging Equivariance for Audio-Visual Contrastive Learning", ICML 2024).

Its arms as registered models; they differ only in their config defaults, so a leaderboard label names exactly
what differs (see README.md):

* ``equiav``: equivariant intra-modal terms + inter-modal InfoNCE on the centroid, released augmentation quirks;
* ``equiav-invariant``: the poster's invariant-only baseline (no predictor; inter on pooled tokens);
* ``equiav-no-centroid``: equivariant intra terms, inter-modal loss on pooled tokens (no centroid);
* ``equiav-fixed``: EquiAV with the augmentation quirks corrected (an ablation);
* ``equiav-untrained``: the same network never trained: the floor;
* ``equiav-supervised``: the same encoders trained with every training label: the upper bound.
"""

from harness.models import register_model
from reproductions.equiav import cavmae  # noqa: F401  (registers the AudioSet/VGGSound datasets)
from reproductions.equiav.model import (
    EquiAVConfig,
    FixedConfig,
    InvariantConfig,
    NoCentroidConfig,
    SupervisedConfig,
    UntrainedConfig,
    build,
)

KINDS = ("single-label", "class-retrieval")

register_model("equiav", config=EquiAVConfig, target_kinds=KINDS,
               description="EquiAV: equivariant intra (predictor) + invariant inter on the centroid")(build)
register_model("equiav-invariant", config=InvariantConfig, target_kinds=KINDS,
               description="EquiAV's invariant-only baseline: no predictor, inter on pooled tokens")(build)
register_model("equiav-no-centroid", config=NoCentroidConfig, target_kinds=KINDS,
               description="EquiAV without the centroid: equivariant intra, inter on pooled tokens")(build)
register_model("equiav-fixed", config=FixedConfig, target_kinds=KINDS,
               description="EquiAV with the released augmentation-parameter quirks corrected")(build)
register_model("equiav-untrained", config=UntrainedConfig, target_kinds=KINDS,
               description="EquiAV floor: the same network never trained, frozen features")(build)
register_model("equiav-supervised", config=SupervisedConfig, target_kinds=KINDS,
               description="EquiAV upper bound: the same encoders trained on every training label")(build)
