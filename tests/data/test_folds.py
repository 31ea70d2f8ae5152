"""Fold and repeated-split protocols (issue 19.5).

Friction reproduced: a 5-fold protocol needed 15 named splits, 5 task files and averaging by hand. Now one task
file with ``[folds]`` runs every fold; the fold is part of the run id; the leaderboard averages folds per seed.
"""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.cli import main
from harness.data import store
from harness.data.dataset import DataError
from harness.data.sources import DATASETS
from harness.data.splits import fold_indices
from harness.errors import UserError
from harness.report.leaderboard import build_leaderboard
from harness.runs.runner import plan_run, plan_runs
from harness.runs.store import current_records
from harness.tasks import TASKS
from harness.tasks.folds import FoldProtocol, seed_values
from harness.tasks.spec import load_task_file

N = 30
LABELS = np.arange(N) % 3


@pytest.mark.parametrize("protocol, fold_ids", [
    (FoldProtocol(k=5, field="fold"), np.repeat([3, 1, 5, 2, 4], 6)),   # published ids: fold f = f-th smallest
    (FoldProtocol(k=5, seed=7), None),                                   # seeded stratified folds
    (FoldProtocol(k=4, kind="repeated", test=0.2, seed=1), None),        # repeated random splits
])
def test_each_fold_is_disjoint_and_select_is_carved_from_training(protocol, fold_ids) -> None:
    reported = []
    for fold in range(protocol.k):
        idx = fold_indices(LABELS, protocol, fold, stratify=True, fold_ids=fold_ids)
        train, select, report = (set(idx[r].tolist()) for r in ("train", "select", "report"))
        assert train | select | report == set(range(N)) and not train & select and not report & (train | select)
        assert abs(len(select) - 0.1 * (N - len(report))) <= 1  # the documented select fraction
        assert set(LABELS[idx["select"]]) == {0, 1, 2}  # stratified
        reported.append(report)
        again = fold_indices(LABELS, protocol, fold, stratify=True, fold_ids=fold_ids)
        assert all(np.array_equal(idx[r], again[r]) for r in idx)  # seeded: the same every time
    if protocol.kind == "kfold":  # k-fold: every item is reported exactly once
        assert sorted(i for r in reported for i in r) == list(range(N))
    if fold_ids is not None:
        assert reported[0] == set(np.flatnonzero(fold_ids == 1).tolist())


@pytest.mark.filterwarnings("ignore:The least populated class")
def test_a_class_too_rare_to_stratify_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="fold 0 of 5-fold CV .* cannot split"):
        fold_indices(np.array([0] * 29 + [1]), FoldProtocol(k=5), 0, stratify=True)


def task_file(folder: Path, dataset: str, folds: str = "k = 5\nfield = \"fold\"", name: str = "cv-task") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nversion = 1\ndescription = "d"\ndataset = "{dataset}"\nmodalities = ["a"]\n'
                    'target_kind = "single-label"\nnum_classes = 3\nmetrics = ["accuracy", "macro_f1"]\n'
                    f'primary_metric = "accuracy"\ncitation = "mine"\n[folds]\nsplit = "all"\n{folds}\n')
    return path


@pytest.mark.parametrize("folds, message", [
    ("k = 1", "folds.k must be an integer >= 2"),
    ("k = 5\nselect = 1.5", "folds.select must be a fraction in (0, 1)"),
    ("k = 5\nkind = \"loo\"", "folds.kind 'loo' is not one of kfold, repeated"),
    ("k = 5\nkind = \"repeated\"", "folds.test must be a fraction in (0, 1) for repeated splits"),
    ("k = 5\ntest = 0.2", "folds.test applies to kind = \"repeated\""),
    ("k = 5\nfolds = 3", "unknown field 'folds.folds'"),
    ("seed = 1", "[folds] needs k"),
])
def test_a_malformed_fold_protocol_is_refused_when_the_task_loads(tmp_path: Path, folds: str, message: str) -> None:
    with pytest.raises(UserError) as err:
        load_task_file(task_file(tmp_path, "cv", folds))
    assert message in str(err.value)


def write_cv_folder(folder: Path, fold_source: str = 'fold = "fold"') -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    (folder / "dataset.toml").write_text(f'format = "csv"\nsplits = ["all"]\nlabel = "y"\nid = "key"\n{fold_source}\n'
                                         '[modalities]\na = { file = "a-{split}.npy" }\n')
    pd.DataFrame({"key": [f"k{i}" for i in range(N)], "y": LABELS, "fold": np.arange(N) % 5 + 1}).to_csv(
        folder / "all.csv", index=False)
    np.save(folder / "a-all.npy", (rng.standard_normal((N, 4)) + LABELS[:, None]).astype(np.float32))
    return folder


def test_fold_ids_from_an_id_csv_or_an_index_pickle_match_the_column(tmp_path: Path) -> None:
    by_column = write_cv_folder(tmp_path / "col")
    folds = np.arange(N) % 5 + 1
    by_csv = write_cv_folder(tmp_path / "csv", 'fold_file = "folds.csv"')
    pd.DataFrame({"id": [f"k{i}" for i in range(N)], "fold": folds}).to_csv(by_csv / "folds.csv", index=False)
    by_pickle = write_cv_folder(tmp_path / "pkl", 'fold_file = "split_indices.p"')
    pairs = [(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(1, 6)]  # MUStARD's layout
    (by_pickle / "split_indices.p").write_bytes(pickle.dumps(pairs, protocol=2))
    groups = {}
    for name, folder in (("col", by_column), ("csv", by_csv), ("pkl", by_pickle)):
        store.prepare(f"cv_{name}", folder, fmt="generic")
        groups[name] = store.load_prepared(f"cv_{name}").split("all").groups["fold"]
        DATASETS.remove(f"cv_{name}")
    assert np.array_equal(groups["col"], folds) and np.array_equal(groups["csv"], folds)
    assert np.array_equal(groups["pkl"], folds - 1)  # pickle folds are numbered by position, 0..4


def test_a_pickle_that_leaves_rows_out_of_every_fold_is_refused(tmp_path: Path) -> None:
    folder = write_cv_folder(tmp_path / "pkl", 'fold_file = "split_indices.p"')
    (folder / "split_indices.p").write_bytes(pickle.dumps([(np.arange(5, N), np.arange(5))], protocol=2))
    with pytest.raises(DataError, match=r"25 row\(s\) of split 'all' are in no fold's test index \(e.g. row 5\)"):
        store.prepare("cv_bad", folder, fmt="generic")


@pytest.fixture
def cv_dataset(tmp_path: Path):
    store.prepare("cv", write_cv_folder(tmp_path / "cv"), fmt="generic")
    yield "cv"
    DATASETS.remove("cv")
    for name in ("cv-task", "cv-four"):
        if TASKS.registered(name) is not None:
            TASKS.remove(name)


def test_one_task_file_runs_every_fold_and_the_fold_is_in_the_run_id(tmp_path: Path, cv_dataset: str) -> None:
    task = load_task_file(task_file(tmp_path, cv_dataset))
    TASKS.add(task.name, task, replace=True)
    specs = plan_runs(task, "linear-early", 0)
    assert [s.fold for s in specs] == [0, 1, 2, 3, 4] and len({s.run_id for s in specs}) == 5
    assert dataclasses.replace(specs[0], fold=None).run_id not in {s.run_id for s in specs}
    with pytest.raises(UserError, match="has 5 folds"):
        plan_run(task, "linear-early", 0)


def test_the_leaderboard_averages_folds_within_a_seed(tmp_path: Path, cv_dataset: str, capsys) -> None:
    folder = tmp_path / "tasks"
    task_file(folder, cv_dataset)
    results = tmp_path / "results"
    argv = ["-q", "--results", str(results), "--include-path", str(folder), "run", "--task", "cv-task",
            "--model", "linear-early", "--seeds", "0,1"]
    assert main(argv) == 0
    task = TASKS.get("cv-task")
    records = current_records(results, task)
    assert sorted((r.spec.seed, r.spec.fold) for r in records) == [(s, f) for s in (0, 1) for f in range(5)]
    board = build_leaderboard(task, records)
    row = board.frame.iloc[0]
    by_seed = [np.mean([r.metrics["test"]["accuracy"] for r in records if r.spec.seed == s]) for s in (0, 1)]
    assert row["n"] == 2 and row["accuracy.mean"] == pytest.approx(np.mean(by_seed))
    assert row["accuracy.std"] == pytest.approx(np.std(by_seed, ddof=1))
    assert row["primary.fold_std"] > 0  # the folds differ, so a reader keeping one fold per seed would be caught
    assert "5-fold CV" in board.title and "mean over folds per seed" in board.title
    from harness.robustness.report import robustness_frames

    removal = robustness_frames(task, records)[0].iloc[0]  # robustness: n and sd over seeds too
    clean = [np.mean([r.robustness.clean for r in records if r.spec.seed == s]) for s in (0, 1)]
    assert removal["n"] == 2 and removal["clean"] == f"{np.mean(clean):.4f} ± {np.std(clean, ddof=1):.4f}"
    # claims read the same per-seed values (a fold-blind reader kept one fold per seed)
    from types import SimpleNamespace

    from harness.claims.claim import Arm
    from harness.claims.ledger import Ledger

    claim = SimpleNamespace(task="cv-task", metric="accuracy")
    assert Ledger(results).values(claim, Arm(model="linear-early")) == pytest.approx({0: by_seed[0], 1: by_seed[1]})
    # a seed with a fold missing is never averaged as if it were whole
    partial = [r for r in records if not (r.spec.seed == 1 and r.spec.fold == 3)]
    values, incomplete = seed_values(task, partial, "accuracy")
    assert [s for s, _ in values] == [0] and "seed 1: folds [3] of 5" in incomplete[0]
    assert "seed 1: folds [3] of 5" in build_leaderboard(task, partial).failed["linear-early"][0]


def test_a_fold_task_whose_data_lacks_the_fold_field_or_has_other_k_is_refused(tmp_path: Path,
                                                                            cv_dataset: str) -> None:
    for name, folds, message in (("cv-task", "k = 5\nfield = \"speaker\"", "folds.field 'speaker' is not a group"),
                                 ("cv-four", "k = 4\nfield = \"fold\"", "folds.k = 4 but field 'fold' holds 5")):
        task = load_task_file(task_file(tmp_path / name, cv_dataset, folds, name=name))
        TASKS.add(task.name, task, replace=True)
        with pytest.raises(UserError, match=message):
            plan_run(task, "linear-early", 0, fold=0)


def test_the_esc50_layout_prepares_as_published(tmp_path: Path) -> None:
    """ESC-50's meta/esc50.csv (filename, fold 1..5, target, category, esc10, src_file, take) is read in place:
    files = { all = "meta/esc50.csv" }, its fold column kept as the published folds."""
    folder = tmp_path / "ESC-50"
    (folder / "meta").mkdir(parents=True)
    n = 20
    meta = pd.DataFrame({"filename": [f"{f}-{100 + i}-A-0.wav" for i, f in enumerate(np.arange(n) % 5 + 1)],
                         "fold": np.arange(n) % 5 + 1, "target": np.arange(n) // 5 % 2,
                         "category": np.where(np.arange(n) // 5 % 2, "rain", "dog"), "esc10": True,
                         "src_file": 100 + np.arange(n), "take": "A"})
    meta.to_csv(folder / "meta" / "esc50.csv", index=False)
    np.save(folder / "esc50-audio.npy", np.random.default_rng(0).standard_normal((n, 8)).astype(np.float32))
    (folder / "dataset.toml").write_text('format = "csv"\nsplits = ["all"]\nfiles = { all = "meta/esc50.csv" }\n'
                                         'label = "target"\nid = "filename"\nnum_classes = 2\nfold = "fold"\n'
                                         '[modalities]\naudio = { file = "esc50-audio.npy" }\n')
    manifest = store.prepare("esc_mini", folder, fmt="generic")
    DATASETS.remove("esc_mini")
    data = store.load_prepared("esc_mini").split("all")
    assert manifest["splits"] == {"all": n} and "meta/esc50.csv" in manifest["source_files"]
    assert np.array_equal(data.groups["fold"], meta["fold"]) and data.ids[0] == "1-100-A-0.wav"


def test_a_repeated_split_task_views_each_repeat(tmp_path: Path, cv_dataset: str) -> None:
    from harness.data.store import load_dataset
    from harness.tasks.folds import task_view

    task = load_task_file(task_file(tmp_path, cv_dataset, 'kind = "repeated"\nk = 3\ntest = 0.2\nseed = 4'))
    TASKS.add(task.name, task, replace=True)
    assert [s.fold for s in plan_runs(task, "prior", 0)] == [0, 1, 2]
    tests = []
    for repeat in range(3):
        view = task_view(task, load_dataset(cv_dataset), repeat)
        assert sorted(view.splits) == ["test", "train", "valid"] and len(view.split("test")) == 6  # 0.2 of 30
        assert not set(view.split("test").ids) & (set(view.split("train").ids) | set(view.split("valid").ids))
        tests.append(frozenset(view.split("test").ids))
    assert len(set(tests)) == 3  # each repeat draws its own test items (seed + r)
    with pytest.raises(UserError, match="is evaluated by folds"):
        task_view(task, load_dataset(cv_dataset), None)
