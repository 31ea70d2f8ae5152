"""Per-batch padding: batches from a Split and from the memory-mapped store agree and are trimmed per batch."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from harness.data import store
from harness.data.batching import prepared_loader, split_batches
from tests.data.test_mmsa_pickle import mmsa_layout


def _prepared(tmp_path: Path):
    path = tmp_path / "unaligned_50.pkl"
    path.write_bytes(pickle.dumps(mmsa_layout(aligned=False)))
    store.prepare("mosi", path)
    return store.load_dataset("mosi").split("train")


def test_split_batches_trim_to_the_longest_in_batch(tmp_path: Path) -> None:
    split = _prepared(tmp_path)
    batches = list(split_batches(split, batch_size=4))
    assert [len(b) for b in batches] == [4, 2]
    for b, rows in zip(batches, (slice(0, 4), slice(4, 6)), strict=True):
        lengths = split.lengths["audio"][rows]
        assert b.x["audio"].shape == (len(lengths), lengths.max(), 5)
        assert torch.equal(b.mask["audio"].sum(1), torch.from_numpy(lengths))
        np.testing.assert_array_equal(b.x["audio"].numpy(), split.features["audio"][rows, :lengths.max()])
        assert (b.x["audio"][~b.mask["audio"]] == 0).all()


def test_prepared_loader_matches_the_in_memory_split(tmp_path: Path) -> None:
    split = _prepared(tmp_path)
    from_store = list(prepared_loader("mosi", "train", batch_size=4))
    in_memory = list(split_batches(split, batch_size=4))
    for a, b in zip(from_store, in_memory, strict=True):
        assert a.ids == b.ids and torch.equal(a.labels, b.labels)
        for m in ("text", "audio", "vision"):
            assert torch.equal(a.x[m], b.x[m]) and torch.equal(a.mask[m], b.mask[m])


def test_shuffled_loader_is_seeded_and_covers_every_row(tmp_path: Path) -> None:
    _prepared(tmp_path)
    first = [i for b in prepared_loader("mosi", "train", 4, shuffle=True, seed=3) for i in b.ids]
    again = [i for b in prepared_loader("mosi", "train", 4, shuffle=True, seed=3) for i in b.ids]
    assert first == again and sorted(first) == sorted(store.load_dataset("mosi").split("train").ids)
