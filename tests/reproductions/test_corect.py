"""CORECT's dialogue batching, every arm's fit/predict contract, and ``mmrepro reproduce corect`` end to end on a tiny
IEMOCAP-layout pickle written here."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.cli import main
from harness.data.dataset import MultimodalDataset, Split
from harness.models import get_model, resolve_config
from harness.tasks import get_task
from harness.train import Standardizer
from reproductions.corect.batch import DialogueTensors, speaker_ids, speaker_vocabulary

ARMS = ("corect", "corect-no-rtgcn", "corect-no-pcm", "corect-utterance", "ctx-fusion-token")
DIMS = {"text": 12, "audio": 6, "visual": 5}


def conversation_split(rng: np.random.Generator, lengths: list[int], first: int = 0, classes: int = 4) -> Split:
    """Dialogues stored interleaved and out of turn order, as a loader may store them."""
    dialogue = np.concatenate([np.full(n, first + d) for d, n in enumerate(lengths)])
    turn = np.concatenate([np.arange(n) for n in lengths])
    speaker = np.array(["M" if t % 2 else "F" for t in turn])
    order = rng.permutation(len(turn))
    n = len(turn)
    return Split(ids=np.array([f"d{d}#{t}" for d, t in zip(dialogue, turn, strict=True)])[order],
                 labels=rng.integers(0, classes, n)[order],
                 features={m: rng.normal(size=(n, d)).astype(np.float32)[order] for m, d in DIMS.items()},
                 groups={"dialogue": dialogue[order], "turn": turn[order], "speaker": speaker[order]})


def test_dialogue_tensors_batch_whole_dialogues_in_turn_order() -> None:
    split = conversation_split(np.random.default_rng(0), [4, 2, 5])
    data = DialogueTensors(split, ("text",), Standardizer.fit(split, ("text",)), None, 9, chunk=2,
                           device=torch.device("cpu"))
    assert len(data) == 3
    assert sorted(len(r) for r in data.dialogues) == [2, 4, 5]
    for rows in data.dialogues:  # each dialogue whole, in turn order
        assert len(set(split.groups["dialogue"][rows])) == 1
        assert split.groups["turn"][rows].tolist() == list(range(len(rows)))
    chunks, y = data.batch(np.array([2, 0, 1]))
    lengths = [len(data.dialogues[d]) for d in (2, 0, 1)]
    assert [c.lengths.tolist() for c in chunks] == [lengths[:2], lengths[2:]]  # chunks of 2, in the given order
    rows = np.concatenate([data.dialogues[d] for d in (2, 0, 1)])
    np.testing.assert_array_equal(y.numpy(), split.labels[rows])
    short = int(np.argmin(lengths[:2]))
    assert chunks[0].x["text"][short, max(lengths[:2]) - 1].abs().sum() == 0  # the shorter one is zero-padded
    mean, std = Standardizer.fit(split, ("text",)).stats["text"]
    np.testing.assert_allclose(chunks[0].x["text"][0, 0].numpy(), (split.features["text"][rows[0]] - mean) / std,
                               rtol=1e-5)
    outputs = np.arange(len(split))[:, None].astype(float)  # dialogue-major positions
    back = data.to_rows(outputs)
    assert back[data.order[7], 0] == 7


def test_speakers_global_vocabulary_or_order_of_appearance() -> None:
    split = conversation_split(np.random.default_rng(1), [3, 3])
    assert speaker_vocabulary(split, 9) == {"F": 0, "M": 1}
    assert speaker_vocabulary(split, 1) is None
    dialogues = split.dialogues()
    by_appearance = speaker_ids(split, dialogues, None, 9)
    assert by_appearance[dialogues[0]].tolist() == [0, 1, 0]  # F opens every dialogue here


def tiny_dataset(seed: int = 0) -> MultimodalDataset:
    rng = np.random.default_rng(seed)
    return MultimodalDataset("tiny_conversation", {
        "train": conversation_split(rng, [5, 3, 6, 4, 2, 7]),
        "valid": conversation_split(rng, [4, 3], first=100),
        "test": conversation_split(rng, [5, 2, 3], first=200)})


@pytest.mark.parametrize("arm", ARMS)
def test_every_arm_fits_and_predicts_each_row(arm: str) -> None:
    task = get_task("synth-conversation")
    data = tiny_dataset()
    model_def = get_model(arm)
    model = model_def.build(task, data, resolve_config(model_def, {"epochs": "2", "batch_size": "3"}), 0)
    model.fit(data.split("train"), data.split("valid"))
    test = data.split("test")
    out = model.predict(test)
    assert out.shape == (len(test), task.num_classes)
    np.testing.assert_allclose(out.sum(1), 1.0, atol=1e-5)
    assert model.info.best_epoch in (1, 2) and len(model.info.history) == 2
    # predictions follow the split's rows: predicting a row-permuted copy permutes the outputs
    perm = np.random.default_rng(3).permutation(len(test))
    np.testing.assert_allclose(model.predict(test.subset(perm)), out[perm], atol=1e-5)


def test_context_free_arm_refuses_context_parts() -> None:
    model_def = get_model("corect-utterance")
    cfg = dataclasses.replace(resolve_config(model_def), rtgcn=True)
    with pytest.raises(Exception, match="context=false"):
        model_def.build(get_task("synth-conversation"), tiny_dataset(), cfg, 0)


def iemocap_pickle(path: Path, n_train: int = 20, n_test: int = 4) -> Path:
    """The published 9-tuple (ids, speakers, labels, text, audio, visual, sentences, train_ids, test_ids)."""
    rng = np.random.default_rng(0)
    names = [f"Ses0{1 + i % 4}F_impro{i:02d}" for i in range(n_train)] + [f"Ses05M_script{i}" for i in range(n_test)]
    lens = {d: int(rng.integers(3, 8)) for d in names}
    fields = (
        {d: d for d in names},
        {d: ["M" if i % 2 else "F" for i in range(lens[d])] for d in names},
        {d: rng.integers(0, 6, lens[d]).tolist() for d in names},
        {d: [rng.standard_normal(100).astype(np.float32) for _ in range(lens[d])] for d in names},
        {d: [rng.standard_normal(100) for _ in range(lens[d])] for d in names},
        {d: [rng.standard_normal(512) for _ in range(lens[d])] for d in names},
        {d: [f"sentence {i}" for i in range(lens[d])] for d in names},
        names[:n_train],
        names[n_train:],
    )
    path.write_bytes(pickle.dumps(fields, protocol=2))
    return path


def test_reproduce_corect_end_to_end_on_a_tiny_iemocap_pickle(tmp_path: Path, monkeypatch) -> None:
    from harness.papers import REPRODUCTIONS

    monkeypatch.setenv("MMREPRO_DATA", str(tmp_path / "data"))
    pkl = iemocap_pickle(tmp_path / "IEMOCAP_features.pkl")
    assert main(["data", "prepare", "iemocap_6", "--from", str(pkl)]) == 0
    reproduction = REPRODUCTIONS.get("corect")
    # Smoke settings on the IEMOCAP groups only (the SYNTHETIC groups would take minutes; MELD is not prepared
    # under tmp_path), and the claims read with the same settings, as the contract test does.
    smoke, full, claims = reproduction.smoke_overrides(), reproduction.suite(), reproduction.claims()
    iemocap = tuple(dataclasses.replace(g, overrides={**g.overrides, **smoke}) for g in full.groups
                    if "iemocap-6" in g.tasks)

    def smoked(arm):
        return arm if arm is None else dataclasses.replace(
            arm, overrides=tuple(sorted({**dict(arm.overrides), **smoke}.items())))

    claims = [dataclasses.replace(c, arm=smoked(c.arm), a=smoked(c.a), b=smoked(c.b)) for c in claims]
    monkeypatch.setattr(type(reproduction), "suite", lambda self: dataclasses.replace(full, groups=iemocap))
    monkeypatch.setattr(type(reproduction), "claims", lambda self: claims)
    results = tmp_path / "results"
    assert main(["-q", "--results", str(results), "reproduce", "corect", "--seeds", "0,1"]) == 0
    report = json.loads((results / "reproductions" / "corect.json").read_text())
    rows = {row["claim"]: row for row in report} if isinstance(report, list) else \
        {row["claim"]: row for row in report["claims"]}
    assert rows["corect-iemocap6-wf1"]["verdict"] not in ("not run: data unavailable", "not run: no records")
    assert rows["fusion-token-beats-corect-iemocap6"]["verdict"] not in ("not run: data unavailable",
                                                                          "not run: no records")
    assert rows["corect-iemocap4-wf1"]["verdict"] == "not run: data unavailable"
    assert rows["fusion-token-beats-corect-mosei"]["verdict"] == "not run: data unavailable"
    for ext in ("md", "tex", "csv"):
        assert "corect-iemocap6-wf1" in (results / "reproductions" / f"corect.{ext}").read_text()
    records = list((results / "runs" / "iemocap-6" / "corect").glob("*.json"))
    assert len(records) == 2
