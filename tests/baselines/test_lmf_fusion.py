"""LMF's fusion is the paper's formula: ``sum_r w_r prod_m ([1; z_m] W_m^(r)) + b`` before the head."""

from __future__ import annotations

import torch

from baselines.neural.lmf import LMF, LMFConfig
from harness.train import ModalityInput, ModalitySpec

SPECS = [ModalitySpec("a", 3, 4, True), ModalitySpec("b", 2, 1, False), ModalitySpec("c", 4, 3, True)]


def test_lmf_output_is_the_rank_weighted_sum_of_per_modality_factor_products():
    torch.manual_seed(0)
    net = LMF(SPECS, 2, LMFConfig(hidden=5, rank=3, fusion_dim=4)).eval()
    g = torch.Generator().manual_seed(1)
    batch = {s.name: ModalityInput(torch.randn(6, s.max_len, s.dim, generator=g),
                                   torch.ones(6, s.max_len, dtype=torch.bool), torch.ones(6, dtype=torch.bool))
             for s in SPECS}
    with torch.no_grad():
        net.bias.normal_()  # zero at init; make it count
        fused = net.bias.clone().expand(6, 4).clone()
        zs = [torch.cat([torch.ones(6, 1), enc(batch[name])], 1) for name, enc in net.encoders.items()]
        for r in range(3):
            term = torch.ones(6, 4)
            for z, factor in zip(zs, net.factors, strict=True):
                term = term * (z @ factor[r])
            fused += net.rank_weights[0, r] * term
        torch.testing.assert_close(net(batch), net.head(fused), rtol=1e-5, atol=1e-5)
