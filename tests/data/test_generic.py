"""Your own data: npz / parquet / HF folders + dataset.toml, prepared with --format generic and run from a task file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.cli import main
from harness.data import generic, store
from harness.data.dataset import DataError
from harness.data.sources import DATASETS
from harness.errors import UserError

TOML = """description = "two sensors"
format = "{fmt}"
splits = ["train", "valid", "test"]
label = "y"
[modalities]
accel = {{ column = "accel" }}
gyro = {{ column = "gyro" }}
"""


def _arrays(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    y = rng.integers(0, 3, n)
    return {"y": y, "accel": rng.standard_normal((n, 4)) + y[:, None], "gyro": rng.standard_normal((n, 3))}


def make_folder(root: Path, fmt: str) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir()
    (root / "dataset.toml").write_text(TOML.format(fmt=fmt))
    parts = {s: _arrays(n, rng) for s, n in (("train", 60), ("valid", 20), ("test", 20))}
    for split, cols in parts.items():
        if fmt == "npz":
            np.savez(root / f"{split}.npz", **cols)
        elif fmt == "parquet":
            frame = pd.DataFrame({k: list(v) if v.ndim > 1 else v for k, v in cols.items()})
            frame.to_parquet(root / f"{split}.parquet")
    if fmt == "hf":
        import datasets

        datasets.DatasetDict({s: datasets.Dataset.from_dict({k: v.tolist() for k, v in c.items()})
                              for s, c in parts.items()}).save_to_disk(str(root / "hf"))
    return root


@pytest.mark.parametrize("fmt", ["npz", "parquet", "hf"])
def test_each_generic_format_prepares(tmp_path: Path, fmt: str) -> None:
    folder = make_folder(tmp_path / "mine", fmt)
    manifest = store.prepare(f"my_{fmt}", folder, fmt="generic")
    assert manifest["splits"] == {"train": 60, "valid": 20, "test": 20} and manifest["format"] == "generic"
    data = store.load_dataset(f"my_{fmt}")
    assert data.feature_shape("accel") == (4,) and data.split("test").ids[0] == "test-0"
    DATASETS.remove(f"my_{fmt}")


def test_generic_dataset_runs_from_an_included_task_file(tmp_path: Path, capsys) -> None:
    folder = make_folder(tmp_path / "mine", "npz")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "my-activity.toml").write_text(
        'name = "my-activity"\nversion = 1\ndescription = "d"\ndataset = "my_sensors"\n'
        'modalities = ["accel", "gyro"]\ntarget_kind = "single-label"\nnum_classes = 3\n'
        'metrics = ["accuracy"]\nprimary_metric = "accuracy"\ncitation = "mine"\n')
    assert main(["-q", "data", "prepare", "my_sensors", "--from", str(folder), "--format", "generic"]) == 0
    assert store.register_generic() == []  # already registered in this process
    DATASETS.remove("my_sensors")
    assert store.register_generic() == ["my_sensors"]  # what a later process does at import
    argv = ["-q", "--results", str(tmp_path / "results"), "--include-path", str(tasks),
            "run", "--task", "my-activity", "--model", "linear-early", "--seeds", "0"]
    assert main(argv) == 0
    assert "linear-early" in capsys.readouterr().out
    DATASETS.remove("my_sensors")
    from harness.tasks import TASKS

    TASKS.remove("my-activity")


def test_generic_refuses_bad_manifests_and_builtin_names(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "mine", "npz")
    with pytest.raises(UserError, match="built-in dataset"):
        store.prepare("mfeat", folder, fmt="generic")
    (folder / "dataset.toml").write_text(TOML.format(fmt="npz").replace('label = "y"', 'label = "target"'))
    with pytest.raises(DataError, match=r"missing column\(s\) \['target'\]"):
        generic.read(folder, name="x")
    (folder / "dataset.toml").unlink()
    with pytest.raises(DataError, match="dataset.toml not found"):
        generic.read(folder, name="x")


REGRESSION_TOML = """format = "{fmt}"
splits = ["train", "test"]
label = "score"
id = "clip"
[modalities]
accel = {{ column = "accel" }}
[groups]
dialogue = "conversation"
turn = "position"
"""


@pytest.mark.parametrize("fmt", ["npz", "parquet", "hf"])
def test_generic_keeps_float_labels_ids_and_groups(tmp_path: Path, fmt: str) -> None:
    """Regression targets must stay floats (not be cast to class ids) and the named id column must be the ids."""
    rng = np.random.default_rng(3)
    root = tmp_path / "mine"
    root.mkdir()
    (root / "dataset.toml").write_text(REGRESSION_TOML.format(fmt=fmt))
    parts = {}
    for split, n in (("train", 12), ("test", 6)):
        parts[split] = {"score": rng.uniform(-3, 3, n).round(3), "accel": rng.standard_normal((n, 2)),
                        "clip": np.array([f"{split}_clip{i * 7}" for i in range(n)]),
                        "conversation": np.array([f"c{i // 3}" for i in range(n)]),
                        "position": np.arange(n) % 3}
    for split, cols in parts.items():
        if fmt == "npz":
            np.savez(root / f"{split}.npz", **cols)
        elif fmt == "parquet":
            frame = pd.DataFrame({k: list(v) if v.ndim > 1 else v for k, v in cols.items()})
            frame.to_parquet(root / f"{split}.parquet")
    if fmt == "hf":
        import datasets

        datasets.DatasetDict({s: datasets.Dataset.from_dict({k: v.tolist() for k, v in c.items()})
                              for s, c in parts.items()}).save_to_disk(str(root / "hf"))
    assert not np.allclose(parts["test"]["score"], np.round(parts["test"]["score"]))
    store.prepare(f"my_reg_{fmt}", root, tmp_path / "data", fmt="generic")
    data = store.load_prepared(f"my_reg_{fmt}", tmp_path / "data")
    DATASETS.remove(f"my_reg_{fmt}")
    for split, cols in parts.items():
        got = data.split(split)
        assert got.labels.dtype.kind == "f"
        np.testing.assert_allclose(got.labels, cols["score"])
        assert got.ids.tolist() == cols["clip"].tolist()
        assert got.groups["dialogue"].tolist() == cols["conversation"].tolist()
        assert got.groups["turn"].tolist() == cols["position"].tolist()
    assert len(data.split("train").dialogues()) == 4


def test_generic_names_a_missing_id_column(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "mine", "npz")
    (folder / "dataset.toml").write_text(TOML.format(fmt="npz").replace('label = "y"', 'label = "y"\nid = "name"'))
    with pytest.raises(DataError, match=r"missing column\(s\) \['name'\]"):
        generic.read(folder, name="x")
