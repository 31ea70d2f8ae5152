"""EquiAV's AudioSet / VGGSound readers (CAV-MAE JSON + label CSV + pre-extracted npz features), through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import reproductions.equiav  # noqa: F401  (registers the datasets)
from harness.cli import main
from harness.data.store import load_dataset, read_manifest

MIDS = [f"/m/{i:04x}" for i in range(527)]


def _write(root: Path, entries: dict[str, list[tuple[str, str]]], classes: int = 527,
           feature_ids: dict[str, list[str]] | None = None) -> Path:
    """CAV-MAE layout under ``root``: <split>.json, the label CSV, and features/<split>.npz (T=4, d=3)."""
    root.mkdir()
    with (root / "class_labels_indices.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "mid", "display_name"])
        w.writerows([i, MIDS[i], f"class {i}"] for i in range(classes))
    feats = root / "features"
    feats.mkdir()
    for split, rows in entries.items():
        data = [{"video_id": v, "wav": f"/x/{v}.flac", "video_path": "/x/frames", "labels": lab} for v, lab in rows]
        (root / f"{split}.json").write_text(json.dumps({"data": data}))
        ids = (feature_ids or {}).get(split, [v for v, _ in rows])
        n = len(ids)
        audio = np.arange(n * 12, dtype=np.float32).reshape(n, 4, 3)
        image = np.ones((n, 5), dtype=np.float32) * np.arange(n)[:, None]
        np.savez(feats / f"{split}.npz", ids=np.array(ids), audio=audio, audio_len=np.full(n, 4) - np.arange(n) % 2,
                 image=image)
    return root


def _prepare(name: str, root: Path, *extra: str) -> int:
    return main(["-q", "data", "prepare", name, "--from", str(root), "--option", f"features={root / 'features'}",
                 *extra])


AS_ROWS = {"train": [("a1", f"{MIDS[0]},{MIDS[3]}"), ("a2", MIDS[526]), ("a3", f"{MIDS[3]}")],
           "test": [("b1", f"{MIDS[1]},{MIDS[2]},{MIDS[5]}"), ("b2", MIDS[0])]}


def test_audioset_is_prepared_multi_hot_in_json_order(tmp_path: Path) -> None:
    root = _write(tmp_path / "as", AS_ROWS, feature_ids={"train": ["extra", "a3", "a2", "a1"], "test": ["b1", "b2"]})
    assert _prepare("audioset_20k", root) == 0
    data = load_dataset("audioset_20k")
    train, test = data.split("train"), data.split("test")
    assert list(train.ids) == ["a1", "a2", "a3"] and list(test.ids) == ["b1", "b2"]
    assert train.labels.shape == (3, 527) and set(np.unique(train.labels)) == {0, 1}
    assert np.flatnonzero(train.labels[0]).tolist() == [0, 3] and np.flatnonzero(train.labels[1]).tolist() == [526]
    assert test.labels.sum(axis=1).tolist() == [3, 1]
    # features follow the ids, not the npz order: a1 was row 3 of the npz
    assert train.features["image"][:, 0].tolist() == [3.0, 2.0, 1.0]
    assert train.features["audio"].shape == (3, 4, 3) and train.lengths["audio"].tolist() == [3, 4, 3]
    assert read_manifest("audioset_20k")["notes"]["unused_feature_rows"] == {"train": 1, "test": 0}


def test_vggsound_is_single_label_and_refuses_two_labels(tmp_path: Path, capsys) -> None:
    rows = {"train": [("v1", MIDS[308]), ("v2", MIDS[7])], "test": [("v3", MIDS[0])]}
    assert _prepare("vggsound", _write(tmp_path / "vgg", rows, classes=309)) == 0
    y = load_dataset("vggsound").split("train").labels
    assert y.dtype == np.int64 and y.tolist() == [308, 7]
    rows["test"] = [("v3", f"{MIDS[0]},{MIDS[1]}")]
    assert _prepare("vggsound", _write(tmp_path / "vgg2", rows, classes=309)) == 2
    assert "clip 'v3' has 2 labels" in capsys.readouterr().err


@pytest.mark.parametrize(("case", "message"), [
    ("no-features", "no features for 1 of 2 clips of test.json (first 'b2')"),
    ("unknown-mid", "1 label mid(s) not in the label CSV (e.g. '/m/zzzz')"),
    ("wrong-csv", "this dataset has 527 classes"),
    ("no-split", "test.json not found in"),
])
def test_bad_sources_are_refused_in_one_line(tmp_path: Path, capsys, case: str, message: str) -> None:
    rows = {k: list(v) for k, v in AS_ROWS.items()}
    ids = None
    if case == "no-features":
        ids = {"test": ["b1"]}
    if case == "unknown-mid":
        rows["train"][0] = ("a1", "/m/zzzz")
    root = _write(tmp_path / "as", rows, classes=309 if case == "wrong-csv" else 527, feature_ids=ids)
    if case == "no-split":
        (root / "test.json").unlink()
    assert _prepare("audioset_20k", root) == 2
    err = capsys.readouterr().err
    assert err.startswith("mmrepro: error: ") and err.count("\n") == 1 and message in err, err


def test_features_option_is_required(tmp_path: Path, capsys) -> None:
    root = _write(tmp_path / "as", AS_ROWS)
    assert main(["-q", "data", "prepare", "audioset_2m", "--from", str(root)]) == 2
    assert "--option features=DIR" in capsys.readouterr().err


def test_poster_claims_give_the_prepare_command(tmp_path: Path) -> None:
    from harness.claims.ledger import Ledger
    from harness.papers import REPRODUCTIONS

    claims = [c for c in REPRODUCTIONS.get("equiav").claims() if not c.task]
    assert len(claims) >= 21
    ledger = Ledger(tmp_path)
    for claim in claims:
        verdict = ledger.judge(claim)
        assert verdict.outcome.startswith("not run: data unavailable"), claim.key
        assert f"Run: mmrepro data prepare {claim.dataset} --from DIR_WITH_" in verdict.detail, verdict.detail
        assert "--option features=DIR_WITH_" in verdict.detail
