"""Torch batches with per-batch padding: each batch is padded only to its own longest sequence.

Two sources, one batch layout (:class:`Batch`):

- :func:`split_batches` iterates an in-memory :class:`Split` (already padded to the dataset's ``T``) and trims
  every batch to its longest sample, so short batches cost short compute;
- :func:`prepared_loader` reads a prepared dataset straight from its memory-mapped Arrow files (sequences are
  stored unpadded) and pads each batch in one vectorised step; only the rows of the batch are touched.

``Batch.x[m]`` is ``(B, T_b, d)`` for a sequence modality (``T_b`` = longest in the batch) and ``(B, d)`` for a
vector modality; ``lengths[m]`` is ``(B,)`` int64 and ``mask[m]`` ``(B, T_b)`` bool (True = real step) for
sequences only. Padding is zeros. Labels are a tensor ``(B,)`` (or ``(B, L)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from harness.data.dataset import Split


@dataclass
class Batch:
    ids: list[str]
    labels: torch.Tensor
    x: dict[str, torch.Tensor]
    lengths: dict[str, torch.Tensor] = field(default_factory=dict)
    mask: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def to(self, device: torch.device | str) -> Batch:
        return Batch(self.ids, self.labels.to(device), {k: v.to(device) for k, v in self.x.items()},
                     {k: v.to(device) for k, v in self.lengths.items()},
                     {k: v.to(device) for k, v in self.mask.items()})


def _order(n: int, shuffle: bool, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)


def _tensor(a: np.ndarray) -> torch.Tensor:
    """Zero-copy where numpy allows it; memory-mapped (read-only) Arrow buffers are copied."""
    a = np.ascontiguousarray(a)
    return torch.from_numpy(a if a.flags.writeable else a.copy())


def _make_batch(ids, labels: np.ndarray, x: dict[str, np.ndarray], lengths: dict[str, np.ndarray]) -> Batch:
    batch = Batch(ids=[str(i) for i in ids], labels=_tensor(labels), x={m: _tensor(v) for m, v in x.items()})
    for m, length in lengths.items():
        batch.lengths[m] = torch.from_numpy(length.astype(np.int64))
        batch.mask[m] = torch.arange(batch.x[m].shape[1])[None, :] < batch.lengths[m][:, None]
    return batch


def split_batches(split: Split, batch_size: int, *, shuffle: bool = False, seed: int = 0,
                  drop_last: bool = False) -> Iterator[Batch]:
    """Batches of an in-memory split, each sequence modality trimmed to the batch's longest sample."""
    order = _order(len(split), shuffle, seed)
    stop = len(order) - (len(order) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        idx = np.sort(order[start:start + batch_size]) if not shuffle else order[start:start + batch_size]
        lengths = {m: split.lengths[m][idx] for m in split.lengths}
        x = {m: (v[idx, :int(lengths[m].max())] if m in lengths else v[idx]) for m, v in split.features.items()}
        yield _make_batch(split.ids[idx], split.labels[idx], x, lengths)


class PreparedSplit(torch.utils.data.Dataset):
    """One split of a prepared dataset, read lazily from the memory-mapped Arrow table.

    Indexing takes a *list* of row indices and returns a padded :class:`Batch` (use with a batch sampler, as
    :func:`prepared_loader` does).
    """

    def __init__(self, name: str, split: str, root: Path | None = None) -> None:
        from harness.data.store import open_prepared, read_manifest

        self.features = read_manifest(name, root)["features"]
        self.table = open_prepared(name, root)[split].data.table

    def __len__(self) -> int:
        return self.table.num_rows

    def _rows(self, rows: list[int]):
        """Zero-copy slices of the mapped table (``Table.take`` would first concatenate whole chunked columns)."""
        start = rows[0]
        if list(rows) == list(range(start, start + len(rows))):
            return self.table.slice(start, len(rows))
        import pyarrow as pa

        return pa.concat_tables([self.table.slice(r, 1) for r in rows])

    def __getitem__(self, rows: list[int]) -> Batch:
        from harness.data.store import flat_values, pad_ragged

        part = self._rows(rows)
        x, lengths = {}, {}
        for m, info in self.features.items():
            flat = flat_values(part.column(f"x.{m}"))
            if info["sequence"]:
                lengths[m] = part.column(f"len.{m}").to_numpy()
                x[m] = pad_ragged(flat.reshape(-1, info["shape"][-1]), lengths[m], int(lengths[m].max()))
            else:
                x[m] = flat.reshape(len(rows), *info["shape"])
        label = part.column("label").combine_chunks()
        labels = flat_values(label).reshape(len(rows), -1) if label.type.num_fields else label.to_numpy()
        return _make_batch(part.column("id").to_pylist(), labels, x, lengths)


def prepared_loader(name: str, split: str, batch_size: int, *, shuffle: bool = False, seed: int = 0,
                    drop_last: bool = False, num_workers: int = 0, root: Path | None = None) -> DataLoader:
    """A DataLoader of padded :class:`Batch` objects over a prepared split, memory-mapped."""
    data = PreparedSplit(name, split, root)
    generator = torch.Generator().manual_seed(seed)
    sampler = RandomSampler(data, generator=generator) if shuffle else SequentialSampler(data)
    return DataLoader(data, sampler=BatchSampler(sampler, batch_size, drop_last), batch_size=None,
                      collate_fn=lambda b: b, num_workers=num_workers)
