"""QMN networks over whole conversations, and their same-size real-valued twin.

A batch is a set of dialogues (:class:`Dialogues`): per modality a ``(B, T, d)`` tensor of utterance features in
turn order, a ``(B, T)`` mask of real turns (a prefix of each row), a ``(B, T)`` flag ``switch`` that is True
where the speaker differs from the previous turn's, and each turn's speaker index within its dialogue. Both
networks return ``(B, T, C)`` log-probabilities, so cross-entropy on them is the negative log-likelihood of the
measured (QMN) or softmax (twin) distribution.

Everything is causal over turns (a unidirectional LSTM and a forward recurrence), so padding after the last turn
never changes a real turn's output, and no operation mixes dialogues, so their order in a batch is irrelevant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from reproductions.qmn import quantum as q


class Dialogues(NamedTuple):
    x: dict[str, torch.Tensor]  # modality -> (B, T, d) float
    mask: torch.Tensor  # (B, T) bool, True on real turns (a prefix)
    switch: torch.Tensor  # (B, T) bool, True where the speaker differs from the previous turn's (never at t = 0)
    speaker: torch.Tensor  # (B, T) long, the speaker's index within its dialogue (order of first appearance)


@dataclass(frozen=True)
class Sizes:
    """Shapes shared by QMN and its twin; ``dims`` maps each modality to its input width."""

    dims: dict[str, int]
    classes: int
    hidden: int = 32  # utterance encoder and LSTM width
    dim: int = 8  # density-matrix dimension d (QMNN used 50; O(d^3) per influence step)
    components: int = 4  # pure states mixed into each utterance density matrix
    dropout: float = 0.1


class ContextEncoder(nn.Module):
    """One modality: Linear-ReLU-dropout per utterance, then a unidirectional LSTM over the turns (QMN's LSTM).

    Returns z_t = [utterance code, LSTM state] (B, T, 2h): what the utterance says and the conversation so far.
    """

    def __init__(self, dim_in: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.utterance = nn.Sequential(nn.Linear(dim_in, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.utterance(x)
        h, _ = self.lstm(u)
        return torch.cat([u, h], dim=-1)


class InfluenceGate(nn.Module):
    """Strength of the influence of turn t-1 on turn t, from both turns' codes; zero unless the speaker changed.

    One learned continuum from weak (s near 0) to strong (s near MAX_STRENGTH) influence: how the paper decides
    between strong and weak is not public (see README.md)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(2 * width, 1)

    def forward(self, z: torch.Tensor, z_prev: torch.Tensor, switch: torch.Tensor) -> torch.Tensor:
        s = q.MAX_STRENGTH * torch.sigmoid(self.linear(torch.cat([z, z_prev], -1)).squeeze(-1))
        return s * switch.to(s.dtype)


def previous_turn(z: torch.Tensor) -> torch.Tensor:
    """z shifted one turn later (turn 0 gets zeros): z_prev[:, t] = z[:, t-1]."""
    return torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1)


def influence(rho: torch.Tensor, strength: torch.Tensor, switch: torch.Tensor) -> torch.Tensor:
    """The strong/weak influence recurrence over turns: rho~_0 = rho_0; where the speaker changed, turn t is
    measured by turn t-1's state *after* its own influence (so influence propagates), else left untouched.

    ``rho``: (B, T, ..., d, d) utterance states; ``strength``: (B, T, ...); ``switch``: (B, T). Extra dimensions
    (e.g. modalities) share one Python loop over turns.
    """
    flag = switch.view(*switch.shape, *([1] * (rho.dim() - 2)))
    out = [rho[:, 0]]
    for i in range(1, rho.shape[1]):
        measured = q.weak_measurement(rho[:, i], out[-1], strength[:, i])
        out.append(torch.where(flag[:, i], measured, rho[:, i]))
    return torch.stack(out, dim=1)


class QuantumModality(nn.Module):
    """One modality of QMN: utterance density matrices, the influence strengths, a POVM decision."""

    def __init__(self, dim_in: int, sizes: Sizes, influence: bool) -> None:
        super().__init__()
        h, d, k, c = sizes.hidden, sizes.dim, sizes.components, sizes.classes
        self.d, self.k, self.c = d, k, c
        self.context = ContextEncoder(dim_in, h, sizes.dropout)
        self.amplitudes = nn.Linear(2 * h, 2 * k * d)  # real and imaginary parts of K vectors in C^d
        self.mixture = nn.Linear(2 * h, k)
        self.gate = InfluenceGate(2 * h) if influence else None
        rows = -(-d // c)  # r rows per class, C*r >= d so the stacked V can be an isometry
        self.povm = nn.Parameter(torch.randn(c * rows, d, 2) / d ** 0.5)  # real/imag of the POVM's V before QR
        self.rows = rows

    def utterance_states(self, z: torch.Tensor) -> torch.Tensor:
        """rho_t (B, T, d, d) complex64 from the context codes z (B, T, 2h)."""
        b, t = z.shape[:2]
        a = self.amplitudes(z).view(b, t, self.k, self.d, 2).float()
        return q.mixture_state(torch.complex(a[..., 0], a[..., 1]), self.mixture(z).float())

    def strength(self, z: torch.Tensor, switch: torch.Tensor) -> torch.Tensor:
        """(B, T) influence strengths: zero without a gate (the no-influence arm) and where the speaker stays."""
        if self.gate is None:
            return torch.zeros(z.shape[:2], dtype=torch.float32, device=z.device)
        return self.gate(z, previous_turn(z), switch).float()

    def states(self, z: torch.Tensor, switch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(utterance states rho_t, states after influence rho~_t), each (B, T, d, d)."""
        rho = self.utterance_states(z)
        if self.gate is None:
            return rho, rho
        return rho, influence(rho, self.strength(z, switch), switch)

    def measurement(self) -> torch.Tensor:
        """V as (C, r, d) with orthonormal stacked columns: the POVM E_c = V_c^H V_c."""
        v = q.isometry(torch.complex(self.povm[..., 0], self.povm[..., 1]))
        return v.view(self.c, self.rows, self.d)


class QMNNetwork(nn.Module):
    """QMN: per-modality quantum decisions fused by interference (``interference=False``: the classical mixture;
    ``influence=False``: no strong/weak influence between turns)."""

    def __init__(self, sizes: Sizes, *, interference: bool = True, influence: bool = True) -> None:
        super().__init__()
        self.names = list(sizes.dims)
        self.influence = influence
        width = 2 * sizes.hidden
        self.modalities = nn.ModuleDict({m: QuantumModality(dim, sizes, influence) for m, dim in sizes.dims.items()})
        multimodal = len(self.names) > 1
        self.weight = nn.ModuleDict({m: nn.Linear(width, 1) for m in self.names}) if multimodal else None
        self.phase = (nn.ModuleDict({m: nn.Linear(width, sizes.classes) for m in self.names})
                      if multimodal and interference else None)

    def decisions(self, batch: Dialogues) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Per-modality probabilities (B, T, M, C), fusion weights (B, T, M) and phases (B, T, M, C) or None."""
        mods = [self.modalities[m] for m in self.names]
        codes = [mod.context(batch.x[m]) for m, mod in zip(self.names, mods, strict=True)]
        rho = torch.stack([mod.utterance_states(z) for mod, z in zip(mods, codes, strict=True)], dim=2)
        if self.influence:  # all modalities in one loop over turns
            strength = torch.stack([mod.strength(z, batch.switch) for mod, z in zip(mods, codes, strict=True)], 2)
            rho = influence(rho, strength, batch.switch)
        p = torch.stack([q.povm_probabilities(rho[:, :, i], mod.measurement()) for i, mod in enumerate(mods)], -2)
        if self.weight is None:
            return p, torch.ones(p.shape[:-1], dtype=p.dtype, device=p.device), None
        w = torch.softmax(torch.cat([self.weight[m](z) for m, z in zip(self.names, codes, strict=True)], -1), -1)
        phases = (torch.stack([self.phase[m](z) for m, z in zip(self.names, codes, strict=True)], dim=-2)
                  if self.phase is not None else None)
        return p, w.float(), None if phases is None else phases.float()

    def forward(self, batch: Dialogues) -> torch.Tensor:
        p, w, phases = self.decisions(batch)
        return torch.log(q.interference_fusion(p, w, phases).clamp_min(1e-12))


class RealModality(nn.Module):
    """The twin of :class:`QuantumModality`: a real state vector, a convex (gated) influence, a softmax decision."""

    def __init__(self, dim_in: int, sizes: Sizes, state: int, influence: bool) -> None:
        super().__init__()
        h = sizes.hidden
        self.context = ContextEncoder(dim_in, h, sizes.dropout)
        self.state = nn.Sequential(nn.Linear(2 * h, state), nn.Tanh())
        self.gate = InfluenceGate(2 * h) if influence else None
        self.decide = nn.Linear(state, sizes.classes)

    def forward(self, x: torch.Tensor, switch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(class log-probabilities (B, T, C), context codes (B, T, 2h))."""
        z = self.context(x)
        s = self.state(z)
        if self.gate is not None:
            g = self.gate(z, previous_turn(z), switch)[..., None]
            out = [s[:, 0]]
            for i in range(1, s.shape[1]):
                out.append((1 - g[:, i]) * s[:, i] + g[:, i] * out[-1])
            s = torch.stack(out, dim=1)
        return torch.log_softmax(self.decide(s), dim=-1), z


class RealTwinNetwork(nn.Module):
    """Same pipeline as QMN without the quantum formalism; fusion is weighted log-linear pooling of the decisions
    (a product of experts, so modalities still interact multiplicatively). ``state`` is chosen by
    :func:`matched_state_width` so the parameter count equals QMN's as closely as an integer width allows."""

    def __init__(self, sizes: Sizes, state: int, *, influence: bool = True) -> None:
        super().__init__()
        self.names = list(sizes.dims)
        self.modalities = nn.ModuleDict({m: RealModality(d, sizes, state, influence) for m, d in sizes.dims.items()})
        self.weight = (nn.ModuleDict({m: nn.Linear(2 * sizes.hidden, 1) for m in self.names})
                       if len(self.names) > 1 else None)

    def forward(self, batch: Dialogues) -> torch.Tensor:
        logp, codes = zip(*(self.modalities[m](batch.x[m], batch.switch) for m in self.names), strict=True)
        if self.weight is None:
            return logp[0]
        w = torch.softmax(torch.cat([self.weight[m](z) for m, z in zip(self.names, codes, strict=True)], -1), -1)
        pooled = (torch.stack(logp, dim=-2) * w[..., None]).sum(-2)
        return torch.log_softmax(pooled, dim=-1)


def n_parameters(module: nn.Module) -> int:
    """Real numbers learned (a complex weight is stored as two reals, so it counts twice)."""
    return sum(p.numel() for p in module.parameters())


def matched_state_width(sizes: Sizes, target: int, *, influence: bool = True) -> int:
    """The twin's state width whose parameter count is closest to ``target`` (QMN's, counted in reals)."""
    def count(width: int) -> int:
        return n_parameters(RealTwinNetwork(sizes, width, influence=influence))

    base, step = count(1), count(2) - count(1)  # the count is affine in the width
    return max(1, round(1 + (target - base) / step))
