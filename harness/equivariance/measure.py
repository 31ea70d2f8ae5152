"""Measure equivariance and invariance instead of assuming them.

f is equivariant when f(g_in(x)) = g_out(f(x)) and invariant when f(g(x)) = f(x). The errors are
relative to the size of g_out(f(x)), so one tolerance serves models of any output scale. Put the
model in eval mode first: dropout alone breaks equivariance.
"""

from collections.abc import Callable

import torch

from harness.equivariance.groups import Identity

TensorMap = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def equivariance_error(
    f: TensorMap, g_in: TensorMap, g_out: TensorMap, x: torch.Tensor, *, relative: bool = True
) -> float:
    """||f(g_in(x)) - g_out(f(x))|| over the whole batch, divided by ||g_out(f(x))|| when ``relative``.

    g_out may be any map, e.g. EquiAV's predictor ``lambda h: u(h, t)`` for a parameter vector t.
    A zero reference with a non-zero difference gives an infinite relative error, never a silent 0.
    """
    transformed_output = f(g_in(x))
    expected = g_out(f(x))
    if transformed_output.shape != expected.shape:
        raise ValueError(
            f"f(g_in(x)) has shape {tuple(transformed_output.shape)}, g_out(f(x)) {tuple(expected.shape)}"
        )
    error = torch.linalg.vector_norm((transformed_output - expected).double())
    if not relative:
        return float(error)
    reference = torch.linalg.vector_norm(expected.double())
    if reference == 0:
        return 0.0 if error == 0 else float("inf")
    return float(error / reference)


def invariance_error(f: TensorMap, g: TensorMap, x: torch.Tensor, *, relative: bool = True) -> float:
    """||f(g(x)) - f(x)||, relative to ||f(x)|| by default: equivariance with a trivial output action."""
    return equivariance_error(f, g, Identity(), x, relative=relative)
