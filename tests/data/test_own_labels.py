"""Declared labels of your own data (issue 19.3): label_map, positive_class, binary tasks with two classes.

Frictions reproduced: string labels could not be mapped, no way to say which class is positive, and a binary
task needed ``num_classes = 2`` spelled out.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.data import labels, store
from harness.data.dataset import DataError
from harness.data.sources import DATASETS
from harness.errors import UserError
from harness.tasks import TASKS
from harness.tasks.spec import load_task_file

N = 12


def write_folder(folder: Path, y: dict[str, np.ndarray], extra: str = "") -> Path:
    folder.mkdir(parents=True)
    (folder / "dataset.toml").write_text(f'format = "npz"\nsplits = ["train", "valid", "test"]\nlabel = "y"\n{extra}\n'
                                         '[modalities]\na = { column = "a" }\n')
    rng = np.random.default_rng(0)
    for split, values in y.items():
        np.savez(folder / f"{split}.npz", y=values, a=rng.standard_normal((len(values), 3)).astype(np.float32))
    return folder


def yes_no(n: int = N) -> np.ndarray:
    return np.array(["no", "yes"] * (n // 2))


def prepare(name: str, folder: Path) -> dict:
    try:
        return store.prepare(name, folder, fmt="generic")
    finally:
        if name in DATASETS and DATASETS.get(name).citation.startswith("user"):
            DATASETS.remove(name)


def test_string_labels_map_to_class_ids_and_the_map_is_in_the_manifest(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", {s: yes_no() for s in ("train", "valid", "test")},
                          'label_map = { "no" = 0, "yes" = 1 }\npositive_class = "yes"')
    manifest = prepare("yn", folder)
    assert manifest["notes"]["labels"] == {"label_map": {"no": 0, "yes": 1}, "classes": ["no", "yes"],
                                           "positive_class": "yes", "positive_id": 1}
    assert store.load_prepared("yn").split("test").labels.tolist() == [0, 1] * (N // 2)


def test_positive_class_alone_builds_the_binary_map_with_the_positive_as_one(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", {s: np.array([-1, 1] * (N // 2)) for s in ("train", "valid", "test")},
                          "positive_class = -1")
    manifest = prepare("pm", folder)
    assert manifest["notes"]["labels"]["label_map"] == {"1": 0, "-1": 1}
    assert store.load_prepared("pm").split("train").labels.tolist() == [1, 0] * (N // 2)


def test_booleans_and_integer_keys_match_as_they_print() -> None:
    assert [labels.label_key(v) for v in (True, np.bool_(False), 3, np.int64(-1), 2.0, 2.5, "x")] == \
        ["True", "False", "3", "-1", "2", "2.5", "x"]


def test_a_label_outside_the_map_is_refused_with_the_values_and_rows(tmp_path: Path) -> None:
    bad = yes_no().astype("<U8")
    bad[[3, 9]] = "maybe"
    bad[5] = "N/A"
    folder = write_folder(tmp_path / "d", {"train": yes_no(), "valid": yes_no(), "test": bad},
                          'label_map = { "no" = 0, "yes" = 1 }')
    with pytest.raises(DataError) as err:
        prepare("bad", folder)
    assert "test: label column 'y' has 3 label(s) not in label_map: 'maybe' (rows 3, 9), 'N/A' (row 5)" \
        in str(err.value)
    assert not (store.data_root() / "bad").exists()


def test_text_labels_without_a_map_are_refused_with_a_suggested_map(tmp_path: Path, capsys) -> None:
    folder = write_folder(tmp_path / "d", {s: yes_no() for s in ("train", "valid", "test")})
    code = main(["-q", "data", "prepare", "nomap", "--from", str(folder), "--format", "generic"])
    err = capsys.readouterr().err
    assert code == 2 and "label_map = { \"no\" = 0, \"yes\" = 1 }" in err and "Traceback" not in err


@pytest.mark.parametrize("extra, message", [
    ('label_map = { "no" = 0, "yes" = 2 }', "class ids must be 0..K-1 with none skipped; got [0, 2]"),
    ('label_map = { "no" = 0, "yes" = 1 }\npositive_class = "no"', "positive_class 'no' must map to class id 1"),
    ('label_map = { "no" = 0, "yes" = 1 }\npositive_class = "maybe"', "positive_class 'maybe' is not a key"),
    ('label_map = { "no" = 0, "yes" = 1 }\nnum_classes = 3', "num_classes = 3 but label_map has 2 class ids"),
    ('label_map = { "no" = "zero" }', "label_map values must be class ids"),
    ('positive_class = "maybe"', "positive_class 'maybe' needs labels of exactly two values"),
])
def test_inconsistent_declarations_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    folder = write_folder(tmp_path / "d", {s: yes_no() for s in ("train", "valid", "test")}, extra)
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        prepare("inc", folder)


def test_num_classes_refusal_names_values_and_rows(tmp_path: Path) -> None:
    y = np.arange(N) % 3
    y[[4, 7]] = 5
    folder = write_folder(tmp_path / "d", {"train": y, "valid": np.arange(N) % 3, "test": np.arange(N) % 3},
                          "num_classes = 3")
    with pytest.raises(DataError, match=r"2 value\(s\) outside 0..2 \(e.g. 5\): '5' \(rows 4, 7\)"):
        prepare("nc", folder)


def binary_task(folder: Path, dataset: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "yn-task.toml"
    path.write_text(f'name = "yn-task"\nversion = 1\ndescription = "d"\ndataset = "{dataset}"\nmodalities = ["a"]\n'
                    f'target_kind = "binary"\nmetrics = ["f1_pos", "accuracy"]\nprimary_metric = "f1_pos"\n'
                    f'citation = "mine"\n{extra}')
    return path


def test_a_binary_task_has_two_classes_without_saying_so(tmp_path: Path) -> None:
    spec = load_task_file(binary_task(tmp_path / "t", "yn"))
    assert spec.num_classes == 2
    with pytest.raises(UserError, match="a binary task has 2 classes, not num_classes = 3"):
        load_task_file(binary_task(tmp_path / "t3", "yn", "num_classes = 3"))


def test_task_hash_is_unchanged_by_the_new_optional_fields(tmp_path: Path) -> None:
    """Tasks that declare neither folds nor positive_class keep their hash (and every cached run id)."""
    lock = json.loads((Path(__file__).parents[1] / "tasks" / "task_lock.json").read_text())
    for name, entry in lock.items():
        if name in TASKS:
            assert TASKS.get(name).spec_hash() == entry["hash"], name


def test_binary_task_with_positive_class_runs_and_a_flipped_one_is_refused(tmp_path: Path, capsys) -> None:
    folder = write_folder(tmp_path / "d", {s: yes_no() for s in ("train", "valid", "test")},
                          'positive_class = "yes"')
    assert main(["-q", "data", "prepare", "yn", "--from", str(folder), "--format", "generic"]) == 0
    try:
        binary_task(tmp_path / "ok", "yn", 'positive_class = "yes"')
        argv = ["-q", "--results", str(tmp_path / "r"), "--include-path", str(tmp_path / "ok"), "run", "--task",
                "yn-task", "--model", "prior", "--seeds", "0"]
        assert main(argv) == 0
        binary_task(tmp_path / "flip", "yn", 'positive_class = "no"')
        argv[argv.index(str(tmp_path / "ok"))] = str(tmp_path / "flip")
        capsys.readouterr()
        assert main(argv) == 2
        assert "positive_class 'no' is class id 0 in dataset 'yn', but binary metrics score class 1" \
            in capsys.readouterr().err
    finally:
        DATASETS.remove("yn")
        TASKS.remove("yn-task")
