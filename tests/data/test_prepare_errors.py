"""Every dataset with a reader refuses an empty --from folder with one line and exit code 2 (issue 20: the readers'
not-found branches). Generated from the registry, so a new reader cannot be left out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cli import main
from harness.data.sources import DATASETS

READERS = [name for name in DATASETS.names() if DATASETS.get(name).read is not None]

# What each built-in reader says it needs (a plug-in's reader is only held to the general form).
NEEDS = {"av_digits": "no .wav files in", "cifar10": "data_batch_1: file not found", "meld_emotion":
         "train_sent_emo.csv not found", "mfeat": "mfeat-fou.csv exists", "mmsd": "train.txt not found",
         "mmsd2": "train.json not found", "mosi": "aligned_50.pkl, unaligned_50.pkl found"}


def test_the_built_in_readers_are_all_checked() -> None:
    assert set(NEEDS) <= set(READERS)


@pytest.mark.parametrize("name", READERS)
def test_an_empty_source_folder_is_refused_in_one_line(capsys, tmp_path: Path, name: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(["-q", "data", "prepare", name, "--from", str(empty)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("mmrepro: error: ") and err.count("\n") == 1, err
    assert str(empty) in err or "--option" in err, "the message names the folder, or the option still needed"
    assert NEEDS.get(name, "") in err
    assert not (Path(os.environ["MMREPRO_DATA"]) / name).exists(), "nothing prepared"
