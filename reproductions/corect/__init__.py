"""CORECT (Nguyen et al., EMNLP Findings 2023, "Conversation Understanding using Relational Temporal Graph Neural
Networks with Auxiliary Cross-Modality Interaction") and the seed author's counter-claim, as registered models.

The arms differ only in their config defaults, so a leaderboard label names exactly what differs:

* ``corect``: the full model as the official code applies it (RT-GCN + P-CM), CPU-scaled widths;
* ``corect-no-rtgcn``: without the relational temporal graph (encoder features go to the fusion);
* ``corect-no-pcm``: without pairwise cross-modal interaction (identical to ``corect`` on one modality);
* ``corect-utterance``: the context-free utterance model (the same encoders and classifier, no dialogue context);
* ``ctx-fusion-token``: per-utterance fusion tokens fed to a small transformer over the dialogue.

The project's ``fusion-token`` baseline (one utterance at a time) is the sixth arm of the suite.
"""

from dataclasses import dataclass

from harness.data.dataset import MultimodalDataset
from harness.models import register_model
from harness.tasks.spec import TaskSpec
from reproductions.corect.context_fusion import ContextFusionConfig, ContextualFusionToken
from reproductions.corect.model import DialogueModel
from reproductions.corect.network import Corect, CorectConfig

KINDS = ("single-label", "binary")


@dataclass(frozen=True)
class NoGraphConfig(CorectConfig):
    rtgcn: bool = False


@dataclass(frozen=True)
class NoCrossModalConfig(CorectConfig):
    pcm: bool = False


@dataclass(frozen=True)
class UtteranceConfig(CorectConfig):
    rtgcn: bool = False
    pcm: bool = False
    context: bool = False
    use_speaker: bool = False


def build_corect(task: TaskSpec, data: MultimodalDataset, cfg: CorectConfig, seed: int) -> DialogueModel:
    return DialogueModel(task, data, cfg, seed, Corect)


def build_context_fusion(task: TaskSpec, data: MultimodalDataset, cfg: ContextFusionConfig,
                         seed: int) -> DialogueModel:
    return DialogueModel(task, data, cfg, seed, ContextualFusionToken)


register_model("corect", config=CorectConfig, target_kinds=KINDS,
               description="CORECT as coded: text transformer, RT-GCN (RGCN -> graph transformer), P-CM, fusion")(
    build_corect)
register_model("corect-no-rtgcn", config=NoGraphConfig, target_kinds=KINDS,
               description="CORECT without RT-GCN (encoder node features go to the fusion)")(build_corect)
register_model("corect-no-pcm", config=NoCrossModalConfig, target_kinds=KINDS,
               description="CORECT without P-CM (pairwise cross-modal transformers)")(build_corect)
register_model("corect-utterance", config=UtteranceConfig, target_kinds=KINDS,
               description="Context-free utterance model: CORECT's per-utterance encoders and classifier only")(
    build_corect)
register_model("ctx-fusion-token", config=ContextFusionConfig, target_kinds=KINDS,
               description="Per-utterance fusion-token transformer, then a transformer over the dialogue")(
    build_context_fusion)
