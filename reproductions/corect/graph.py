"""CORECT's relational temporal graph over a batch of whole dialogues, as the official code builds it.

Why a module of its own: the graph is where the released code and the paper's prose differ (see
``../shared/papers/corect.md`` §2.2), so it is built from the code's rules and tested edge by edge.

* One node per (utterance, modality). Nodes are laid out in modality-major blocks: block ``m`` holds every
  utterance of every dialogue in the batch (dialogues concatenated in batch order, no padding), so node
  ``m * N + offset[d] + j`` is utterance ``j`` of dialogue ``d`` in modality ``m`` (``N`` = utterances in batch).
* Temporal edges, same modality: for every utterance ``j`` the code takes the window of utterances
  ``[max(0, j - wp), min(L, j + wf))`` (end exclusive; ``-1`` = unbounded on that side) and adds the edge
  ``j -> i`` for each ``i`` in it, self-loop included. Row 0 of ``edge_index`` is the source (PyG's default
  flow), so node ``i`` *receives* from utterances ``i - wf + 1 .. i + wp``: with the script's ``wp=11, wf=5``
  that is 4 past and 11 future utterances, the reverse of the ``--wp``/``--wf`` help text ("past"/"future").
* Cross-modal edges: utterance ``j`` in modality ``k`` -> the same utterance in modality ``l``, every ordered
  pair ``k != l``.
* Relation ids: temporal edges get ``3 * m + (sign + 1)`` where ``sign`` is +1 when the source utterance is
  later than the target, -1 when earlier, 0 for the self-loop; cross-modal edges get ``3 * M + p`` with ``p``
  the index of ``(k, l)`` among the ordered pairs in row-major order. ``3M + M(M-1)`` relations in all (15 for
  three modalities). The code's own id numbering is not reproduced; only which edges share a relation matters.
* No speaker-dependent relation and no edge between dialogues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from harness.errors import UserError


@dataclass(frozen=True)
class Graph:
    """``edge_index`` ``(2, E)``: row 0 source, row 1 target; ``edge_type`` ``(E,)`` relation ids."""

    edge_index: torch.Tensor
    edge_type: torch.Tensor
    num_nodes: int


def num_relations(n_modalities: int) -> int:
    return 3 * n_modalities + n_modalities * (n_modalities - 1)


def cross_pairs(n_modalities: int) -> list[tuple[int, int]]:
    """Ordered modality pairs ``(k, l)``, ``k != l``, in row-major order (the cross-modal relation order)."""
    return [(k, m) for k in range(n_modalities) for m in range(n_modalities) if k != m]


def _window_pairs(length: int, wp: int, wf: int) -> tuple[np.ndarray, np.ndarray]:
    """``(j, i)`` for every ``i`` in ``j``'s window ``[j - wp, j + wf)`` clipped to the dialogue."""
    j = np.arange(length)[:, None]
    i = np.arange(length)[None, :]
    lo = np.maximum(j - wp, 0) if wp >= 0 else np.zeros_like(j)
    hi = np.minimum(j + wf, length) if wf >= 0 else np.full_like(j, length)
    return np.nonzero((i >= lo) & (i < hi))


def build_graph(lengths: Sequence[int], n_modalities: int, wp: int = 11, wf: int = 5) -> Graph:
    """The ``temp_multi`` graph of a batch of dialogues with these utterance counts (see the module doc)."""
    if n_modalities < 1 or any(int(n) < 1 for n in lengths):
        raise UserError("build_graph: every dialogue needs at least one utterance and one modality")
    if wp < -1 or wf < -1 or wf == 0:
        raise UserError(f"wp={wp}, wf={wf}: windows are -1 (unbounded) or >= 0, and wf >= 1 (end exclusive)")
    total = int(sum(lengths))
    pairs = cross_pairs(n_modalities)
    src, dst, rel = [], [], []
    offset = 0
    for length in map(int, lengths):
        j, i = _window_pairs(length, wp, wf)
        sign = np.sign(j - i)
        for m in range(n_modalities):
            base = m * total + offset
            src.append(base + j)
            dst.append(base + i)
            rel.append(3 * m + sign + 1)
        u = np.arange(length)
        for p, (k, m) in enumerate(pairs):
            src.append(k * total + offset + u)
            dst.append(m * total + offset + u)
            rel.append(np.full(length, 3 * n_modalities + p))
        offset += length
    edge_index = torch.from_numpy(np.stack([np.concatenate(src), np.concatenate(dst)]).astype(np.int64))
    edge_type = torch.from_numpy(np.concatenate(rel).astype(np.int64))
    return Graph(edge_index, edge_type, total * n_modalities)
