"""The ``lstm`` subnet runs over padded steps and reads each row's last valid step: it must equal an LSTM over
the valid steps alone (what packing computed) and ignore whatever the padding holds."""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from baselines.neural.common import ModalityEncoder
from harness.train import ModalityInput, ModalitySpec


def _batch(lengths: list[int], steps: int = 7, dim: int = 5, pad: float = 0.0) -> ModalityInput:
    torch.manual_seed(0)
    x = torch.randn(len(lengths), steps, dim)
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    return ModalityInput(x.masked_fill(~mask[:, :, None], pad), mask, torch.ones(len(lengths), dtype=torch.bool))


def test_the_lstm_subnet_equals_an_lstm_over_the_valid_steps_only() -> None:
    torch.manual_seed(1)
    enc = ModalityEncoder(ModalitySpec("text", 5, 7, True), hidden=6, out=3, dropout=0.0, kind="lstm").eval()
    inp = _batch([7, 1, 4, 2])
    packed = pack_padded_sequence(inp.x, inp.mask.sum(1), batch_first=True, enforce_sorted=False)
    _, (h, _) = enc.rnn(packed)
    torch.testing.assert_close(enc(inp), enc.out(h[-1]), rtol=1e-6, atol=1e-6)


def test_the_lstm_subnet_ignores_what_the_padding_holds() -> None:
    torch.manual_seed(1)
    enc = ModalityEncoder(ModalitySpec("text", 5, 7, True), hidden=6, out=3, dropout=0.0, kind="lstm").eval()
    lengths = [3, 7, 1]
    assert torch.equal(enc(_batch(lengths, pad=0.0)), enc(_batch(lengths, pad=1e3)))
