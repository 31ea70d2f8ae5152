"""AV-digits on the real FSDD copy: speaker-disjoint splits, same-digit pairs, disjoint image pools, log-mel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from harness.data import av_digits
from harness.data.dataset import DataError


@pytest.fixture(scope="module")
def parts(shared_data: Path):
    return av_digits.read(shared_data / "fsdd"), av_digits.read(shared_data / "fsdd", retrieval=True)


def test_splits_are_speaker_disjoint_and_pairs_share_the_digit(parts) -> None:
    result, _ = parts
    data = result.dataset
    assert {s: len(sp) for s, sp in data.splits.items()} == {"train": 2000, "valid": 500, "test": 500}
    speakers = {s: {i.split("_")[1] for i in sp.ids} for s, sp in data.splits.items()}
    assert speakers["test"] == {"theo"} and speakers["valid"] == {"nicolas"}
    assert speakers["train"] == {"george", "jackson", "lucas", "yweweler"}
    images = load_digits()
    lookup = {tuple((images.data[i] / 16).round(4)): images.target[i] for i in range(len(images.data))}
    for split in data.splits.values():
        assert all(int(i.split("_")[0]) == y for i, y in zip(split.ids, split.labels, strict=True))
        assert all(lookup[tuple(x.round(4))] == y for x, y in zip(split.features["image"], split.labels, strict=True))
    seen = [{tuple(x) for x in sp.features["image"]} for sp in data.splits.values()]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])


def test_group_fields_name_the_speaker_and_the_paired_image(parts) -> None:
    images = load_digits().data / 16.0
    for result in parts:
        for split in result.dataset.splits.values():
            assert split.groups["speaker"].tolist() == [i.split("_")[1] for i in split.ids]
            np.testing.assert_allclose(split.features["image"], images[split.groups["pair"]], rtol=1e-6)
    classification = parts[0].dataset.split("train")
    shared = len(classification) - len(set(classification.groups["pair"].tolist()))
    assert shared > 0, "train clips outnumber train images, so some clips share a pair id"
    for split in parts[1].dataset.splits.values():  # retrieval keeps one clip per image
        assert len(set(split.groups["pair"].tolist())) == len(split)


def test_audio_is_a_variable_length_log_mel_sequence(parts) -> None:
    test = parts[0].dataset.split("test")
    assert test.features["audio"].shape[2] == av_digits.N_MELS
    assert test.lengths["audio"].min() >= 5 and test.lengths["audio"].max() <= test.features["audio"].shape[1]
    # 10 ms hop at 8 kHz: a clip of s samples has 1 + (s - 256) // 80 frames
    assert (test.features["audio"][~test.mask("audio")] == 0).all()


def test_mel_filters_cover_the_band_once() -> None:
    filters = av_digits.mel_filterbank()
    assert filters.shape == (40, 129) and (filters >= 0).all() and filters.max() <= 1.0 + 1e-9
    assert (filters.sum(axis=0)[2:-1] > 0).all()  # every interior frequency bin is covered


def test_retrieval_variant_has_distinct_images_and_diagonal_targets(parts) -> None:
    result = parts[1]
    for name, split in result.dataset.splits.items():
        np.testing.assert_array_equal(split.labels, np.arange(len(split)))
        assert len({tuple(x) for x in split.features["image"]}) == len(split)
        assert result.notes["counts"][name]["clips"] - result.notes["counts"][name]["kept"] >= 0
    assert len(result.dataset.split("test")) == 300


def test_bad_wav_and_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0_theo_0.wav").write_bytes(b"RIFF\x00\x00")
    with pytest.raises(DataError, match="split 'train' has no recordings"):
        av_digits.read(tmp_path)
    with pytest.raises(DataError, match="0_theo_0.wav.*truncated"):
        av_digits._read_wav(tmp_path / "0_theo_0.wav")
    (tmp_path / "0_theo_0.wav").unlink()
    (tmp_path / "zero.wav").write_bytes(b"")
    with pytest.raises(DataError, match="digit_speaker_index"):
        av_digits.read(tmp_path)
