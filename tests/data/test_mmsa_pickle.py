"""MMSA pickles (thuiar/MMSA data_loader.py layout): exact-layout fixtures, round trip, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.data import mmsa_pickle, store
from harness.data.dataset import DataError
from harness.data.synthetic_msa import generate
from harness.errors import UserError

SIZES = {"train": 6, "valid": 3, "test": 4}


def mmsa_layout(aligned: bool, seed: int = 0) -> dict:
    """A tiny pickle payload in MMSA's layout (MOSI dims: text 768, audio 5, vision 20; T = 50)."""
    rng = np.random.default_rng(seed)
    data = {}
    for split, n in SIZES.items():
        t_a, t_v = (50, 50) if aligned else (37, 45)
        text = rng.standard_normal((n, 50, 768)).astype(np.float32)
        words = rng.integers(3, 50, size=n)
        text[np.arange(50)[None, :] >= words[:, None]] = 0  # trailing zero padding, as published
        part = {
            "id": np.array([f"vid{split}{i}$_${i}" for i in range(n)], dtype=object),
            "raw_text": np.array([f"words of clip {i}" for i in range(n)], dtype=object),
            "text": text,
            "text_bert": np.stack([rng.integers(0, 30000, (n, 50)), np.ones((n, 50)), np.zeros((n, 50))], axis=1)
            .astype(np.float32),
            "audio": rng.standard_normal((n, t_a, 5)).astype(np.float32),
            "vision": rng.standard_normal((n, t_v, 20)).astype(np.float32),
            "regression_labels": np.round(rng.uniform(-3, 3, n), 1).astype(np.float32),
            "classification_labels": rng.integers(0, 3, n).astype(np.float32),
        }
        if not aligned:
            for m, t in (("audio", t_a), ("vision", t_v)):
                lengths = rng.integers(1, t + 1, n)
                part[m][np.arange(t)[None, :] >= lengths[:, None]] = 0
                part[f"{m}_lengths"] = lengths.tolist()
        data[split] = part
    return data


def dump(data: dict, path: Path) -> Path:
    path.write_bytes(pickle.dumps(data, protocol=4))
    return path


def test_aligned_layout_reads_with_full_lengths_and_text_length_from_padding(tmp_path: Path) -> None:
    data = mmsa_layout(aligned=True)
    out = mmsa_pickle.read(dump(data, tmp_path / "aligned_50.pkl")).dataset
    train = out.split("train")
    np.testing.assert_array_equal(train.labels, data["train"]["regression_labels"])
    np.testing.assert_array_equal(train.features["audio"], data["train"]["audio"])
    assert (train.lengths["audio"] == 50).all() and (train.lengths["vision"] == 50).all()
    expected = [int(np.flatnonzero(np.abs(t).sum(1))[-1]) + 1 for t in data["train"]["text"]]
    assert train.lengths["text"].tolist() == expected
    assert train.ids[0] == "vidtrain0$_$0"


def test_unaligned_layout_uses_published_lengths(tmp_path: Path) -> None:
    data = mmsa_layout(aligned=False)
    folder = tmp_path / "MOSI"
    folder.mkdir()
    dump(data, folder / "unaligned_50.pkl")
    test = mmsa_pickle.read(folder).dataset.split("test")  # a folder with one MMSA pickle is accepted
    assert test.lengths["vision"].tolist() == data["test"]["vision_lengths"]
    assert test.features["audio"].shape == (4, 37, 5)


def test_prepare_round_trip_keeps_arrays_and_fingerprint(tmp_path: Path) -> None:
    path = dump(mmsa_layout(aligned=False), tmp_path / "unaligned_50.pkl")
    direct = mmsa_pickle.read(path, name="mosi").dataset
    manifest = store.prepare("mosi", path)
    loaded = store.load_dataset("mosi")
    assert manifest["fingerprint"] == direct.fingerprint() == loaded.fingerprint()
    assert manifest["splits"] == SIZES and manifest["features"]["audio"] == {
        "shape": [37, 5], "dtype": "float32", "sequence": True}
    for split in SIZES:
        for m in ("text", "audio", "vision"):
            np.testing.assert_array_equal(loaded.split(split).features[m], direct.split(split).features[m])
    assert store.verify("mosi") == []
    path.write_bytes(path.read_bytes() + b"x")
    assert any("changed" in p for p in store.verify("mosi"))


def test_synth_msa_exports_to_the_layout_and_reads_back(tmp_path: Path) -> None:
    synth = generate(sizes={"train": 20, "valid": 5, "test": 5})
    path = mmsa_pickle.write(synth, tmp_path / "unaligned_50.pkl")
    raw = pickle.loads(path.read_bytes())
    assert set(raw["train"]) == set(mmsa_pickle.REQUIRED) | {"audio_lengths", "vision_lengths"}
    back = mmsa_pickle.read(path, name="synth_msa").dataset
    for split in ("train", "valid", "test"):
        for m in ("audio", "vision"):
            np.testing.assert_array_equal(back.split(split).features[m], synth.split(split).features[m])
            np.testing.assert_array_equal(back.split(split).lengths[m], synth.split(split).lengths[m])
        np.testing.assert_array_equal(back.split(split).labels, synth.split(split).labels)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["train"].pop("vision"), "missing key.*vision"),
    (lambda d: d.pop("valid"), "missing split.*valid"),
    (lambda d: d["test"].update(audio=d["test"]["audio"][:2]), "'audio' has 2 rows but regression_labels has 4"),
    (lambda d: d["train"].update(audio=d["train"]["audio"][:, :, 0]), r"'audio' must be \(n, T, d\)"),
    (lambda d: d["test"].update({k: v[:0] for k, v in d["test"].items()}), "test: the split is empty"),
])
def test_bad_input_names_file_split_and_key(tmp_path: Path, mutate, message: str) -> None:
    data = mmsa_layout(aligned=True)
    mutate(data)
    path = dump(data, tmp_path / "aligned_50.pkl")
    with pytest.raises(DataError, match=message) as err:
        mmsa_pickle.read(path)
    assert str(path) in str(err.value)


def test_nonfinite_is_refused_by_default_and_counted_when_zeroed(tmp_path: Path) -> None:
    data = mmsa_layout(aligned=True)
    data["train"]["audio"][0, 3, :2] = -np.inf  # MOSEI's COVAREP audio carries -inf
    data["valid"]["vision"][1, 0, 0] = np.nan
    path = dump(data, tmp_path / "aligned_50.pkl")
    with pytest.raises(DataError, match="train/audio: 2 NaN/inf values; prepare again with --nonfinite zero"):
        store.prepare("mosi", path)
    assert not (store.data_root() / "mosi").exists()
    assert list(store.data_root().glob(".mosi-*")) == []  # no half-written temp dir either
    manifest = store.prepare("mosi", path, options={"nonfinite": "zero"})
    assert manifest["notes"]["nonfinite"] == {f"{path}:train/audio": 2, f"{path}:valid/vision": 1}
    assert np.isfinite(store.load_dataset("mosi").split("train").features["audio"]).all()


def test_cli_errors_exit_2_and_leave_nothing(tmp_path: Path, capsys) -> None:
    cut = tmp_path / "aligned_50.pkl"
    cut.write_bytes(pickle.dumps(mmsa_layout(aligned=True))[:5000])
    assert main(["data", "prepare", "mosi", "--from", str(cut)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert main(["data", "prepare", "mosii", "--from", str(cut)]) == 2
    assert "Did you mean 'mosi'" in capsys.readouterr().err
    assert main(["data", "prepare", "mosi", "--from", str(tmp_path / "absent.pkl")]) == 2
    assert not store.is_prepared("mosi")


def test_cli_prepare_info_verify_list(tmp_path: Path, capsys) -> None:
    path = dump(mmsa_layout(aligned=True), tmp_path / "aligned_50.pkl")
    assert main(["-q", "data", "prepare", "mosei", "--from", str(path)]) == 0
    assert main(["-q", "data", "verify", "mosei"]) == 0
    assert main(["-q", "data", "list"]) == 0
    assert main(["-q", "data", "info", "mosei"]) == 0
    out = capsys.readouterr().out
    assert "intact" in out and '"layout": "aligned_50.pkl"' in out
    assert any(line.startswith("mosei") and "prepared" in line for line in out.splitlines())
    with pytest.raises(UserError, match="does not accept"):
        store.prepare("mosei", path, options={"colour": "red"})
