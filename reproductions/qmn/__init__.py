"""QMN (Zhang et al., Information Fusion 2020): quantum-like multimodal network for sentiment in conversations.

``quantum.py`` holds the physics (density matrices, weak measurement, POVM, interference), ``model.py`` the
networks over whole dialogues, ``dialogues.py`` the packing of a split into dialogues; README.md says what is
reconstructed and why.
"""
