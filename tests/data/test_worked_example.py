"""The README's worked example (issue 19.8), run end to end through the CLI on data this test writes.

The dataset.toml and task file are read from the README itself, so the documentation cannot drift from
what runs: a text column encoded with the bundled MiniLM, a string label map with a positive class, and a
5-fold protocol from a fold column, all from one task file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.cli import main
from harness.data.sources import DATASETS
from harness.runs.store import iter_records
from harness.tasks import TASKS

REPO = Path(__file__).resolve().parents[2]
SARCASTIC = ["Oh great, another meeting.", "Wow, I just love waiting in line.", "Sure, that went perfectly.",
             "Brilliant idea, breaking it again.", "Yeah, because that always works."]
PLAIN = ["See you at noon.", "The train leaves at five.", "I bought milk today.",
         "She lives in Boston.", "Please close the door."]


def readme_block(first_line: str) -> str:
    """The fenced toml block of the README whose first line is ``first_line``."""
    blocks = re.findall(r"```toml\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    found = [b for b in blocks if b.startswith(first_line + "\n")]
    assert len(found) == 1, f"README has {len(found)} toml blocks starting {first_line!r}"
    return found[0]


def write_sarcasm(folder: Path) -> pd.DataFrame:
    """20 utterances (10 sarcastic), 4 per fold 1..5, 3-d audio features; two labels disagree with their
    text, so the folds score differently and the fold average is tested, not a constant."""
    folder.mkdir(parents=True)
    texts = [t for pair in zip(SARCASTIC + SARCASTIC, PLAIN + PLAIN, strict=True) for t in pair]
    texts = [f"{t} ({i})" if i >= 10 else t for i, t in enumerate(texts)]  # 20 distinct texts
    frame = pd.DataFrame({"key": [f"u{i}" for i in range(20)], "utterance": texts,
                          "sarcasm": [(i % 2 == 0) != (i in (5, 12)) for i in range(20)],  # 2 labels against the text
                          "fold": [i // 2 % 5 + 1 for i in range(20)]})
    frame.to_csv(folder / "all.csv", index=False)
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((20, 3)).astype(np.float32) + frame["sarcasm"].to_numpy()[:, None]
    np.save(folder / "audio-all.npy", audio)
    (folder / "dataset.toml").write_text(readme_block("# sarcasm/dataset.toml"))
    return frame


def test_readme_worked_example_runs_end_to_end(tmp_path: Path, capsys) -> None:
    frame = write_sarcasm(tmp_path / "sarcasm")
    tasks = tmp_path / "mytasks"
    tasks.mkdir()
    (tasks / "my-sarcasm.toml").write_text(readme_block("# mytasks/my-sarcasm.toml"))
    results = tmp_path / "results"
    try:
        assert main(["-q", "data", "prepare", "my_sarcasm", "--from", str(tmp_path / "sarcasm"),
                     "--format", "generic"]) == 0
        assert main(["-q", "data", "info", "my_sarcasm"]) == 0
        info = capsys.readouterr().out
        assert '"label_map"' in info and '"positive_class": "True"' in info and '"encoder": "minilm"' in info
        code = main(["-q", "--results", str(results), "--include-path", str(tasks), "run", "--task", "my-sarcasm",
                     "--model", "linear-early", "--seeds", "0", "--format", "json"])
        out = capsys.readouterr().out
        assert code == 0, out
        records = [r for _, r in iter_records(results, "my-sarcasm")]
        assert sorted(r.spec.fold for r in records) == [0, 1, 2, 3, 4]  # one task file ran every fold
        # fold f reports the items of the f-th fold id, and never trains on them
        from harness.data.store import load_dataset
        from harness.tasks.folds import task_view

        task = TASKS.get("my-sarcasm")
        view = task_view(task, load_dataset("my_sarcasm"), 2)
        assert sorted(view.split("test").ids) == sorted(frame.loc[frame["fold"] == 3, "key"])
        assert not set(view.split("test").ids) & (set(view.split("train").ids) | set(view.split("valid").ids))
        per_fold = [r.metrics["test"]["f1_pos"] for r in sorted(records, key=lambda r: r.spec.fold)]
        import json

        row = json.loads(out[out.index("{"):])["rows"][0]
        assert row["n"] == 1 and row["f1_pos.mean"] == pytest.approx(np.mean(per_fold))
        assert row["primary.fold_std"] == pytest.approx(np.std(per_fold, ddof=1)) and row["primary.fold_std"] > 0
    finally:
        DATASETS.remove("my_sarcasm")
        TASKS.remove("my-sarcasm")
