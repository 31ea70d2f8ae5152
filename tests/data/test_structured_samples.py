"""Structured samples: image modalities, group fields (dialogue, speaker, turn, pair), and their storage."""

from __future__ import annotations

import numpy as np
import pytest

from harness.data import store
from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.sources import load_embedded


def _conversation(n_dialogues: int = 3) -> Split:
    """Dialogue d has d + 2 turns, stored interleaved and out of turn order."""
    rows = [(f"d{d}", t) for d in range(n_dialogues) for t in range(d + 2)]
    order = np.random.default_rng(0).permutation(len(rows))
    dialogue = np.array([rows[i][0] for i in order])
    turn = np.array([rows[i][1] for i in order], dtype=np.int64)
    n = len(rows)
    return Split(ids=np.array([f"{d}#{t}" for d, t in zip(dialogue, turn, strict=True)]), labels=np.arange(n),
                 features={"text": np.arange(n, dtype=np.float32)[:, None]},
                 groups={"dialogue": dialogue, "turn": turn, "speaker": np.array(["A", "B"])[turn % 2]})


def test_dialogues_come_whole_in_turn_order_and_in_order_of_first_appearance() -> None:
    split = _conversation()
    dialogues = split.dialogues()
    assert sorted(len(d) for d in dialogues) == [2, 3, 4]
    assert np.sort(np.concatenate(dialogues)).tolist() == list(range(len(split)))
    for rows in dialogues:
        assert len(set(split.groups["dialogue"][rows])) == 1
        assert split.groups["turn"][rows].tolist() == list(range(len(rows)))
    firsts = [rows.min() for rows in dialogues]
    assert firsts == sorted(firsts)


def test_dialogues_without_turns_keep_stored_order() -> None:
    split = Split(ids=np.array(list("abcde")), labels=np.zeros(5), features={"a": np.zeros((5, 1))},
                  groups={"dialogue": np.array([7, 3, 7, 3, 7])})
    assert [r.tolist() for r in split.dialogues()] == [[0, 2, 4], [1, 3]]


def test_subset_keeps_groups_and_missing_group_is_a_clear_error() -> None:
    split = _conversation()
    sub = split.subset(np.array([4, 0]))
    assert sub.groups["turn"].tolist() == split.groups["turn"][[4, 0]].tolist()
    assert sub.groups["speaker"].tolist() == split.groups["speaker"][[4, 0]].tolist()
    plain = Split(ids=np.array(["a"]), labels=np.zeros(1), features={"a": np.zeros((1, 1))})
    with pytest.raises(DataError, match="no 'dialogue' group field"):
        plain.dialogues()


@pytest.mark.parametrize("groups, message", [
    ({"dialog": np.zeros(4, dtype=int)}, "is not one of"),
    ({"dialogue": np.zeros(3, dtype=int)}, "one value per sample"),
    ({"speaker": np.zeros(4)}, "integers or strings"),
    ({"turn": np.arange(4)}, "needs a 'dialogue'"),
    ({"dialogue": np.zeros(4, dtype=int), "turn": np.array([0, 1, -1, 2])}, "non-negative"),
    ({"dialogue": np.array(["a", "a", "b", "b"]), "turn": np.array([0, 1, 0, 0])}, "1 (dialogue, turn) pairs repeat"),
])
def test_malformed_groups_are_refused(groups: dict, message: str) -> None:
    split = Split(ids=np.arange(4).astype(str), labels=np.zeros(4), features={"a": np.zeros((4, 2))}, groups=groups)
    with pytest.raises(DataError, match="toy/train") as err:
        MultimodalDataset("toy", {"train": split})
    assert message in str(err.value)


def test_every_split_needs_the_same_group_fields() -> None:
    a = _conversation()
    b = Split(ids=np.array(["x"]), labels=np.zeros(1), features={"text": np.zeros((1, 1), np.float32)})
    with pytest.raises(DataError, match="group fields"):
        MultimodalDataset("toy", {"train": a, "test": b})


def test_image_modality_validation_and_float_view() -> None:
    raw = np.full((2, 3, 4, 5), 255, dtype=np.uint8)
    split = Split(ids=np.array(["a", "b"]), labels=np.zeros(2), features={"img": raw})
    data = MultimodalDataset("toy", {"train": split})
    assert data.feature_shape("img") == (3, 4, 5) and split.is_image("img")
    assert split.images("img").dtype == np.float32 and split.images("img").max() == 1.0
    assert split.pooled("img").shape == (2, 60)
    with pytest.raises(DataError, match=r"vector \(n, d\) or an image"):
        MultimodalDataset("toy", {"train": Split(ids=np.array(["a"]), labels=np.zeros(1),
                                                 features={"img": np.zeros((1, 2, 2, 2, 2))})})
    with pytest.raises(DataError, match="float pixels"):
        MultimodalDataset("toy", {"train": Split(ids=np.array(["a"]), labels=np.zeros(1),
                                                 features={"img": np.zeros((1, 1, 2, 2), dtype=np.int32)})})
    with pytest.raises(DataError, match="not an image"):
        Split(ids=np.array(["a"]), labels=np.zeros(1), features={"v": np.zeros((1, 3))}).images("v")


def test_fingerprint_covers_groups_only_when_present() -> None:
    split = _conversation()
    plain = Split(ids=split.ids, labels=split.labels, features=split.features)
    with_groups = MultimodalDataset("toy", {"train": split}).fingerprint()
    without = MultimodalDataset("toy", {"train": plain}).fingerprint()
    assert with_groups != without
    moved = dict(split.groups) | {"speaker": split.groups["speaker"][::-1].copy()}
    assert MultimodalDataset("toy", {"train": Split(split.ids, split.labels, split.features,
                                                     groups=moved)}).fingerprint() != with_groups


# Fingerprints of the committed run records (results/runs/*/*/*.json, spec.data_fingerprint): every run id
# depends on them, so adding group fields and images to the engine must not move them.
COMMITTED_FINGERPRINTS = {"digits": "e35590cf8667b67e", "breast_cancer": "98a4077a69333c7c",
                          "synth_msa": "89a89d71216719f0"}


@pytest.mark.parametrize("name", sorted(COMMITTED_FINGERPRINTS))
def test_embedded_fingerprints_are_those_of_committed_runs(name: str) -> None:
    assert load_embedded(name).fingerprint() == COMMITTED_FINGERPRINTS[name]


def test_store_round_trips_groups_and_images(tmp_path, monkeypatch) -> None:
    conv = _conversation()
    image = np.random.default_rng(1).random((len(conv), 1, 3, 2)).astype(np.float32)
    train = conv.with_features(conv.features | {"img": image})
    test = train.subset(np.arange(3))
    test = Split(test.ids, test.labels, test.features,
                 groups=test.groups | {"dialogue": np.array(["a-much-longer-id", "b", "c"]),
                                       "turn": np.zeros(3, dtype=np.int64)})
    data = MultimodalDataset("toy_groups", {"train": train, "test": test})
    source = store.DatasetSource(name="toy_groups", description="", citation="", read=lambda path: data)
    monkeypatch.setitem(store.DATASETS._items, "toy_groups", source)
    manifest = store.prepare("toy_groups", tmp_path, tmp_path / "root")
    assert manifest["groups"] == {"dialogue": train.groups["dialogue"].dtype.str, "turn": "<i8",
                                  "speaker": train.groups["speaker"].dtype.str}
    assert manifest["features"]["img"] == {"shape": [1, 3, 2], "dtype": "float32", "sequence": False}
    back = store.load_prepared("toy_groups", tmp_path / "root")
    assert back.fingerprint() == data.fingerprint() == manifest["fingerprint"]
    for name, split in data.splits.items():
        got = back.split(name)
        np.testing.assert_array_equal(got.features["img"], split.features["img"])
        for key, values in split.groups.items():
            np.testing.assert_array_equal(got.groups[key], values)
            assert got.groups[key].dtype.kind == values.dtype.kind


def test_store_without_groups_writes_no_group_field(tmp_path, monkeypatch) -> None:
    plain = Split(ids=np.array(["a", "b"]), labels=np.array([0, 1]), features={"v": np.zeros((2, 2), np.float32)})
    data = MultimodalDataset("toy_plain", {"train": plain})
    source = store.DatasetSource(name="toy_plain", description="", citation="", read=lambda path: data)
    monkeypatch.setitem(store.DATASETS._items, "toy_plain", source)
    manifest = store.prepare("toy_plain", tmp_path, tmp_path / "root")
    assert "groups" not in manifest
    assert store.load_prepared("toy_plain", tmp_path / "root").split("train").groups == {}


def test_digits_image_is_the_two_views_rejoined_on_the_same_split() -> None:
    views, image = load_embedded("digits"), load_embedded("digits_image")
    assert image.modalities == ["image"] and image.feature_shape("image") == (1, 8, 8)
    for name, split in image.splits.items():
        halves = views.split(name)
        np.testing.assert_array_equal(split.ids, halves.ids)
        np.testing.assert_array_equal(split.labels, halves.labels)
        left = halves.features["left"].reshape(-1, 8, 4)
        right = halves.features["right"].reshape(-1, 8, 4)
        np.testing.assert_allclose(split.images("image")[:, 0], np.concatenate([left, right], axis=2) / 16.0)
        assert split.images("image").min() >= 0 and split.images("image").max() <= 1
