"""MELD, MMSD and MMSD 2.0 on the real shared copies: counts, order, filter, labels, and the text encoder.

Full-size checks use a stand-in encoder (a hash of the text) so they run in seconds; the real MiniLM
encoder is exercised on a few rows (model load dominates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.data import meld, mmsd, store
from harness.data.dataset import DataError
from harness.data.text_encoder import TextEncoder


class HashEncoder:
    """Deterministic 4-d stand-in for the sentence encoder: equal texts get equal vectors."""

    def sentences(self, texts):
        return np.array([[(hash(t) >> s) % 101 / 101.0 for s in (0, 8, 16, 24)] for t in texts], dtype=np.float32)


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder()


def test_meld_counts_order_and_labels(shared_data: Path) -> None:
    data = meld.read(shared_data / "meld", encoder=HashEncoder()).dataset
    assert {s: len(sp) for s, sp in data.splits.items()} == {"train": 9989, "valid": 1109, "test": 2610}
    test = data.split("test")
    # README counts for test: neutral 1256, surprise 281, fear 50, sadness 208, joy 402, disgust 68, anger 345
    assert np.bincount(test.labels).tolist() == [1256, 281, 50, 208, 402, 68, 345]
    assert test.ids[0] == "test/dia0_utt0" and test.ids[1] == "test/dia0_utt1"
    # README counts: 1038 / 114 / 280 dialogues (train id 60 is absent), 260 / 47 / 100 speakers
    assert {s: len(sp.dialogues()) for s, sp in data.splits.items()} == {"train": 1038, "valid": 114, "test": 280}
    assert {s: len(set(sp.groups["speaker"])) for s, sp in data.splits.items()} == \
        {"train": 260, "valid": 47, "test": 100}
    for rows in test.dialogues():  # group fields agree with the clip ids, dialogues come in utterance order
        turns = test.groups["turn"][rows]
        assert (np.diff(turns) > 0).all()
        assert test.ids[rows].tolist() == [f"test/dia{test.groups['dialogue'][rows[0]]}_utt{t}" for t in turns]
    first = test.dialogues()[0]
    assert test.groups["speaker"][first][:3].tolist() == ["Mark", "Rachel", "Rachel"]
    sentiment = meld.read(shared_data / "meld", target="sentiment", encoder=HashEncoder()).dataset
    assert np.bincount(sentiment.split("train").labels).tolist() == [4710, 2334, 2945]  # neu / pos / neg


def test_meld_missing_column_is_named(tmp_path: Path, shared_data: Path) -> None:
    for name in meld.FILES.values():
        text = (shared_data / "meld" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("Emotion", "Feeling", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"train_sent_emo.csv lacks column\(s\) \['Emotion'\]"):
        meld.read_tables(tmp_path)


def test_mmsd_keyword_filter_and_label_choice(shared_data: Path) -> None:
    result = mmsd.read_mmsd(shared_data / "mmsd_twitter", encoder=HashEncoder())
    counts = result.notes["counts"]
    assert [counts[s]["after_keyword_filter"] for s in ("train", "valid", "test")] == [19816, 2410, 2409]
    assert counts["train"]["raw"] == 29040 and counts["train"]["dropped"] == 9224
    labels = result.notes["labels"]
    assert (labels["test"]["sarcastic"], labels["test"]["not"]) == (959, 1450)  # annotator label (last element)
    by_hashtag = mmsd.read_mmsd(shared_data / "mmsd_twitter", label="hashtag", encoder=HashEncoder())
    assert by_hashtag.notes["labels"]["test"]["sarcastic"] == 1005
    assert mmsd.keyword_filter([("1", "what a joke", 1), ("2", "jokester", 1)]) == [("2", "jokester", 1)]


def test_mmsd2_counts_and_attributes(shared_data: Path) -> None:
    attributes = shared_data / "mmsd_twitter" / mmsd.ATTRIBUTES
    result = mmsd.read_mmsd2(shared_data / "mmsd2", attributes=str(attributes), encoder=HashEncoder())
    assert {s: (v["n"], v["sarcastic"]) for s, v in result.notes["labels"].items()} == {
        "train": (19816, 9576), "valid": (2410, 1042), "test": (2409, 1037)}
    assert result.extra_sources == (attributes,)
    with pytest.raises(DataError, match="--option attributes="):
        mmsd.read_mmsd2(shared_data / "mmsd2", encoder=HashEncoder())


def test_mmsd_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "train.txt").write_text("['1', 'fine', 0]\n['2', 'broken\n")
    with pytest.raises(DataError, match=r"train.txt:2: not a Python literal"):
        mmsd.read_mmsd_rows(tmp_path)


def test_real_encoder_caches_by_content(tmp_path: Path, encoder: TextEncoder) -> None:
    cached = TextEncoder(cache=tmp_path)
    cached._model = encoder._load_model()  # share the loaded weights; the cache is what is under test
    a = cached.sentences(["oh my god", "how you doin'", "oh my god"])
    assert a.shape == (3, 384) and cached.encoded == 2
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a[0], a[2])
    again = TextEncoder(cache=tmp_path)
    np.testing.assert_array_equal(again.sentences(["how you doin'"])[0], a[1])
    assert again.encoded == 0 and again._model is None  # served from disk, model never loaded
    tokens, lengths = cached.tokens(["oh my god"], max_len=8)
    assert tokens.shape == (1, 8, 384) and lengths.tolist() == [5]  # [CLS] oh my god [SEP]


def test_meld_subset_prepares_with_real_encoder(shared_data: Path, encoder: TextEncoder) -> None:
    import harness.data.meld as module

    original = module.TextEncoder
    module.TextEncoder = lambda: encoder
    try:
        manifest = store.prepare("meld_emotion", shared_data / "meld", options={"limit": "12"})
    finally:
        module.TextEncoder = original
    assert manifest["splits"] == {"train": 12, "valid": 12, "test": 12}
    assert manifest["features"]["text"] == {"shape": [384], "dtype": "float32", "sequence": False}
    assert manifest["notes"]["limit_rows_per_split"] == 12
    test = store.load_dataset("meld_emotion").split("test")
    assert test.features["text"].shape == (12, 384)
    assert set(manifest["groups"]) == {"dialogue", "turn", "speaker"}
    assert [len(rows) for rows in test.dialogues()] == [3, 8, 1]  # the first 12 rows cut test dialogue 2
    assert test.groups["speaker"][:3].tolist() == ["Mark", "Rachel", "Rachel"]
