"""How the learned features respond to quarter-turn rotations, measured with ``harness.equivariance``.

E-SSL's thesis is that features should *change predictably* under rotation rather than ignore it. Three label-free
numbers make that visible for a frozen backbone f (fitted on train images, measured on the selection split):

* ``rot_invariance_error``: ||f(r x) - f(x)|| / ||f(x)|| for a quarter turn r (0 = rotation-invariant);
* ``rot_equivariance_error``: the same with the best *linear* output action M fitted on train features,
  ||f(r x) - f(x) M|| / ||f(x) M|| (0 = linearly equivariant; near the invariance error = no linear structure);
* ``rot_prediction_acc``: accuracy of a logistic regression that tells which of the four rotations was applied,
  from frozen features (0.25 = chance; the quantity E-SimCLR's head is trained to raise).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from harness.equivariance import equivariance_error, invariance_error, rot90


@torch.no_grad()
def _features(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    net.eval()
    return net(x).double()


def linear_action(net: nn.Module, images: torch.Tensor, ridge: float = 1e-3) -> torch.Tensor:
    """Least-squares M with f(r x) ≈ f(x) M over ``images`` (small ridge for rank-deficient features)."""
    h, h_turned = _features(net, images), _features(net, rot90(1)(images))
    gram = h.T @ h
    gram += ridge * torch.trace(gram) / gram.shape[0] * torch.eye(gram.shape[0], dtype=gram.dtype)
    return torch.linalg.solve(gram, h.T @ h_turned)


def rotation_prediction_accuracy(net: nn.Module, train: torch.Tensor, valid: torch.Tensor, seed: int) -> float:
    def turned(x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        feats = torch.cat([_features(net, rot90(k)(x)) for k in range(4)]).numpy()
        feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
        return feats, np.repeat(np.arange(4), len(x))

    (xt, yt), (xv, yv) = turned(train), turned(valid)
    clf = LogisticRegression(C=10.0, max_iter=2000, random_state=seed).fit(xt, yt)
    return float((clf.predict(xv) == yv).mean())


def rotation_diagnostics(net: nn.Module, train: torch.Tensor, valid: torch.Tensor, seed: int) -> dict[str, float]:
    """The three numbers above for backbone ``net``; images are (n, C, H, W)."""
    net.eval()
    m = linear_action(net, train)

    def f(x: torch.Tensor) -> torch.Tensor:
        return _features(net, x)

    return {
        "rot_invariance_error": invariance_error(f, rot90(1), valid),
        "rot_equivariance_error": equivariance_error(f, rot90(1), lambda h: h @ m, valid),
        "rot_prediction_acc": rotation_prediction_accuracy(net, train, valid, seed),
    }
