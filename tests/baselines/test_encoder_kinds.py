"""``encoder=lstm:MODALITIES``: an LSTM for the listed sequence modalities, the mean-pooling MLP for the rest."""

from __future__ import annotations

import pytest
from torch import nn

from baselines.neural.common import ModalityEncoder
from harness.errors import UserError
from harness.train import ModalitySpec

TEXT, AUDIO, VEC = ModalitySpec("text", 5, 9, True), ModalitySpec("audio", 3, 7, True), ModalitySpec("v", 4, 1, False)


@pytest.mark.parametrize(("kind", "spec", "expected"), [
    ("lstm:text", TEXT, "lstm"), ("lstm:text", AUDIO, "mean"), ("lstm:text,audio", AUDIO, "lstm"),
    ("lstm:v", VEC, "mean"), ("lstm", AUDIO, "lstm"), ("mean", TEXT, "mean")])
def test_kind_per_modality(kind: str, spec: ModalitySpec, expected: str) -> None:
    encoder = ModalityEncoder(spec, 8, 4, 0.0, kind)
    assert encoder.kind == expected
    assert isinstance(getattr(encoder, "rnn", None), nn.LSTM) == (expected == "lstm")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UserError, match="lstm:MODALITY"):
        ModalityEncoder(TEXT, 8, 4, 0.0, "gru")
