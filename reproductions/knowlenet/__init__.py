"""KnowleNet (Yue, Mao, Wang, Hu & Cambria, Information Fusion 100:101921, 2023), reimplemented from description.

Datasets (``data``): MMSD / MMSD 2.0 with the word-level knowledge modality (MiniLM word vectors as a named
ConceptNet substitute, or a user-supplied Numberbatch release). Arms differ only in their config defaults:

* ``knowlenet``: text + image-attribute stream, knowledge stream, PCA stream, CE + λ · contrastive;
* ``knowlenet-no-knowledge``, ``knowlenet-no-pca``, ``knowlenet-no-contrast``: one component removed;
* ``knowlenet-base``: none of the three components: the text + attribute stream with cross-entropy;
* ``knowlenet-text``: the text stream alone (same head, loss and budget): MMSD's text shortcut floor.
"""

from dataclasses import dataclass

from harness.data.dataset import MultimodalDataset
from harness.models import register_model
from harness.tasks.spec import TaskSpec
from reproductions.knowlenet import data  # noqa: F401  (registers the datasets)
from reproductions.knowlenet.model import KnowleNetConfig, KnowleNetModel

KINDS = ("binary", "single-label")


@dataclass(frozen=True)
class NoKnowledgeConfig(KnowleNetConfig):
    knowledge: bool = False


@dataclass(frozen=True)
class NoPcaConfig(KnowleNetConfig):
    pca: bool = False


@dataclass(frozen=True)
class NoContrastConfig(KnowleNetConfig):
    lam: float = 0.0


@dataclass(frozen=True)
class BaseConfig(KnowleNetConfig):
    knowledge: bool = False
    pca: bool = False
    lam: float = 0.0


@dataclass(frozen=True)
class TextOnlyConfig(KnowleNetConfig):
    image_stream: bool = False
    knowledge: bool = False
    pca: bool = False


def build(task: TaskSpec, dataset: MultimodalDataset, cfg: KnowleNetConfig, seed: int) -> KnowleNetModel:
    return KnowleNetModel(task, dataset, cfg, seed)


for _name, _config, _what in (
        ("knowlenet", KnowleNetConfig, "KnowleNet: text + attribute stream, word-level knowledge, shared-PCA "
                                       "discrepancy, CE + λ·supervised contrastive"),
        ("knowlenet-no-knowledge", NoKnowledgeConfig, "KnowleNet without the word-level knowledge stream"),
        ("knowlenet-no-pca", NoPcaConfig, "KnowleNet without the sample-level PCA stream (D)"),
        ("knowlenet-no-contrast", NoContrastConfig, "KnowleNet without the contrastive term (λ = 0)"),
        ("knowlenet-base", BaseConfig, "KnowleNet without its three components (knowledge, PCA stream, contrastive): "
                                       "the text + attribute stream, CE only"),
        ("knowlenet-text", TextOnlyConfig, "KnowleNet's text stream alone (same head, loss and budget)")):
    register_model(_name, config=_config, target_kinds=KINDS, description=_what)(build)
