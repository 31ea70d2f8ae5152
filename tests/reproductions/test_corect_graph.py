"""CORECT's graph as the official code builds it: nodes, relation types, windows, dialogue boundaries, direction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.nn import RGCNConv

from harness.errors import UserError
from reproductions.corect.batch import DialogueBatch
from reproductions.corect.graph import build_graph, cross_pairs, num_relations
from reproductions.corect.network import Corect, CorectConfig


def triples(graph) -> set[tuple[int, int, int]]:
    src, dst = graph.edge_index.tolist()
    return set(zip(src, dst, graph.edge_type.tolist(), strict=True))


def test_node_count_and_relation_count() -> None:
    graph = build_graph([3, 2, 4], n_modalities=3)
    assert graph.num_nodes == 27
    assert num_relations(3) == 15 and num_relations(1) == 3
    assert int(graph.edge_type.max()) < 15
    assert cross_pairs(3) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]


def test_hand_computed_temporal_edges_of_one_dialogue() -> None:
    # window of source j: [j - 1, j + 2) -> edges j -> i; relation 3m + sign(j - i) + 1
    graph = build_graph([4], n_modalities=1, wp=1, wf=2)
    expected = {(0, 0, 1), (0, 1, 0),
                (1, 0, 2), (1, 1, 1), (1, 2, 0),
                (2, 1, 2), (2, 2, 1), (2, 3, 0),
                (3, 2, 2), (3, 3, 1)}
    assert triples(graph) == expected
    assert graph.edge_index.shape[1] == len(expected)  # no duplicates


def test_each_relation_type_with_two_modalities() -> None:
    # one dialogue of 2 utterances, 2 modalities, unbounded windows; nodes: m0 = {0, 1}, m1 = {2, 3}
    graph = build_graph([2], n_modalities=2, wp=-1, wf=-1)
    by_type: dict[int, set[tuple[int, int]]] = {}
    for s, d, r in triples(graph):
        by_type.setdefault(r, set()).add((s, d))
    assert by_type == {
        0: {(0, 1)},  # modality 0, source earlier than target (sign -1)
        1: {(0, 0), (1, 1)},  # modality 0, self-loops
        2: {(1, 0)},  # modality 0, source later than target (+1)
        3: {(2, 3)}, 4: {(2, 2), (3, 3)}, 5: {(3, 2)},  # modality 1
        6: {(0, 2), (1, 3)},  # cross-modal 0 -> 1, same utterance
        7: {(2, 0), (3, 1)},  # cross-modal 1 -> 0
    }


def incoming(graph, node: int) -> set[int]:
    src, dst = graph.edge_index
    return set(src[dst == node].tolist())


def test_script_windows_mean_4_past_and_11_future_neighbours() -> None:
    graph = build_graph([30], n_modalities=1, wp=11, wf=5)
    assert incoming(graph, 10) == set(range(6, 22))  # 4 before, itself, 11 after
    assert incoming(graph, 0) == set(range(0, 12))  # clipped at the start of the dialogue
    assert incoming(graph, 29) == set(range(25, 30))  # clipped at the end


def test_windows_stop_at_dialogue_boundaries_and_no_edge_crosses_dialogues() -> None:
    lengths = [3, 5, 2]
    graph = build_graph(lengths, n_modalities=3, wp=11, wf=5)
    dialogue = np.repeat(np.arange(3), lengths)
    node_dialogue = np.tile(dialogue, 3)
    src, dst = graph.edge_index.numpy()
    assert (node_dialogue[src] == node_dialogue[dst]).all()
    # the first utterance of dialogue 1 (node 3 in modality 0) hears only its own dialogue: utterances 0..4 of it
    assert incoming(graph, 3) == {3, 4, 5, 6, 7} | {3 + 10, 3 + 20}  # + the same utterance in modalities 1, 2
    # the last utterance of dialogue 0 (node 2) hears utterances 0..2 of dialogue 0 only
    assert incoming(graph, 2) == {0, 1, 2, 12, 22}


def test_bad_windows_are_refused() -> None:
    with pytest.raises(UserError):
        build_graph([3], 1, wp=2, wf=0)
    with pytest.raises(UserError):
        build_graph([0], 1)


def test_rgcn_on_our_edges_matches_a_reference_computation() -> None:
    """Direction and relation semantics through PyG: out_i = x_i W_root + b + sum_r mean_{j -> i in r} x_j W_r."""
    torch.manual_seed(0)
    graph = build_graph([6, 4], n_modalities=2, wp=2, wf=3)
    x = torch.randn(graph.num_nodes, 5)
    conv = RGCNConv(5, 4, num_relations(2))
    out = conv(x, graph.edge_index, graph.edge_type)
    ref = x @ conv.root + conv.bias
    src, dst = graph.edge_index
    for r in range(num_relations(2)):
        for i in range(graph.num_nodes):
            senders = src[(dst == i) & (graph.edge_type == r)]
            if len(senders):
                ref[i] += x[senders].mean(0) @ conv.weight[r]
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def _batch(xs: dict[str, list[np.ndarray]], order: list[int]) -> DialogueBatch:
    lengths = [len(xs["text"][d]) for d in order]
    width = max(lengths)
    padded = {}
    for m, dialogues in xs.items():
        out = torch.zeros(len(order), width, dialogues[0].shape[1])
        for b, d in enumerate(order):
            out[b, : lengths[b]] = torch.from_numpy(dialogues[d])
        padded[m] = out
    speakers = torch.zeros(len(order), width, dtype=torch.long)
    for b, n in enumerate(lengths):
        speakers[b, :n] = torch.arange(n) % 2
    return DialogueBatch(padded, torch.tensor(lengths), speakers)


@pytest.mark.parametrize("overrides", [{}, {"padding_mask": True}, {"rtgcn": False}])
def test_shuffling_dialogues_in_a_batch_changes_no_prediction(overrides) -> None:
    rng = np.random.default_rng(0)
    lengths = [5, 3, 7, 2]
    dims = {"text": 12, "audio": 6, "visual": 4}
    xs = {m: [rng.normal(size=(n, d)).astype(np.float32) for n in lengths] for m, d in dims.items()}
    torch.manual_seed(0)
    net = Corect(dims, 4, 2, CorectConfig(hidden=8, heads=2, text_width=16, text_ff=32, **overrides)).eval()
    order = [2, 0, 3, 1]
    with torch.no_grad():
        base = net([_batch(xs, [0, 1, 2, 3])])
        shuffled = net([_batch(xs, order)])
    starts = np.concatenate([[0], np.cumsum(lengths)])
    per_dialogue = {d: base[starts[d]:starts[d + 1]] for d in range(4)}
    torch.testing.assert_close(shuffled, torch.cat([per_dialogue[d] for d in order]), atol=1e-5, rtol=1e-5)
    assert base.shape == (sum(lengths), 4)
