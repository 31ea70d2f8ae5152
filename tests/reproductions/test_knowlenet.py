"""KnowleNet: the knowledge-stream inputs, the contrastive term, the dataset reader and every arm end to end."""

import numpy as np
import pytest
import torch

import reproductions  # noqa: F401  (registers the paper's models, datasets and tasks)
from harness.data.dataset import MultimodalDataset, Split
from harness.models import get_model
from harness.tasks import TASKS
from reproductions.knowlenet.contrast import supervised_contrastive
from reproductions.knowlenet.data import read_knowledge
from reproductions.knowlenet.knowledge import minilm_word_vectors, similarity_sequences, words

ARMS = ["knowlenet", "knowlenet-no-knowledge", "knowlenet-no-pca", "knowlenet-no-contrast", "knowlenet-base",
        "knowlenet-text"]


def test_words_drop_placeholders_and_read_hashtags():
    assert words("Great <user> weather #NotReally emoji_92 !") == ["great", "weather", "notreally", "emoji"]


def test_similarity_sequences_handle_out_of_vocabulary_words():
    vectors = {"rain": np.array([1.0, 0.0]), "sun": np.array([0.0, 2.0]), "wet": np.array([1.0, 1.0])}
    sims, lengths, stats = similarity_sequences(["rain zzz sun", "qqq"], ["wet sun xx yy zz", "rain"], vectors,
                                                max_words=4)
    assert sims.shape == (2, 4, 5) and lengths.tolist() == [2, 1]
    np.testing.assert_allclose(sims[0, 0, :2], [np.sqrt(0.5), 0.0], atol=1e-6)  # rain vs (wet, sun)
    np.testing.assert_allclose(sims[0, 1, :2], [np.sqrt(0.5), 1.0], atol=1e-6)  # sun vs (wet, sun)
    assert not sims[0, :, 2:].any() and not sims[1].any()  # OOV attribute columns and the word-less tweet are 0
    assert stats["tweets_without_known_words"] == 1.0 and stats["text_word_coverage"] == pytest.approx(2 / 4)


def test_minilm_substitute_is_static_and_semantic():
    v = minilm_word_vectors(["dog", "puppy", "politics"])
    cos = {k: float(v["dog"] @ v[k] / np.linalg.norm(v["dog"]) / np.linalg.norm(v[k])) for k in ("puppy", "politics")}
    assert v["dog"].shape == (384,) and cos["puppy"] > cos["politics"] + 0.1


def test_supervised_contrastive_prefers_class_clusters():
    labels = torch.tensor([0, 0, 1, 1])
    clustered = torch.tensor([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    mixed = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0]])
    assert supervised_contrastive(clustered, labels, 0.1) < supervised_contrastive(mixed, labels, 0.1)
    z = torch.randn(3, 2, requires_grad=True)
    loss = supervised_contrastive(z, torch.tensor([0, 1, 2]), 0.1)  # no anchor has a positive
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(z.grad).all()


def _toy(n: int, seed: int, max_words: int = 6) -> Split:
    """Sarcastic when the tweet's words are unrelated to the attribute words (low similarity) or the text says so."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    text = rng.normal(size=(n, 8)).astype(np.float32)
    text[:, 0] += y
    attributes = rng.normal(size=(n, 8)).astype(np.float32)
    lengths = rng.integers(1, max_words + 1, n)
    sims = rng.uniform(-0.2, 1.0, size=(n, max_words, 5)).astype(np.float32) - 0.6 * y[:, None, None]
    sims[np.arange(max_words)[None, :] >= lengths[:, None]] = 0
    return Split(ids=np.array([f"t{seed}-{i}" for i in range(n)]), labels=y,
                 features={"text": text, "attributes": attributes, "knowledge": sims}, lengths={"knowledge": lengths})


@pytest.mark.parametrize("arm", ARMS)
def test_every_arm_trains_selects_on_valid_and_predicts_probabilities(arm):
    data = MultimodalDataset("mmsd_knowledge", {"train": _toy(96, 0), "valid": _toy(48, 1), "test": _toy(48, 2)})
    model_def = get_model(arm)
    model = model_def.build(TASKS.get("mmsd-knowledge"), data, model_def.config_cls(epochs=2, p=6, hidden=8), 0)
    model.fit(data.split("train"), data.split("valid"))
    out = model.predict(data.split("test"))
    assert out.shape == (48, 2) and np.allclose(out.sum(1), 1.0)
    assert model.info.best_epoch in (1, 2) and "valid_f1_pos" in model.info.history[0]
    assert ("contrast" in model.info.history[0]) == (arm not in ("knowlenet-no-contrast", "knowlenet-base"))
    streams = model.info.extras["streams"]
    assert ("knowledge" in streams) == (arm in ("knowlenet", "knowlenet-no-pca", "knowlenet-no-contrast"))
    assert ("pca" in streams) == (arm in ("knowlenet", "knowlenet-no-knowledge", "knowlenet-no-contrast"))


def test_knowledge_pooling_alternative_and_bad_settings():
    data = MultimodalDataset("mmsd_knowledge", {"train": _toy(64, 0), "valid": _toy(32, 1), "test": _toy(32, 2)})
    model_def = get_model("knowlenet")
    cfg = model_def.config_cls(epochs=1, p=4, hidden=8, knowledge_pooling="pool", discrepancy="squares")
    model = model_def.build(TASKS.get("mmsd-knowledge"), data, cfg, 0)
    model.fit(data.split("train"), data.split("valid"))
    assert np.isfinite(model.predict(data.split("test"))).all()
    with pytest.raises(Exception, match="knowledge_pooling"):
        model_def.config_cls(knowledge_pooling="mean")


class _FakeEncoder:
    """Deterministic stand-in for the MiniLM sentence encoder (the reader's own logic is under test)."""

    def sentences(self, texts):
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=4) for t in texts]).astype(np.float32)


def test_reader_adds_the_knowledge_modality_from_a_numberbatch_file(tmp_path):
    rows = {"train.txt": [("1", "rain again , great", 1), ("2", "sunny beach day", 0)],
            "valid2.txt": [("3", "love rain", 1, 1)], "test2.txt": [("4", "beach sun", 0, 0)]}
    for name, items in rows.items():
        (tmp_path / name).write_text("".join(repr(list(r)) + "\n" for r in items))
    (tmp_path / "image_attributes_extract_all.txt").write_text(
        "".join(repr([str(i), "sun", "beach", "water", "sky", "people"]) + "\n" for i in range(1, 5)))
    nb = tmp_path / "nb.txt"
    nb.write_text("3 2\nrain 1 0\nsun 0 1\nbeach 0.6 0.8\n")
    result = read_knowledge(tmp_path, base="mmsd", words="numberbatch", numberbatch=str(nb), encoder=_FakeEncoder())
    train = result.dataset.split("train")
    assert result.dataset.name == "mmsd_numberbatch" and train.lengths["knowledge"].tolist() == [1, 1]
    np.testing.assert_allclose(train.features["knowledge"][0, 0], [0, 0.6, 0, 0, 0], atol=1e-6)  # rain vs sun, beach
    assert result.notes["vocabulary_without_vector"] > 0 and nb in result.extra_sources
    words5 = ["sun", "beach", "water", "sky", "people"]
    np.testing.assert_allclose(train.features["attributes"][0], _FakeEncoder().sentences(words5).mean(0), rtol=1e-6)
    with pytest.raises(Exception, match="numberbatch=PATH"):
        read_knowledge(tmp_path, base="mmsd", words="numberbatch", encoder=_FakeEncoder())
