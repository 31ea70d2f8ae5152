"""The split protocol and the Split/MultimodalDataset contract, checked where the older tests were silent (issue 20).

Each test kills mutmut survivors of harness.data.splits / harness.data.dataset: the three-way split's sizes,
disjointness, stratification and seed; what a split hands a model (lengths, images, groups); and the refusals.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.splits import fold_indices, stratified_three_way
from harness.errors import UserError
from harness.tasks.folds import FoldProtocol


def _labels(n_per_class: int = 30, classes: int = 3) -> np.ndarray:
    return np.repeat(np.arange(classes), n_per_class)


# a fraction is of what is left: test = ceil(0.25 * 90) = 23, valid = ceil(0.2 * 67) = 14 (scikit-learn rounds up)
@pytest.mark.parametrize(("valid", "test", "sizes"), [(15, 30, (45, 15, 30)), (0.2, 0.25, (53, 14, 23))])
def test_three_way_split_sizes_partition_and_order(valid, test, sizes) -> None:
    labels = _labels()
    parts = stratified_three_way(labels, valid=valid, test=test, seed=0)
    assert list(parts) == ["train", "valid", "test"]
    assert tuple(len(parts[k]) for k in ("train", "valid", "test")) == sizes
    everything = np.concatenate(list(parts.values()))
    assert sorted(everything.tolist()) == list(range(len(labels)))  # disjoint and complete
    for idx in parts.values():
        assert idx.tolist() == sorted(idx.tolist())


def test_three_way_split_is_stratified_in_every_part() -> None:
    labels = _labels(40, 4)
    parts = stratified_three_way(labels, valid=40, test=80, seed=1)
    assert np.bincount(labels[parts["test"]]).tolist() == [20] * 4
    assert np.bincount(labels[parts["valid"]]).tolist() == [10] * 4
    assert np.bincount(labels[parts["train"]]).tolist() == [10] * 4


def test_three_way_split_is_fixed_by_its_seed() -> None:
    labels = _labels()
    a = stratified_three_way(labels, valid=15, test=30, seed=4)
    b = stratified_three_way(labels, valid=15, test=30, seed=4)
    c = stratified_three_way(labels, valid=15, test=30, seed=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])
    assert not np.array_equal(a["valid"], c["valid"])


def _split(n: int = 3, **kw) -> Split:
    base = dict(ids=np.arange(n), labels=np.arange(n) % 2, features={"v": np.ones((n, 2), np.float32)})
    return Split(**(base | kw))


def _seq_split() -> Split:
    x = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2)
    return _split(features={"s": x, "v": np.ones((3, 2), np.float32)}, lengths={"s": np.array([1, 4, 2])})


def test_pooled_sequence_is_the_mean_of_its_valid_steps_even_of_one_step() -> None:
    split = _seq_split()
    x = split.features["s"]
    pooled = split.pooled("s")
    assert pooled.dtype == np.float32  # the mask does not widen float32 features
    np.testing.assert_array_equal(pooled, np.stack([x[0, :1].mean(0), x[1].mean(0), x[2, :2].mean(0)]))


def test_subset_and_with_features_keep_or_replace_the_lengths() -> None:
    split = _seq_split()
    sub = split.subset(np.array([2, 0]))
    assert sub.is_sequence("s") and sub.lengths["s"].tolist() == [2, 1]
    assert sub.ids.tolist() == [2, 0] and sub.labels.tolist() == [0, 0]
    same = split.with_features({"s": split.features["s"] * 2})
    assert same.lengths["s"].tolist() == [1, 4, 2]
    other = split.with_features({"s": split.features["s"]}, lengths={"s": np.array([3, 3, 3])})
    assert other.lengths["s"].tolist() == [3, 3, 3]
    np.testing.assert_allclose(other.pooled("s")[0], split.features["s"][0, :3].mean(0))


def test_images_are_float32_without_copying_float32_pixels() -> None:
    pixels = np.full((3, 1, 2, 2), 0.5, dtype=np.float32)
    split = _split(features={"img": pixels})
    assert np.shares_memory(split.images("img"), pixels)
    wide = _split(features={"img": pixels.astype(np.float64)})
    assert wide.images("img").dtype == np.float32
    raw = _split(features={"img": np.full((3, 1, 2, 2), 255, dtype=np.uint8)})
    assert raw.images("img").dtype == np.float32 and raw.images("img").max() == 1.0


def test_refusals_of_a_split_say_what_to_use_instead() -> None:
    split = _split()
    with pytest.raises(DataError, match=r"^modality 'v' is not an image \(shape \(3, 2\)\); image modalities are "
                                        r"\(n, C, H, W\)$"):
        split.images("v")
    no_dialogue = (r"^these samples have no 'dialogue' group field \(they have none\); use a dataset whose loader "
                   r"records it \(e\.g\. MELD, IEMOCAP, synth_conversation\)$")
    with pytest.raises(DataError, match=no_dialogue):
        split.dialogues()
    grouped = _split(groups={"speaker": np.array([1, 2, 1])})
    with pytest.raises(DataError, match=r"no 'turn' group field \(they have \['speaker'\]\)"):
        grouped.group("turn")
    data = MultimodalDataset("toy", {"train": split, "test": _split()})
    with pytest.raises(DataError, match=r"^toy has no split 'dev'; it has \['test', 'train'\]$"):
        data.split("dev")


def _toy(ids: np.ndarray) -> MultimodalDataset:
    split = _split(ids=ids, features={"v": np.ones((3, 2), np.float32), "empty": np.ones((3, 0), np.float32)},
                   groups={"speaker": np.array(["a", "b", "a"])})
    return MultimodalDataset("toy", {"train": split})


def test_fingerprint_hashes_string_ids_by_their_text_not_their_storage() -> None:
    text = _toy(np.array(["x1", "x2", "x3"]))
    assert _toy(np.array(["x1", "x2", "x3"], dtype="<U12")).fingerprint() == text.fingerprint()
    assert _toy(np.array(["x1", "x2", "x3"], dtype=object)).fingerprint() == text.fingerprint()
    assert _toy(np.array(["x1", "x2", "x4"])).fingerprint() != text.fingerprint()


def test_fingerprint_is_pinned() -> None:
    # Fingerprints key every cached run: a change here orphans them all (hence a fixed value, empty array included).
    assert _toy(np.array(["x1", "x2", "x3"])).fingerprint() == "87a43217de1eeebe"


# ---- fold protocols: the rules harness.tasks.folds documents, against scikit-learn called as documented ----------

FOLD_LABELS = np.arange(40) % 2 + (np.arange(40) >= 30)  # three classes, 15/15/10: stratifying changes the draws


def _documented(protocol: FoldProtocol, fold: int, stratify: bool) -> tuple[set, set]:
    n, y = len(FOLD_LABELS), FOLD_LABELS if stratify else None
    if protocol.kind == "repeated":
        _, report = train_test_split(np.arange(n), test_size=protocol.test, random_state=protocol.seed + fold,
                                     stratify=y)
    else:
        splitter = (StratifiedKFold if stratify else KFold)(protocol.k, shuffle=True, random_state=protocol.seed)
        report = list(splitter.split(np.zeros(n), y))[fold][1]
    rest = np.setdiff1d(np.arange(n), report)
    _, select = train_test_split(rest, test_size=protocol.select, random_state=protocol.seed + fold,
                                 stratify=FOLD_LABELS[rest] if stratify else None)
    return set(report.tolist()), set(select.tolist())


@pytest.mark.parametrize("stratify", [True, False])
@pytest.mark.parametrize("kind", ["kfold", "repeated"])
def test_fold_report_and_select_items_follow_the_documented_rule(kind: str, stratify: bool) -> None:
    protocol = (FoldProtocol(k=3, seed=2, select=0.2) if kind == "kfold"
                else FoldProtocol(k=3, kind="repeated", test=0.1, seed=2, select=0.2))
    for fold in range(protocol.k):
        idx = fold_indices(FOLD_LABELS, protocol, fold, stratify=stratify)
        report, select = _documented(protocol, fold, stratify)
        assert set(idx["report"].tolist()) == report
        assert set(idx["select"].tolist()) == select
        assert len(report) == (4 if kind == "repeated" else (14 if fold < 1 else 13))


def test_stratified_and_plain_folds_differ_on_unbalanced_labels() -> None:
    # the rule check above only means something if stratification changes the draws here
    for protocol in (FoldProtocol(k=3, seed=2, select=0.2), FoldProtocol(k=3, kind="repeated", test=0.1, seed=2,
                                                                          select=0.2)):
        assert any(_documented(protocol, f, True) != _documented(protocol, f, False) for f in range(3))


@pytest.mark.parametrize("fold", [-1, 3])
def test_a_fold_outside_the_protocol_is_refused(fold: int) -> None:
    with pytest.raises(UserError, match=rf"^fold {fold} is not in 0\.\.2$"):
        fold_indices(FOLD_LABELS, FoldProtocol(k=3), fold, stratify=True)


def test_label_refusals_count_the_bad_rows_and_say_what_to_do() -> None:
    nan_rows = np.array([[0.0, np.nan], [1.0, 0.0], [np.nan, np.inf]])  # multi-hot rows: two are bad
    with pytest.raises(DataError, match=r"^toy/train: 2 label\(s\) are NaN/inf; drop or fix those items in the "
                                        r"source$"):
        MultimodalDataset("toy", {"train": _split(labels=nan_rows)})
    with pytest.raises(DataError, match=r"^toy/train: 1 label\(s\) are NaN/inf"):
        MultimodalDataset("toy", {"train": _split(labels=np.array([0.5, np.nan, 1.0]))})
    words = (r"^toy/train: labels are <U3 \(e\.g\. \['cat'\]\); map them to class ids 0\.\.K-1 \(classification\) "
             r"or numbers \(regression\) before preparing$")
    with pytest.raises(DataError, match=words):
        MultimodalDataset("toy", {"train": _split(labels=np.array(["cat", "dog", "eel"]))})


def test_a_repeated_turn_within_a_dialogue_is_refused_with_the_count() -> None:
    groups = {"dialogue": np.array([7, 7, 8]), "turn": np.array([0, 0, 0])}
    with pytest.raises(DataError, match=r"^toy/train: 1 \(dialogue, turn\) pairs repeat; a turn index must be "
                                        r"unique within its dialogue$"):
        MultimodalDataset("toy", {"train": _split(groups=groups)})


def test_repeated_item_ids_are_refused_with_their_count_and_an_example() -> None:
    split = _split(n=5, ids=np.array(["a", "b", "b", "c", "c"]))
    with pytest.raises(DataError, match=r"^toy/train: 2 item id\(s\) repeat \(e\.g\. 'b'\); each item needs its own "
                                        r"id, or per-item predictions and leakage checks mix items up$"):
        MultimodalDataset("toy", {"train": split})


def test_ids_and_labels_of_different_lengths_are_refused() -> None:
    with pytest.raises(DataError, match=r"^toy/train: 2 ids but 3 labels; they must match one to one$"):
        MultimodalDataset("toy", {"train": _split(ids=np.arange(2))})


def _refused(split: Split, message: str, other: Split | None = None) -> None:
    with pytest.raises(DataError, match=message):
        MultimodalDataset("toy", {"train": split} | ({"test": other} if other is not None else {}))


def test_feature_refusals_name_the_modality_and_what_to_do() -> None:
    x = np.ones((3, 2), np.float32)
    x[1, 0] = np.nan
    _refused(_split(features={"v": x}), r"^toy/train: modality 'v' has NaN/inf values in 1 samples; clean the "
                                        r"source or prepare with an explicit non-finite policy$")
    _refused(_split(features={"v": np.ones((2, 5), np.float32)}),
             r"^toy/train: modality 'v' has 2 samples but there are 3 labels$")
    _refused(_split(), r"^toy/test: modalities \['w'\] differ from \['v'\] in another split; every split needs the "
                       r"same modalities$", other=_split(features={"w": np.ones((3, 2), np.float32)}))


def test_sequence_lengths_are_checked_against_the_time_axis() -> None:
    x = np.ones((3, 4, 2), np.float32)  # T = 4 steps of d = 2
    MultimodalDataset("toy", {"train": _split(features={"s": x}, lengths={"s": np.array([1, 4, 3])})})  # valid
    for lengths in (np.array([1, 5, 3]), np.array([0, 4, 3]), np.array([1, 4])):
        _refused(_split(features={"s": x}, lengths={"s": lengths}),
                 r"^toy/train: lengths of 's' must be n integers in \[1, 4\]$")
    _refused(_split(features={"s": np.ones((3, 2), np.float32)}, lengths={"s": np.array([1, 1, 1])}),
             r"^toy/train: sequence modality 's' must be \(n, T, d\), got \(3, 2\)$")
