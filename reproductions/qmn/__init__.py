"""QMN (Zhang et al., Information Fusion 2020): quantum-like multimodal network for sentiment in conversations.

``quantum.py`` holds the physics (density matrices, weak measurement, POVM, interference), ``model.py`` the
networks over whole dialogues, ``dialogues.py`` the packing of a split into dialogues; README.md says what is
reconstructed and why.
"""

from harness.models import register_model
from reproductions.qmn.arms import (
    NoInfluenceConfig,
    NoInterferenceConfig,
    QMNConfig,
    QMNNConfig,
    RealTwinConfig,
    build,
)

KINDS = ("single-label",)

register_model("qmn", config=QMNConfig, target_kinds=KINDS,
               description="QMN (reconstructed): density-matrix utterance states, strong/weak influence between "
                           "speakers, POVM decisions fused with quantum interference")(build)
register_model("qmn-no-interference", config=NoInterferenceConfig, target_kinds=KINDS,
               description="QMN with the classical mixture of modality decisions (no interference term)")(build)
register_model("qmn-no-influence", config=NoInfluenceConfig, target_kinds=KINDS,
               description="QMN without the strong/weak influence between adjacent turns of different speakers")(build)
register_model("qmn-real", config=RealTwinConfig, target_kinds=KINDS,
               description="QMN's real-valued non-quantum twin with the same parameter count")(build)
register_model("qmnn", config=QMNNConfig, target_kinds=KINDS,
               description="QMNN (Li et al., AAAI 2021), a related model: speaker-phased pure states, unitary "
                           "quantum-like RNN, measurement and a small head (not Zhang et al.'s QMN)")(build)
