"""Checkpoints as safetensors: tensors only, so loading one can never execute code."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from harness.errors import UserError

MODEL_PREFIX = "model."


def save_checkpoint(path: Path, state: dict[str, torch.Tensor], metadata: dict[str, str] | None = None,
                    extra: dict[str, torch.Tensor] | None = None) -> None:
    """Write a module state dict (plus ``extra`` tensors, e.g. input statistics) atomically."""
    tensors = {MODEL_PREFIX + k: v.detach().cpu().contiguous() for k, v in state.items()}
    tensors |= {k: v.detach().cpu().contiguous() for k, v in (extra or {}).items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)


def load_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``(module state dict, extra tensors)`` from a file written by :func:`save_checkpoint`."""
    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as err:
        raise UserError(f"cannot read checkpoint {path}: {err}") from err
    state = {k[len(MODEL_PREFIX):]: v for k, v in tensors.items() if k.startswith(MODEL_PREFIX)}
    extra = {k: v for k, v in tensors.items() if not k.startswith(MODEL_PREFIX)}
    return state, extra
