"""A paper package that lives outside the repository is found with ``--include-path`` and reproduced end to end.

The package brings everything a paper may bring: a dataset definition (Python), a task spec on it, a model,
``claims.toml`` and ``suite.toml``. It runs in a fresh process, as a user would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PACKAGE = {
    "__init__.py": "from . import data, model  # noqa: F401\n",
    "data.py": '''
        import numpy as np

        from harness.data.dataset import MultimodalDataset, Split
        from harness.data.sources import DatasetSource, register_dataset


        def blobs() -> MultimodalDataset:
            """Two views of three Gaussian blobs (fixed seed)."""
            rng = np.random.default_rng(0)
            splits = {}
            for name, n in (("train", 60), ("valid", 30), ("test", 30)):
                labels = np.arange(n) % 3
                views = {v: (labels[:, None] * 2.0 + rng.normal(size=(n, 4))).astype(np.float32) for v in "ab"}
                ids = np.array([f"{name}-{i}" for i in range(n)])
                splits[name] = Split(ids=ids, labels=labels.astype(np.int64), features=views)
            return MultimodalDataset(name="outpaper_blobs", splits=splits)


        register_dataset(DatasetSource(name="outpaper_blobs", description="three blobs, two views",
                                       citation="test", load=blobs))
    ''',
    "model.py": '''
        from dataclasses import dataclass

        import numpy as np

        from harness.models import FitInfo, register_model


        @dataclass(frozen=True)
        class Config:
            pass


        class Centroid:
            def __init__(self, task):
                self.task, self.info = task, FitInfo()

            def _x(self, split):
                return np.concatenate([split.pooled(m) for m in self.task.modalities], axis=1)

            def fit(self, train, select):
                x = self._x(train)
                self.centroids = np.stack([x[train.labels == c].mean(0) for c in range(self.task.num_classes)])

            def predict(self, split):
                return -((self._x(split)[:, None] - self.centroids[None]) ** 2).sum(-1)


        @register_model("outpaper-centroid", config=Config, target_kinds=("single-label",), description="test")
        def build(task, data, config, seed):
            return Centroid(task)
    ''',
    "tasks/outpaper-blobs.toml": '''
        name = "outpaper-blobs"
        version = 1
        description = "three blobs from two views"
        dataset = "outpaper_blobs"
        modalities = ["a", "b"]
        target_kind = "single-label"
        num_classes = 3
        metrics = ["accuracy", "macro_f1"]
        primary_metric = "accuracy"
        citation = "test"
    ''',
    "claims.toml": '''
        [paper]
        key = "outpaper"
        title = "Out of tree"
        venue = "test"
        year = 2026
        link = "https://example.org"

        [[claim]]
        key = "centroid-abs"
        kind = "absolute"
        statement = "the centroid model is accurate on blobs"
        task = "outpaper-blobs"
        metric = "accuracy"
        variant = "test split"
        value = 90.0
        unit = "%"
        arm = "outpaper-centroid"
        tolerance = 10.0
        source = "test fixture"

        [[claim]]
        key = "centroid-vs-prior"
        kind = "relative"
        statement = "the centroid model beats the prior"
        task = "outpaper-blobs"
        metric = "accuracy"
        variant = "paired seeds"
        a = "outpaper-centroid"
        b = "prior"
        source = "test fixture"
    ''',
    "suite.toml": '''
        seeds = [0, 1]
        [[group]]
        tasks = ["outpaper-blobs"]
        models = ["outpaper-centroid", "prior"]
    ''',
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def _mmrepro(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True, cwd=cwd,
                          env=env, check=False, timeout=300)


def test_paper_package_outside_the_repo_reproduces_end_to_end(tmp_path: Path) -> None:
    package = tmp_path / "papers" / "outpaper"
    _write(package, PACKAGE)
    results = tmp_path / "results"
    proc = _mmrepro("-q", "--results", str(results), "--include-path", str(package),
                    "reproduce", "outpaper", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = sorted((results / "runs" / "outpaper-blobs").glob("*/*.json"))
    assert len(records) == 4  # 2 models x 2 seeds
    table = json.loads((results / "reproductions" / "outpaper.json").read_text())
    text = json.dumps(table)
    assert "centroid-abs" in text and "centroid-vs-prior" in text and "not run" not in text
    assert "centroid-abs" in proc.stdout


def test_template_copied_out_of_tree_is_a_paper(tmp_path: Path) -> None:
    """``reproductions/_template`` is skipped in place, and becomes a paper once copied under a name.

    Here the folder that holds the paper is included (the test above includes the paper folder itself).
    """
    shutil.copytree(ROOT / "reproductions" / "_template", tmp_path / "papers" / "mypaper",
                    ignore=shutil.ignore_patterns("__pycache__"))
    proc = _mmrepro("--results", str(tmp_path / "results"), "--include-path", str(tmp_path / "papers"),
                    "claims", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    papers = {line.split("|")[1].strip() for line in proc.stdout.splitlines()[2:] if line.startswith("|")}
    assert "mypaper" in papers and "_template" not in papers
    assert "centroid-beats-prior" in proc.stdout
