"""TFN's fused ``Linear(Dropout(outer))`` training path computes what the plain modules compute: the same
dropout draws (same masks, same RNG consumption), outputs and gradients equal up to float rounding, and the
scratch buffers it exists for are reused from step to step and released for evaluation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from baselines.neural.tfn import TFN, Scratch, TFNConfig, outer, outer_dropout_linear, outer_fusion
from harness.train import ModalityInput, ModalitySpec


def _inputs(seed: int, b: int = 6, p_dim: int = 12, k_dim: int = 5, out: int = 3) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float32).requires_grad_()
            for shape in ((b, p_dim), (b, k_dim), (out, p_dim * k_dim), (out,))]


def test_outer_fusion_is_the_broadcast_outer_product_of_one_extended_parts():
    g = torch.Generator().manual_seed(0)
    parts = [torch.randn(4, d, generator=g) for d in (2, 3, 4)]
    ones = [torch.cat([torch.ones(4, 1), z], 1) for z in parts]
    expected = (ones[0][:, :, None, None] * ones[1][:, None, :, None] * ones[2][:, None, None, :]).flatten(1)
    assert outer_fusion(parts).shape == (4, 3 * 4 * 5)
    torch.testing.assert_close(outer_fusion(parts), expected, rtol=0, atol=0)  # products of 3 factors, same order
    torch.testing.assert_close(outer(parts[0], parts[1]), (parts[0][:, :, None] * parts[1][:, None, :]).flatten(1),
                               rtol=0, atol=0)


@pytest.mark.parametrize("p", [0.0, 0.4])
def test_fused_path_equals_linear_of_dropout_with_the_same_draws(p):
    left, right, weight, bias = _inputs(1)
    ref_inputs = [t.detach().clone().requires_grad_() for t in (left, right, weight, bias)]
    torch.manual_seed(7)
    out = outer_dropout_linear(left, right, weight, bias, p, Scratch())
    after_fused = torch.get_rng_state()
    torch.manual_seed(7)
    rl, rr, rw, rb = ref_inputs
    ref = F.linear(F.dropout(outer(rl, rr), p, training=True), rw, rb)
    assert torch.equal(torch.get_rng_state(), after_fused)  # the same number of draws
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)  # a different mask would differ by O(1)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(2))
    out.backward(g)
    ref.backward(g)
    for got, want in zip((left, right, weight, bias), ref_inputs, strict=True):
        torch.testing.assert_close(got.grad, want.grad, rtol=1e-5, atol=1e-6)


def test_scratch_buffers_are_reused_by_the_next_step_and_a_smaller_batch():
    scratch = Scratch()
    left, right, weight, bias = _inputs(3)
    outer_dropout_linear(left, right, weight, bias, 0.5, scratch).sum().backward()
    first = {t.data_ptr() for t in scratch.free}
    assert len(first) == 2  # the fused values (then their gradient) and the dropout mask
    small = [t.detach()[:4].clone().requires_grad_() if i < 2 else t for i, t in enumerate((left, right, weight, bias))]
    out = outer_dropout_linear(*small, 0.5, scratch)
    assert scratch.free == []  # both taken, none allocated
    out.sum().backward()
    assert {t.data_ptr() for t in scratch.free} == first
    with pytest.raises(RuntimeError, match="second backward"):
        out2 = outer_dropout_linear(*small, 0.5, scratch)
        out2.sum().backward(retain_graph=True)
        out2.sum().backward()


SPECS = [ModalitySpec("a", 3, 4, True), ModalitySpec("b", 2, 1, False), ModalitySpec("c", 4, 3, True)]


def _batch(n: int = 5) -> dict[str, ModalityInput]:
    g = torch.Generator().manual_seed(4)
    return {s.name: ModalityInput(torch.randn(n, s.max_len, s.dim, generator=g),
                                  torch.ones(n, s.max_len, dtype=torch.bool), torch.ones(n, dtype=torch.bool))
            for s in SPECS}


def _step(net: TFN, seed: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    net.zero_grad()
    torch.manual_seed(seed)
    out = net(_batch())
    out.square().sum().backward()
    return out, [p.grad.clone() for p in net.parameters()]


@pytest.mark.parametrize("encoder", ["mean", "lstm"])
def test_tfn_training_step_matches_the_plain_modules(encoder, monkeypatch):
    torch.manual_seed(0)
    net = TFN(SPECS, 2, TFNConfig(hidden=8, tensor_dim=3, post_hidden=6, dropout=0.3, encoder=encoder)).train()
    calls = []
    monkeypatch.setattr("baselines.neural.tfn.outer_dropout_linear",
                        lambda *a: calls.append(1) or outer_dropout_linear(*a))
    fast, fast_grads = _step(net, 11)
    assert calls == [1]  # the fused path ran
    monkeypatch.setattr(TFN, "_fast_path", lambda self, z: False)
    plain, plain_grads = _step(net, 11)
    torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-6)
    for got, want in zip(fast_grads, plain_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def test_evaluation_takes_the_plain_path_and_frees_the_scratch():
    torch.manual_seed(0)
    net = TFN(SPECS, 1, TFNConfig(hidden=8, tensor_dim=3, post_hidden=6, dropout=0.3)).train()
    net(_batch()).sum().backward()
    assert len(net.scratch.free) == 2
    net.eval()
    assert net.scratch.free == []
    with torch.no_grad():
        torch.testing.assert_close(net(_batch()), net.head(outer_fusion(
            [enc(_batch()[name]) for name, enc in net.encoders.items()])), rtol=0, atol=0)


def test_autocast_training_keeps_the_plain_modules(monkeypatch):
    torch.manual_seed(0)
    net = TFN(SPECS, 1, TFNConfig(hidden=8, tensor_dim=3, post_hidden=6, dropout=0.3)).train()
    monkeypatch.setattr("baselines.neural.tfn.outer_dropout_linear", lambda *a: pytest.fail("fused under autocast"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(_batch())
    assert out.dtype == torch.bfloat16  # the head's Linear ran autocast, as before
    assert net.scratch.free == []
