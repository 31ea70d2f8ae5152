"""Pieces every neural baseline shares: the config base, registration, encoders, masking helpers.

Every model is ``encoders -> fusion -> head`` over a :data:`harness.train.Batch`: per modality a
``(B, T, d)`` tensor whose valid steps form a prefix (``mask``), and a ``present`` flag that is False
when the robustness evaluation removes the modality. A model must ignore padded steps entirely and
define what "absent" means for its fusion (each module's docstring says how).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from harness.data.dataset import MultimodalDataset
from harness.errors import UserError
from harness.models import register_model
from harness.tasks.spec import TaskSpec
from harness.train import ModalityInput, ModalitySpec, TorchModel, TrainConfig

TARGET_KINDS = ("regression", "single-label", "binary")
ENCODERS = ("mean", "lstm")


@dataclass(frozen=True)
class NeuralConfig(TrainConfig):
    """``modalities=()`` uses all of the task's modalities; a subset gives the unimodal/bimodal variants.
    ``loss`` is the regression loss (l1 or mse); classification always uses cross-entropy."""

    modalities: tuple[str, ...] = ()
    dropout: float = 0.1
    loss: str = "l1"


def resolve_modalities(task: TaskSpec, config: NeuralConfig) -> tuple[str, ...]:
    if not config.modalities:
        return tuple(task.modalities)
    unknown = [m for m in config.modalities if m not in task.modalities]
    if unknown or len(set(config.modalities)) != len(config.modalities):
        raise UserError(f"modalities={list(config.modalities)}: each must appear once and be one of task "
                        f"{task.name!r}'s modalities {list(task.modalities)}")
    return tuple(config.modalities)


Network = Callable[[list[ModalitySpec], int, NeuralConfig], nn.Module]
NETWORKS: dict[str, Network] = {}  # the bare network factories, for module-level tests and benchmarks


def register_neural(name: str, *, config: type[NeuralConfig], description: str) -> Callable[[Network], Network]:
    """Register ``network(specs, out_dim, config) -> nn.Module`` as a model trained by the shared Trainer."""

    def wrap(network: Network) -> Network:
        NETWORKS[name] = network
        @register_model(name, config=config, description=description, target_kinds=TARGET_KINDS)
        def build(task: TaskSpec, data: MultimodalDataset, cfg: NeuralConfig, seed: int) -> TorchModel:
            return TorchModel(task, data, cfg, seed, lambda specs, out_dim: network(specs, out_dim, cfg),
                              resolve_modalities(task, cfg), regression_loss=cfg.loss)

        return network

    return wrap


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over valid steps: ``(B, T, d), (B, T) -> (B, d)``."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)


def last_valid(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The last valid step of each row (valid steps are a prefix): ``(B, T, d) -> (B, d)``."""
    last = mask.sum(1).clamp_min(1) - 1
    return x[torch.arange(x.shape[0], device=x.device), last]


def absent_as_padding(inp: ModalityInput) -> torch.Tensor:
    """Key-padding mask (True = ignore) that also hides every step of an absent modality."""
    return ~inp.mask | ~inp.present[:, None]


def keep_one_key(pad: torch.Tensor) -> torch.Tensor:
    """Attention over a row with every key hidden is NaN; unhide the first key of such rows (their
    output must then be discarded by the caller)."""
    empty = pad.all(dim=1)
    if not bool(empty.any()):
        return pad
    pad = pad.clone()
    pad[empty, 0] = False
    return pad


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed sin/cos table of Vaswani et al. (2017), ``(length, dim)``."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table


def pool_steps(inp: ModalityInput, stride: int) -> ModalityInput:
    """Mean over windows of ``stride`` consecutive valid steps (ViT-style patches in time): a sequence of
    T steps becomes ceil(T / stride) tokens, and the valid tokens stay a prefix. ``stride=1`` is identity."""
    if stride == 1 or inp.x.shape[1] == 1:
        return inp
    b, t, d = inp.x.shape
    pad = -t % stride
    x = nn.functional.pad(inp.x, (0, 0, 0, pad)).view(b, -1, stride, d)
    mask = nn.functional.pad(inp.mask, (0, pad)).view(b, -1, stride)
    return ModalityInput(masked_mean(x.flatten(0, 1), mask.flatten(0, 1)).view(b, -1, d), mask.any(2), inp.present)


def encoder_layer(d_model: int, n_heads: int, ff_mult: int, dropout: float) -> nn.TransformerEncoderLayer:
    """A pre-LN transformer layer (stable without warm-up on small data). Dropout acts on the residual and
    feed-forward paths, not on attention weights: attention dropout forces PyTorch's slow math kernel."""
    if d_model % n_heads:
        raise UserError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
    layer = nn.TransformerEncoderLayer(d_model, n_heads, ff_mult * d_model, dropout, activation="gelu",
                                       batch_first=True, norm_first=True)
    layer.self_attn.dropout = 0.0
    return layer


def transformer(d_model: int, n_heads: int, ff_mult: int, dropout: float, layers: int) -> nn.TransformerEncoder:
    return nn.TransformerEncoder(encoder_layer(d_model, n_heads, ff_mult, dropout), layers,
                                 enable_nested_tensor=False)


class ModalityEncoder(nn.Module):
    """One modality to one vector (the "subnet" of LF-DNN, TFN and LMF); zero when the modality is absent.

    ``mean``: masked mean over valid steps, then a two-layer MLP (TFN's audio/video subnet).
    ``lstm``: an LSTM's output at the last valid step (its hidden state there), then a linear map (TFN's
    text subnet). A vector modality is a one-step sequence, for which both reduce to an MLP-like map.
    ``lstm:text`` (``lstm:`` + comma-separated modalities): an LSTM for those, ``mean`` for the rest, as the
    TFN/LMF papers (and MMSA) encode text with an LSTM and time-averaged audio/video with an MLP.
    """

    def __init__(self, spec: ModalitySpec, hidden: int, out: int, dropout: float, kind: str = "mean") -> None:
        super().__init__()
        if kind.startswith("lstm:"):
            kind = "lstm" if spec.name in kind.removeprefix("lstm:").split(",") else "mean"
        if kind not in ENCODERS:
            raise UserError(f"encoder={kind!r} is not one of {ENCODERS} or 'lstm:MODALITY,...'")
        self.kind = kind if spec.sequence else "mean"
        if self.kind == "lstm":
            self.rnn = nn.LSTM(spec.dim, hidden, batch_first=True)
            self.out = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, out))
        else:
            self.out = nn.Sequential(nn.Linear(spec.dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, out), nn.ReLU())

    def forward(self, inp: ModalityInput) -> torch.Tensor:
        if self.kind == "lstm":
            # Over the padded steps, then each row's last valid step: an LSTM never looks ahead and valid steps are a
            # prefix, so this is the packed result up to rounding, but on the fused oneDNN kernel (packed input falls
            # back to per-step autograd ops on a CPU).
            out, _ = self.rnn(inp.x)
            z = self.out(last_valid(out, inp.mask))
        else:
            z = self.out(masked_mean(inp.x, inp.mask))
        return z * inp.present[:, None].to(z.dtype)
