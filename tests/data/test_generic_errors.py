"""--format generic: each refusal of a malformed dataset.toml or a missing split file, through the CLI (exit code 2,
one line naming the file; issue 20: branches no test ran). Damaged data files are tests/test_bad_inputs.py's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

GOOD = 'format = "{fmt}"\nsplits = ["train", "test"]\nlabel = "y"\n[modalities]\na = {{ column = "a" }}\n'


def _prepare(capsys, folder: Path, name: str = "mine-i") -> tuple[int, str]:
    code = main(["-q", "data", "prepare", name, "--from", str(folder), "--format", "generic"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("toml, message", [
    ('format = "npz"\nsplits = [', "dataset.toml: invalid TOML"),
    ('format = "npz"\n', "dataset.toml: missing key(s) ['splits', 'label', 'modalities']"),
    (GOOD.format(fmt="xlsx"), "dataset.toml: format 'xlsx' is not one of"),
    (GOOD.format(fmt="npz").replace('{ column = "a" }', '{ col = "a" }'), "modality 'a' needs { column = \"...\" }"),
    (GOOD.format(fmt="parquet").replace('{ column = "a" }', '{ column = "a", lengths = "n" }'),
     "modality 'a': sequences (lengths) are supported for npz only"),
    (GOOD.format(fmt="npz"), "train.npz not found (split 'train' listed in dataset.toml)"),
    (GOOD.format(fmt="parquet"), "train.parquet not found (split 'train' listed in dataset.toml)"),
])
def test_malformed_manifest_or_missing_split_is_refused(capsys, tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "dataset.toml").write_text(toml)
    code, err = _prepare(capsys, tmp_path)
    assert code == 2 and message in err and str(tmp_path) in err and "Traceback" not in err


def test_an_hf_folder_without_a_listed_split_is_refused(capsys, tmp_path: Path) -> None:
    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"y": [0, 1], "a": [[0.0], [1.0]]})}).save_to_disk(
        str(tmp_path / "hf"))
    (tmp_path / "dataset.toml").write_text(GOOD.format(fmt="hf"))
    code, err = _prepare(capsys, tmp_path)
    assert code == 2 and "no split 'test'; it has ['train']" in err


def test_a_built_in_dataset_name_is_refused_for_own_data(capsys, tmp_path: Path) -> None:
    (tmp_path / "dataset.toml").write_text(GOOD.format(fmt="npz"))
    np.savez(tmp_path / "train.npz", y=np.zeros(2), a=np.zeros((2, 1)))
    code, err = _prepare(capsys, tmp_path, name="mfeat")
    assert code == 2 and "'mfeat' is a built-in dataset; pick another name for your own data" in err
