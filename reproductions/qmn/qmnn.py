"""QMNN (Li, Gkoumas, Sordoni, Nie, Melucci; AAAI 2021), a *related* quantum-inspired model, not Zhang et al.'s QMN.

Built from the description of ``qiuchili/diasenti`` in ../shared/papers/qmn.md, section 3 (nothing copied):

* per modality, Linear + ReLU to d; the amplitude is the L2-normalised vector, the modality weight a softmax over
  modalities of the vectors' norms, and the phase a speaker-indexed position embedding
  (turn x per-dimension frequency, initialised 1/10000^(k/d), plus 2 pi sigmoid(speaker phase));
* the utterance state is the weighted mixture of the modalities' pure states |psi_m><psi_m|;
* a quantum-like RNN: h_0 = I/d, h_t = lambda U_x rho_t U_x^H + (1 - lambda) U_h h_{t-1} U_h^H, with unitaries
  U = exp(iH) (H Hermitian, zero at initialisation, so U starts at the identity): a unitary-preserving
  *parameterisation* in place of the repository's unitary RMSprop, so the shared AdamW keeps U unitary;
* d learned measurement vectors (initialised to the standard basis), p_k = <m_k|h_t|m_k>, then the repository's
  small head: Linear(d, 24), ReLU, dropout, Linear(24, C), tanh.

Departures from the repository's quirks, on purpose: the phase and frequency embeddings are *trained* (frozen there
by a "from pretrained" default) and MELD keeps its speakers (forced to one there).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from reproductions.qmn import quantum as q
from reproductions.qmn.model import Dialogues, Sizes

HEAD_HIDDEN = 24  # the repository's output cell


def unitary(generator: torch.Tensor) -> torch.Tensor:
    """exp(iH) for H = S + iK built from a real (2, d, d) tensor: S its symmetric, K its antisymmetric part, so H is
    Hermitian and exp(iH) is unitary for any parameter values."""
    s = 0.5 * (generator[0] + generator[0].T)
    k = 0.5 * (generator[1] - generator[1].T)
    return torch.linalg.matrix_exp(1j * torch.complex(s, k))


def evolve(u: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """U rho U^H: preserves Hermiticity, the spectrum, hence trace and purity."""
    return q.hermitian_part(u @ rho @ u.mH)


class QMNNNetwork(nn.Module):
    """Speaker-phased pure states, their weighted mixture, a unitary quantum-like RNN, measurement and a small head."""

    def __init__(self, sizes: Sizes, speakers: int = 8) -> None:
        super().__init__()
        d = sizes.dim
        self.names = list(sizes.dims)
        self.embed = nn.ModuleDict({m: nn.Sequential(nn.Linear(dim, d), nn.ReLU()) for m, dim in sizes.dims.items()})
        self.frequency = nn.Parameter(10000.0 ** (-torch.arange(d, dtype=torch.float32) / d))
        self.speaker_phase = nn.Parameter(torch.rand(speakers, d))
        self.speakers = speakers
        self.generator_x = nn.Parameter(torch.zeros(2, d, d))
        self.generator_h = nn.Parameter(torch.zeros(2, d, d))
        self.mix = nn.Parameter(torch.tensor(0.5))  # lambda = sigmoid(mix)
        self.measure = nn.Parameter(torch.stack([torch.eye(d), torch.zeros(d, d)], -1))  # real/imag of m_k
        self.head = nn.Sequential(nn.Linear(d, HEAD_HIDDEN), nn.ReLU(), nn.Dropout(sizes.dropout),
                                  nn.Linear(HEAD_HIDDEN, sizes.classes), nn.Tanh())

    def utterance_states(self, batch: Dialogues) -> torch.Tensor:
        """(B, T, d, d): sum_m w_m |psi_m><psi_m|, w = softmax of the modality vectors' norms."""
        feats = torch.stack([self.embed[m](batch.x[m]) for m in self.names], dim=2).float()  # (B, T, M, d)
        b, t = feats.shape[:2]
        turn = torch.arange(t, device=feats.device, dtype=torch.float32)[None, :, None]
        speaker = batch.speaker.clamp(max=self.speakers - 1)
        phase = turn * self.frequency + 2 * math.pi * torch.sigmoid(self.speaker_phase[speaker])  # (B, T, d)
        amplitudes = feats.to(torch.complex64) * torch.exp(1j * phase)[:, :, None, :]
        return q.mixture_state(amplitudes, torch.linalg.vector_norm(feats, dim=-1))

    def states(self, batch: Dialogues) -> torch.Tensor:
        """The RNN's hidden density matrices h_t, (B, T, d, d)."""
        rho = self.utterance_states(batch)
        u_x, u_h = unitary(self.generator_x), unitary(self.generator_h)
        lam = torch.sigmoid(self.mix).to(rho.dtype)
        d = rho.shape[-1]
        h = torch.eye(d, dtype=rho.dtype, device=rho.device).expand(rho.shape[0], d, d) / d
        out = []
        for i in range(rho.shape[1]):
            h = lam * evolve(u_x, rho[:, i]) + (1 - lam) * evolve(u_h, h)
            out.append(h)
        return torch.stack(out, dim=1)

    def forward(self, batch: Dialogues) -> torch.Tensor:
        m = torch.complex(self.measure[..., 0], self.measure[..., 1])
        m = m / torch.linalg.vector_norm(m, dim=-1, keepdim=True).clamp_min(q.EPS[m.dtype])
        p = torch.einsum("kd,btde,ke->btk", m.conj(), self.states(batch), m).real
        return torch.log_softmax(self.head(p), dim=-1)
