"""Conversation pickles (DialogueRNN/CORECT 9-tuple) and CIFAR-10 python batches, from exact-layout fixtures."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from harness.data import cifar10, conversation, store
from harness.data.dataset import DataError


def conversation_pickle(path: Path, n_train: int = 20, n_test: int = 3, classes: int = 6) -> Path:
    """IEMOCAP_features.pkl layout: dicts by dialogue id, per-utterance lists (text 100, audio 100, visual 512)."""
    rng = np.random.default_rng(0)
    names = [f"Ses0{1 + i % 4}F_impro{i:02d}" for i in range(n_train)] + [f"Ses05M_script{i}" for i in range(n_test)]
    lens = {d: int(rng.integers(2, 6)) for d in names}
    fields = (
        {d: d for d in names},
        {d: ["M" if i % 2 else "F" for i in range(lens[d])] for d in names},
        {d: rng.integers(0, classes, lens[d]).tolist() for d in names},
        {d: [rng.standard_normal(100).astype(np.float32) for _ in range(lens[d])] for d in names},
        {d: [rng.standard_normal(100) for _ in range(lens[d])] for d in names},
        {d: [rng.standard_normal(512) for _ in range(lens[d])] for d in names},
        {d: [f"sentence {i}" for i in range(lens[d])] for d in names},
        names[:n_train],
        names[n_train:],
    )
    path.write_bytes(pickle.dumps(fields, protocol=2))
    return path


def test_conversation_split_protocol_and_ids(tmp_path: Path) -> None:
    path = conversation_pickle(tmp_path / "IEMOCAP_features.pkl")
    result = conversation.read(path)
    data = result.dataset
    assert result.notes["dialogues"] == {"train": 18, "valid": 2, "test": 3}  # first 10% of train_ids = valid
    valid = data.split("valid")
    assert set(valid.groups["dialogue"]) == {"Ses01F_impro00", "Ses02F_impro01"}
    assert valid.ids[1] == "Ses01F_impro00#1#M"
    assert (valid.groups["dialogue"][1], valid.groups["turn"][1], valid.groups["speaker"][1]) == \
        ("Ses01F_impro00", 1, "M")
    raw = pickle.loads(path.read_bytes())
    for split in data.splits.values():  # every dialogue comes back whole, in the pickle's utterance order
        for rows in split.dialogues():
            dialogue = split.groups["dialogue"][rows[0]]
            assert split.groups["turn"][rows].tolist() == list(range(len(raw[2][dialogue])))
            assert split.labels[rows].tolist() == raw[2][dialogue]
            assert split.groups["speaker"][rows].tolist() == raw[1][dialogue]
    assert data.feature_shape("visual") == (512,) and data.feature_shape("text") == (100,)
    np.testing.assert_array_equal(valid.features["audio"][0], np.float32(raw[4]["Ses01F_impro00"][0]))


def test_conversation_bad_input(tmp_path: Path) -> None:
    path = conversation_pickle(tmp_path / "IEMOCAP_features_4.pkl")
    with pytest.raises(DataError, match="iemocap_4 has 4 classes"):
        conversation.read(path, name="iemocap_4")
    fields = list(pickle.loads(path.read_bytes()))
    fields[5]["Ses05M_script0"] = fields[5]["Ses05M_script0"][:-1]
    path.write_bytes(pickle.dumps(tuple(fields)))
    with pytest.raises(DataError, match="'Ses05M_script0' has .* visual entries"):
        conversation.read(path)
    path.write_bytes(pickle.dumps(tuple(fields[:8])))
    with pytest.raises(DataError, match="9-tuple"):
        conversation.read(path)


def cifar_folder(root: Path, per_batch: int = 20) -> Path:
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"batch_label": f"{name} of 6", "labels": rng.integers(0, 10, per_batch).tolist(),
                 "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "filenames": [f"img_{i}.png" for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return root


def test_cifar10_batches_prepare(tmp_path: Path) -> None:
    manifest = store.prepare("cifar10", cifar_folder(tmp_path))
    assert manifest["splits"] == {"train": 80, "valid": 20, "test": 20}
    test = store.load_dataset("cifar10").split("test")
    raw = pickle.loads((tmp_path / "cifar-10-batches-py" / "test_batch").read_bytes())
    np.testing.assert_array_equal(test.features["image"].reshape(20, -1), raw["data"])
    assert test.features["image"].shape == (20, 3, 32, 32) and test.is_image("image")
    assert test.features["image"].dtype == np.uint8 and test.labels.tolist() == raw["labels"]
    red = raw["data"][3, :1024].reshape(32, 32)  # the python batches store the red plane first, row-major
    np.testing.assert_array_equal(test.features["image"][3, 0], red)
    assert test.images("image")[3].max() == raw["data"][3].max() / np.float32(255)


def test_cifar10_missing_batch_is_named(tmp_path: Path) -> None:
    root = cifar_folder(tmp_path)
    (root / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(Exception, match="data_batch_3.*not found"):
        cifar10.read(root)
