"""How well the predictor anticipates augmented views, measured with ``harness.equivariance`` (label-free).

EquiAV's intra term asks u(h(x), t) to predict the embedding of the augmented view t(x). For a batch of
validation pairs and one sampled augmentation per item (a fixed generator), in the intra-head space after L2
normalisation (what the NT-Xent loss compares), per modality:

* ``equi_error_{a,v}``: ||f(t(x)) - u_t(x)|| / ||u_t(x)||, with f(y) = the augmented-view embedding of y and
  u_t(x) = intra(u(h(x), t)) (the invariant arm has no predictor, so its "prediction" is intra(pool h(x)));
* ``blind_error_{a,v}``: the same with the parameter vector of *no* augmentation in place of t: how much the
  prediction gains from knowing t (equal to ``equi_error`` when t is ignored);
* ``invariance_error_{a,v}``: ||f(t(x)) - f(x)|| / ||f(x)||: how much the augmented-view embedding moves.

The predictor reads the original view's tokens, not f(x), so ``g_out`` is given the prediction for the batch's
own x: ``equivariance_error(f, t, lambda _: u_t(x), x)`` is exactly ||f(t(x)) - u_t(x)|| / ||u_t(x)||.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from harness.equivariance import equivariance_error, invariance_error
from reproductions.equiav import augment as aug
from reproductions.equiav.network import EquiAVNet

DIAGNOSTIC_SEED = 31_337


@torch.no_grad()
def equivariance_diagnostics(net: EquiAVNet, inputs, mode: str, centroid_samples: int, seed: int,
                             n: int = 256) -> dict[str, float]:
    """The three errors above per modality, on the first ``n`` items of ``inputs`` (a ``recipe.Inputs``)."""
    if mode == "supervised":
        return {}
    net.eval()
    gen = torch.Generator().manual_seed(DIAGNOSTIC_SEED + seed)
    idx = torch.arange(min(n, len(inputs)))
    a = inputs.audio[idx]
    v = inputs.images[idx]
    pa = aug.sample_audio(len(idx), inputs.time, inputs.freq, inputs.cfg, gen)
    pv = aug.sample_visual(len(idx), inputs.size, inputs.cfg, gen)
    cases = {
        "a": (a, lambda x: aug.render_audio(x, pa, inputs.cfg.quirks),
              aug.encode_audio(pa, inputs.time, inputs.freq, inputs.cfg.quirks), net.intra_a, lambda x: x),
        "v": (v, lambda x: aug.render_visual(x, pv), aug.encode_visual(pv, inputs.size), net.intra_v,
              inputs.norm_image),
    }
    out = {}
    for m, (x, render, t, head, prep) in cases.items():
        def f(y: torch.Tensor, head=head, prep=prep, m=m) -> torch.Tensor:
            return F.normalize(head(net.encode(m, prep(y), augmented=True).mean(1)), dim=1)

        h = net.encode(m, prep(x))

        def predicted(vectors: torch.Tensor, h=h, head=head, m=m) -> torch.Tensor:
            z = h.mean(1) if mode == "invariant" else net.predict(m, h, vectors[:, None])
            return F.normalize(head(z), dim=1)

        blind = (aug.encode_audio(aug.identity_audio(len(x), inputs.time, inputs.freq), inputs.time, inputs.freq,
                                  inputs.cfg.quirks) if m == "a" else
                 aug.encode_visual(aug.identity_visual(len(x), inputs.size), inputs.size))
        with_t, without_t = predicted(t), predicted(blind)
        out[f"equi_error_{m}"] = equivariance_error(f, render, lambda _, p=with_t: p, x)
        out[f"blind_error_{m}"] = equivariance_error(f, render, lambda _, p=without_t: p, x)
        out[f"invariance_error_{m}"] = invariance_error(f, render, x)
    net.train()
    return out
