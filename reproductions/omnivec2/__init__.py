"""OmniVec2 (Srivastava & Sharma, CVPR 2024), reimplemented from its description at miniature scale: its arms as
registered models. Each arm trains one network on every task of the suite and reports the run's task.

* ``omnivec2``: the three stages (masked single-modality, masked paired, supervised multitask), single-stream
  inference (the cross-attention removed);
* ``omnivec2-no-stage2``: without the masked paired pre-training;
* ``omnivec2-no-pretrain``: supervised multitask training only;
* ``omnivec2-single-task``: the same network trained (stage 3) on the run's task alone;
* ``omnivec2-two-stream``: the ``omnivec2`` network, keeping the cross-attention at test time on paired tasks.
"""

from typing import Any

from harness.models import register_model
from reproductions.omnivec2.config import (
    NoPretrainConfig,
    NoStage2Config,
    OmniVec2Config,
    SingleTaskConfig,
    TwoStreamConfig,
)

KINDS = ("single-label", "binary")


def build(task: Any, data: Any, config: OmniVec2Config, seed: int) -> Any:
    """Imports torch and the network only when a run is built (registration runs at every CLI start)."""
    from reproductions.omnivec2.model import OmniVec2Model

    return OmniVec2Model(task, config, seed)


register_model("omnivec2", config=OmniVec2Config, target_kinds=KINDS,
               description="OmniVec2 (from description): 3 stages, multitask, single-stream inference")(build)
register_model("omnivec2-no-stage2", config=NoStage2Config, target_kinds=KINDS,
               description="OmniVec2 without the masked paired pre-training (stage 2)")(build)
register_model("omnivec2-no-pretrain", config=NoPretrainConfig, target_kinds=KINDS,
               description="OmniVec2 without pre-training: supervised multitask stage only")(build)
register_model("omnivec2-single-task", config=SingleTaskConfig, target_kinds=KINDS,
               description="The OmniVec2 network trained on the run's task alone (stage 3 only)")(build)
register_model("omnivec2-two-stream", config=TwoStreamConfig, target_kinds=KINDS,
               description="OmniVec2 with the cross-attention kept at inference on paired inputs")(build)
