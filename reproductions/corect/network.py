"""CORECT's network as the official code (``leson502/CORECT_EMNLP2023`` at ``96ad012``) applies it.

Paraphrased from ``../shared/papers/corect.md`` §2 (no code copied):

1. unimodal encoders per utterance: the *text* modality through an ``nn.TransformerEncoder`` over the dialogue's
   utterance sequence (post-LN PyTorch defaults, heads = the first of 7..14 dividing its width, dropout 0.5, **no
   positional encoding, no padding mask**) then a linear map to ``hidden``; every other modality through
   Linear-ReLU-Linear-ReLU; a speaker embedding is *added* to every modality (the only use of speakers);
2. RT-GCN over one node per (utterance, modality) (:mod:`reproductions.corect.graph`): ``RGCNConv`` (mean
   aggregation per relation, root weight, bias), **no activation**, then ``TransformerConv`` (``heads``,
   concatenated; it ignores relation types), BatchNorm, LeakyReLU; each utterance's modality nodes concatenated;
3. P-CM (two or more modalities): a MulT-style cross-modal transformer for every ordered (target, source) pair,
   then per target a self-attention transformer over its concatenated cross-modal outputs (pre-LN, FFN 4x ReLU,
   zero dropout, inputs scaled by sqrt(d), keys/values through the query's first LayerNorm, final LayerNorm, no
   positions, **no padding mask**);
4. fusion: [RT-GCN ; P-CM] per real utterance -> Linear-ReLU-Dropout-Linear -> class logits (CORECT's NLL on
   log-softmax is the cross-entropy of these logits).

Ablations (the paper's component study, as flags): ``rtgcn=false`` feeds the encoders' node features to the
fusion instead of the graph's output; ``pcm=false`` drops P-CM; ``context=false`` is the context-free utterance
model (text through the same MLP as the other modalities, no graph, no P-CM, no speaker embedding).
``padding_mask=true`` masks padded utterances (the official code does not; off by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from harness.errors import UserError
from harness.train import TrainConfig
from reproductions.corect.batch import DialogueBatch
from reproductions.corect.graph import build_graph, num_relations


@dataclass(frozen=True)
class DialogueConfig(TrainConfig):
    """Training settings of every dialogue-level arm: CORECT's recipe (Adam, weight decay 1e-8, no clipping, 10
    dialogues per batch) on a CPU budget: 8 epochs with early stopping instead of 50, and lr 1e-3 instead of 2.5e-4
    (at 2.5e-4 CORECT was still climbing after 10 epochs on MELD; see the README)."""

    modalities: tuple[str, ...] = ()
    epochs: int = 8
    patience: int = 3
    batch_size: int = 10  # dialogues
    lr: float = 1e-3  # official 2.5e-4
    weight_decay: float = 1e-8
    grad_clip: float = 0.0
    max_speakers: int = 9


@dataclass(frozen=True)
class CorectConfig(DialogueConfig):
    """Official widths in comments; the defaults are the CPU scale-down documented in the README."""

    hidden: int = 32  # official 100
    heads: int = 2  # TransformerConv heads, official 7
    wp: int = 11  # source-side window start offset (effectively: future neighbours)
    wf: int = 5  # source-side window end offset, exclusive (effectively: wf - 1 past neighbours)
    text_width: int = 64  # 0 = the input width (official: 768-d SBERT); >0 projects the text first
    text_layers: int = 2
    text_ff: int = 256  # official 2048 (PyTorch's default)
    dropout: float = 0.5
    crossmodal_layers: int = 2
    crossmodal_heads: int = 2
    self_att_layers: int = 3
    self_att_heads: int = 2
    use_speaker: bool = True
    rtgcn: bool = True
    pcm: bool = True
    context: bool = True
    padding_mask: bool = False
    context_modality: str = "text"


def text_heads(width: int) -> int:
    """The official rule: the first head count in 7..14 that divides the width."""
    for heads in range(7, 15):
        if width % heads == 0:
            return heads
    raise UserError(f"text width {width} is divisible by no head count in 7..14 (CORECT's rule); set text_width")


def mlp_encoder(dim: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class TextContext(nn.Module):
    """The text encoder: a TransformerEncoder over a dialogue's utterance vectors, then Linear to ``hidden``."""

    def __init__(self, dim: int, cfg: CorectConfig) -> None:
        super().__init__()
        width = cfg.text_width or dim
        self.project = nn.Linear(dim, width) if cfg.text_width else nn.Identity()
        layer = nn.TransformerEncoderLayer(width, text_heads(width), cfg.text_ff, cfg.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.text_layers, enable_nested_tensor=False)
        self.out = nn.Linear(width, cfg.hidden)
        self.padding_mask = cfg.padding_mask

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pad = ~mask if self.padding_mask else None
        return self.out(self.encoder(self.project(x), src_key_padding_mask=pad))


class MulTLayer(nn.Module):
    """Pre-LN attention block; keys/values go through the query's first LayerNorm (the MulT convention)."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm_attn = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm_ff = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, source: torch.Tensor | None, pad: torch.Tensor | None) -> torch.Tensor:
        q = self.norm_attn(x)
        kv = q if source is None else self.norm_attn(source)
        x = x + self.attn(q, kv, kv, key_padding_mask=pad, need_weights=False)[0]
        return x + self.ff(self.norm_ff(x))


class MulTEncoder(nn.Module):
    """Inputs scaled by sqrt(d), MulT layers (cross-modal when ``source`` is given), final LayerNorm."""

    def __init__(self, dim: int, heads: int, layers: int) -> None:
        super().__init__()
        self.scale = math.sqrt(dim)
        self.layers = nn.ModuleList(MulTLayer(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, source: torch.Tensor | None = None,
                pad: torch.Tensor | None = None) -> torch.Tensor:
        x = x * self.scale
        source = None if source is None else source * self.scale
        for layer in self.layers:
            x = layer(x, source, pad)
        return self.norm(x)


class PairwiseCrossModal(nn.Module):
    """P-CM: per target modality, its cross-modal transformers from every other modality, concatenated, then a
    self-attention transformer; the targets' outputs concatenated: ``M (M - 1) hidden`` per utterance."""

    def __init__(self, n_modalities: int, cfg: CorectConfig) -> None:
        super().__init__()
        h, m = cfg.hidden, n_modalities
        self.cross = nn.ModuleList(
            nn.ModuleList(MulTEncoder(h, cfg.crossmodal_heads, cfg.crossmodal_layers) for _ in range(m - 1))
            for _ in range(m))
        self.self_att = nn.ModuleList(MulTEncoder((m - 1) * h, cfg.self_att_heads, cfg.self_att_layers)
                                      for _ in range(m))
        self.padding_mask = cfg.padding_mask
        self.out_dim = m * (m - 1) * h

    def forward(self, xs: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        pad = ~mask if self.padding_mask else None
        outs = []
        for j, target in enumerate(xs):
            sources = [x for k, x in enumerate(xs) if k != j]
            crossed = torch.cat([enc(target, src, pad) for enc, src in zip(self.cross[j], sources, strict=True)], -1)
            outs.append(self.self_att[j](crossed, pad=pad))
        return torch.cat(outs, -1)


class RelationalTemporalGCN(nn.Module):
    """RGCNConv, then immediately TransformerConv (heads concatenated), BatchNorm, LeakyReLU."""

    def __init__(self, n_modalities: int, cfg: CorectConfig) -> None:
        # Imported here, not at module level: torch_geometric costs seconds to import, and every CLI command loads
        # every plug-in, so a module-level import slowed even `mmrepro tasks`.
        from torch_geometric.nn import RGCNConv, TransformerConv

        super().__init__()
        h = cfg.hidden
        self.rgcn = RGCNConv(h, h, num_relations(n_modalities))
        self.transformer = TransformerConv(h, h, heads=cfg.heads, concat=True)
        self.norm = nn.BatchNorm1d(h * cfg.heads)
        self.act = nn.LeakyReLU()
        self.n_modalities, self.wp, self.wf = n_modalities, cfg.wp, cfg.wf
        self.out_dim = n_modalities * h * cfg.heads

    def forward(self, nodes: torch.Tensor, lengths: Sequence[int]) -> torch.Tensor:
        """``nodes`` ``(M * N, h)`` in modality-major blocks -> ``(N, M * h * heads)`` per utterance."""
        graph = build_graph(lengths, self.n_modalities, self.wp, self.wf)
        edge_index, edge_type = graph.edge_index.to(nodes.device), graph.edge_type.to(nodes.device)
        out = self.act(self.norm(self.transformer(self.rgcn(nodes, edge_index, edge_type), edge_index)))
        n = out.shape[0] // self.n_modalities
        return out.view(self.n_modalities, n, -1).permute(1, 0, 2).reshape(n, -1)


class Corect(nn.Module):
    """Encoders -> [RT-GCN ; P-CM] -> classifier; one row of logits per real utterance, dialogue-major."""

    def __init__(self, dims: dict[str, int], n_classes: int, n_speakers: int, cfg: CorectConfig) -> None:
        super().__init__()
        if not cfg.context and (cfg.rtgcn or cfg.pcm or cfg.use_speaker):
            raise UserError("context=false is the context-free utterance model: it needs rtgcn=false, pcm=false "
                            "and use_speaker=false (speaker ids are numbered within a dialogue)")
        self.names = list(dims)
        h = cfg.hidden
        self.encoders = nn.ModuleDict({
            m: TextContext(d, cfg) if cfg.context and m == cfg.context_modality else mlp_encoder(d, h)
            for m, d in dims.items()})
        self.speaker = nn.Embedding(n_speakers, h) if cfg.use_speaker else None
        m = len(self.names)
        self.graph = RelationalTemporalGCN(m, cfg) if cfg.rtgcn else None
        self.pcm = PairwiseCrossModal(m, cfg) if cfg.pcm and m > 1 else None
        width = (self.graph.out_dim if self.graph else m * h) + (self.pcm.out_dim if self.pcm else 0)
        self.classifier = nn.Sequential(nn.Linear(width, h), nn.ReLU(), nn.Dropout(cfg.dropout),
                                        nn.Linear(h, n_classes))

    def forward(self, chunks: Sequence[DialogueBatch]) -> torch.Tensor:
        return torch.cat([self._forward(batch) for batch in chunks])

    def _forward(self, batch: DialogueBatch) -> torch.Tensor:
        mask = batch.mask
        xs = []
        for name in self.names:
            enc = self.encoders[name]
            x = enc(batch.x[name], mask) if isinstance(enc, TextContext) else enc(batch.x[name])
            if self.speaker is not None:
                x = x + self.speaker(batch.speakers)
            xs.append(x)
        nodes = [x[mask] for x in xs]  # (N, h) each, dialogue-major
        if self.graph is not None:
            parts = [self.graph(torch.cat(nodes), batch.lengths.tolist())]
        else:
            parts = [torch.cat(nodes, -1)]
        if self.pcm is not None:
            parts.append(self.pcm(xs, mask)[mask])
        return self.classifier(torch.cat(parts, -1))
