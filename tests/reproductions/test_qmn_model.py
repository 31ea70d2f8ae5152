"""QMN's networks over conversations: every state they produce is a density matrix, outputs are distributions,
dialogues do not interact, padding is inert, the twin matches QMN's size, and dialogues are packed faithfully."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.data.dataset import Split
from harness.errors import UserError
from harness.train import Standardizer
from reproductions.qmn.dialogues import IGNORE, PackedDialogues
from reproductions.qmn.model import (
    Dialogues,
    QMNNetwork,
    RealTwinNetwork,
    Sizes,
    matched_state_width,
    n_parameters,
    previous_turn,
)
from reproductions.qmn.qmnn import QMNNNetwork

DIMS = {"text": 12, "audio": 6, "visual": 5}
TOL_COMPLEX64 = 5e-5  # float32 rounding through a few 8x8 matrix products


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny matrices: on shared cores extra torch threads only spin (a forward pass took 100x longer with 2)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _batch(b: int = 5, t: int = 7, seed: int = 0, dims: dict[str, int] = DIMS) -> Dialogues:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t
    mask = torch.arange(t)[None, :] < lengths[:, None]
    x = {m: torch.randn(b, t, d, generator=g) * mask[..., None] for m, d in dims.items()}
    switch = (torch.rand(b, t, generator=g) < 0.6) & mask
    switch[:, 0] = False
    return Dialogues(x, mask, switch, torch.cumsum(switch.long(), 1) % 2)


def _networks(dims: dict[str, int] = DIMS, classes: int = 4) -> list[torch.nn.Module]:
    torch.manual_seed(0)
    sizes = Sizes(dims, classes, hidden=8, dim=5, components=3)
    nets = [QMNNetwork(sizes), QMNNetwork(sizes, interference=False), QMNNetwork(sizes, influence=False),
            RealTwinNetwork(sizes, 7), QMNNNetwork(sizes, speakers=2)]
    return [n.eval() for n in nets]


def test_every_state_the_network_produces_is_a_density_matrix() -> None:
    net = _networks()[0]
    batch = _batch()
    for name, modality in net.modalities.items():
        z = modality.context(batch.x[name])
        for rho in modality.states(z, batch.switch):
            assert (rho - rho.mH).abs().max() <= TOL_COMPLEX64
            assert torch.linalg.eigvalsh(rho).min() >= -TOL_COMPLEX64
            trace = torch.diagonal(rho, dim1=-2, dim2=-1).sum(-1)
            assert (trace.real - 1).abs().max() <= TOL_COMPLEX64 and trace.imag.abs().max() <= TOL_COMPLEX64


def _assert_density_matrices(rho: torch.Tensor) -> None:
    assert (rho - rho.mH).abs().max() <= TOL_COMPLEX64
    assert torch.linalg.eigvalsh(rho).min() >= -TOL_COMPLEX64
    trace = torch.diagonal(rho, dim1=-2, dim2=-1).sum(-1)
    assert (trace.real - 1).abs().max() <= TOL_COMPLEX64 and trace.imag.abs().max() <= TOL_COMPLEX64


def test_every_qmnn_state_is_a_density_matrix_after_training_steps() -> None:
    net = _networks()[-1]
    net.train()
    optimiser = torch.optim.AdamW(net.parameters(), lr=0.1)  # large steps: unitarity must not depend on them
    for _ in range(3):
        optimiser.zero_grad()
        net(_batch()).sum().backward()
        optimiser.step()
    with torch.no_grad():
        _assert_density_matrices(net.utterance_states(_batch()))
        _assert_density_matrices(net.states(_batch()))


def test_influence_acts_only_where_the_speaker_changes() -> None:
    net = _networks()[0]
    batch = _batch()
    modality = net.modalities["text"]
    z = modality.context(batch.x["text"])
    rho, evolved = modality.states(z, batch.switch)
    same = ~batch.switch
    assert torch.equal(evolved[same], rho[same])
    assert (evolved[batch.switch] - rho[batch.switch]).abs().amax(dim=(-2, -1)).min() > 0
    assert torch.equal(previous_turn(z)[:, 1:], z[:, :-1]) and not previous_turn(z)[:, 0].any()


def test_outputs_are_log_distributions_with_finite_gradients() -> None:
    for net in _networks():
        net.train()
        out = net(_batch())
        assert torch.allclose(out.exp().sum(-1), torch.ones(out.shape[:-1]), atol=1e-5)
        out.sum().backward()
        assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_permuting_dialogues_in_a_batch_changes_nothing() -> None:
    batch = _batch(b=6)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    permuted = Dialogues({m: v[perm] for m, v in batch.x.items()}, batch.mask[perm], batch.switch[perm],
                         batch.speaker[perm])
    for net in _networks():
        with torch.no_grad():
            assert torch.allclose(net(permuted), net(batch)[perm], atol=1e-6)


def test_padding_after_the_last_turn_is_inert() -> None:
    batch = _batch(b=3, t=5)
    pad = 4
    longer = Dialogues({m: torch.cat([v, torch.randn(3, pad, v.shape[-1])], 1) for m, v in batch.x.items()},
                       torch.cat([batch.mask, torch.zeros(3, pad, dtype=torch.bool)], 1),
                       torch.cat([batch.switch, torch.ones(3, pad, dtype=torch.bool)], 1),
                       torch.cat([batch.speaker, torch.ones(3, pad, dtype=torch.long)], 1))
    for net in _networks():
        with torch.no_grad():
            a, b = net(batch), net(longer)[:, :5]
        assert torch.allclose(a[batch.mask], b[batch.mask], atol=1e-6)


def test_without_interference_is_the_classical_mixture_of_the_same_decisions() -> None:
    net = _networks()[1]
    with torch.no_grad():
        p, w, phases = net.decisions(_batch())
        assert phases is None
        assert torch.allclose(net(_batch()).exp(), (w[..., None] * p).sum(-2), atol=1e-5)


@pytest.mark.parametrize("dims", [{"text": 384}, DIMS])
def test_real_twin_matches_the_parameter_count(dims) -> None:
    sizes = Sizes(dims, 7)
    target = n_parameters(QMNNetwork(sizes))
    twin = RealTwinNetwork(sizes, matched_state_width(sizes, target))
    assert abs(n_parameters(twin) - target) / target < 0.01


def _conversation_split(n_dialogues: int = 4, seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    dialogue, speaker, turn = [], [], []
    for d in range(n_dialogues):
        n = int(rng.integers(1, 6))
        dialogue += [f"d{d}"] * n
        speaker += list(rng.choice(["A", "B"], size=n))
        turn += list(range(n))
    order = rng.permutation(len(dialogue))  # rows stored out of order on purpose
    n = len(order)
    return Split(ids=np.array([f"u{i}" for i in range(n)]), labels=rng.integers(0, 3, n),
                 features={"text": rng.normal(size=(n, 4)).astype(np.float32)},
                 groups={"dialogue": np.array(dialogue)[order], "speaker": np.array(speaker)[order],
                         "turn": np.array(turn)[order]})


def test_packing_keeps_turn_order_speaker_switches_and_row_order() -> None:
    split = _conversation_split()
    packed = PackedDialogues(split, Standardizer.fit(split, ("text",)), ("text",))
    turn, speaker = split.groups["turn"], split.groups["speaker"]
    for i in range(len(packed)):
        rows = packed.rows[i][packed.rows[i] >= 0]
        assert (turn[rows] == np.arange(len(rows))).all()
        expected = np.r_[False, speaker[rows][1:] != speaker[rows][:-1]]
        assert (packed.switch[i, : len(rows)].numpy() == expected).all() and not packed.switch[i, len(rows):].any()
        assert (packed.y[i, : len(rows)].numpy() == split.labels[rows]).all()
        first_seen = list(dict.fromkeys(speaker[rows]))
        assert (packed.speaker[i, : len(rows)].numpy() == [first_seen.index(s) for s in speaker[rows]]).all()
        assert (packed.y[i, len(rows):] == IGNORE).all()
    assert packed.turns == len(split)
    per_turn = np.where(packed.rows >= 0, packed.rows, -1)[..., None].astype(float)
    assert (packed.unpack(per_turn)[:, 0] == np.arange(len(split))).all()
    inputs, y = packed.batch(np.array([1, 2]))
    assert inputs.x["text"].shape[:2] == y.shape == inputs.mask.shape


def test_packing_refuses_data_without_dialogues() -> None:
    split = _conversation_split()
    bare = Split(ids=split.ids, labels=split.labels, features=split.features)
    with pytest.raises(UserError, match="group field"):
        PackedDialogues(bare, Standardizer.fit(bare, ("text",)), ("text",))
