"""The dataset contract, the embedded datasets, UCI mfeat in both published forms, and the prepared store."""

from __future__ import annotations

import numpy as np
import pytest

from harness.data import mfeat, store, synthetic_msa
from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.sources import load_embedded
from harness.errors import DataUnavailableError


def _split(n: int = 4, **overrides) -> Split:
    fields = {"ids": np.arange(n).astype(str), "labels": np.zeros(n),
              "features": {"a": np.zeros((n, 3), np.float32)}}
    return Split(**(fields | overrides))


@pytest.mark.parametrize("split, message", [
    (_split(labels=np.zeros(0), ids=np.array([]), features={"a": np.zeros((0, 3))}), "empty"),
    (_split(features={"a": np.zeros((3, 3))}), "has 3 samples but there are 4 labels"),
    (_split(features={"a": np.array([[np.nan, 0, 0]] * 4)}), "NaN/inf values in 4 samples"),
    (_split(features={"a": np.zeros((4, 5, 2))}, lengths={"a": np.array([1, 2, 6, 1])}), "lengths"),
    (_split(features={"a": np.zeros((4, 5, 2))}), "must be a vector (n, d) or an image"),
])
def test_malformed_split_is_refused_with_location(split: Split, message: str) -> None:
    with pytest.raises(DataError, match="toy/train") as err:
        MultimodalDataset("toy", {"train": split})
    assert message in str(err.value)


def test_embedded_counts_and_disjoint_splits() -> None:
    digits = load_embedded("digits")
    assert {k: len(v) for k, v in digits.splits.items()} == {"train": 1149, "valid": 288, "test": 360}
    ids = [set(s.ids) for s in digits.splits.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    cancer = load_embedded("breast_cancer")
    assert sum(len(s) for s in cancer.splits.values()) == 569
    assert cancer.feature_shape("worst") == (10,)
    assert int(sum(s.labels.sum() for s in cancer.splits.values())) == 212, "212 malignant = positive class"


def test_synthetic_msa_is_seeded_and_fusion_dependent() -> None:
    a = synthetic_msa.generate({"train": 50}, seed=1)
    b = synthetic_msa.generate({"train": 50}, seed=1)
    assert a.fingerprint() == b.fingerprint() != synthetic_msa.generate({"train": 50}, seed=2).fingerprint()
    split = a.split("train")
    assert split.features["text"].shape == (50, 20, 300) and split.features["audio"].shape[2] == 74
    assert split.labels.min() >= -3 and split.labels.max() <= 3
    np.testing.assert_allclose(split.labels * 3, np.round(split.labels * 3), atol=1e-5)
    padded = ~split.mask("vision")
    assert np.all(split.features["vision"][padded] == 0)


def test_pooled_mean_ignores_padding() -> None:
    x = np.array([[[1.0], [3.0], [100.0]]], dtype=np.float32)
    split = Split(ids=np.array(["a"]), labels=np.zeros(1), features={"s": x}, lengths={"s": np.array([2])})
    assert split.pooled("s")[0, 0] == pytest.approx(2.0)


def test_mfeat_csv_copy(shared_data) -> None:
    data = mfeat.read(shared_data / "uci_multiple_features")
    assert {k: len(v) for k, v in data.splits.items()} == {"train": 1400, "valid": 200, "test": 400}
    assert {m: data.feature_shape(m)[0] for m in data.modalities} == mfeat.VIEWS
    assert np.bincount(data.split("test").labels).tolist() == [40] * 10


def test_mfeat_official_whitespace_files_match_csv(shared_data, tmp_path) -> None:
    csv_root = shared_data / "uci_multiple_features"
    for view in mfeat.VIEWS:
        table = np.genfromtxt(csv_root / f"mfeat-{view}.csv", delimiter=",")[1:, :-1]
        np.savetxt(tmp_path / f"mfeat-{view}", table, fmt="%.6g")
    official, csv = mfeat.read(tmp_path), mfeat.read(csv_root)
    np.testing.assert_allclose(official.split("test").features["fou"], csv.split("test").features["fou"], rtol=1e-5)
    np.testing.assert_array_equal(official.split("test").labels, csv.split("test").labels)


def test_mfeat_truncated_file_is_refused(shared_data, tmp_path) -> None:
    for view in mfeat.VIEWS:
        lines = (shared_data / "uci_multiple_features" / f"mfeat-{view}.csv").read_text().splitlines()
        (tmp_path / f"mfeat-{view}.csv").write_text("\n".join(lines[:1500 if view == "kar" else None]))
    with pytest.raises(DataError, match=r"mfeat-kar.csv has shape \(1499, 64\)"):
        mfeat.read(tmp_path)


def test_prepare_roundtrip_and_missing_data_hint(shared_data, tmp_path) -> None:
    with pytest.raises(DataUnavailableError, match="mmrepro data prepare mfeat --from"):
        store.load_dataset("mfeat", tmp_path)
    manifest = store.prepare("mfeat", shared_data / "uci_multiple_features", tmp_path)
    loaded = store.load_dataset("mfeat", tmp_path)
    assert loaded.fingerprint() == manifest["fingerprint"]
    assert manifest["source_files"]["mfeat-pix.csv"] == store.sha256_file(
        shared_data / "uci_multiple_features" / "mfeat-pix.csv")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temp folder may remain"
