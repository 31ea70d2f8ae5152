"""Your own data: per-split npz, parquet or CSV files, or an HF dataset saved to disk, plus ``dataset.toml``.

``mmrepro data prepare NAME --from DIR --format generic`` reads ``DIR/dataset.toml``::

    description = "two sensors, 3 activities"
    format = "npz"                  # npz | parquet | csv: DIR/<split>.<format> | hf: DIR/<path>
    path = "hf"                     # hf only: the save_to_disk folder under DIR (default "hf")
    splits = ["train", "valid", "test"]
    files = { train = "meta/train.csv" }   # optional: a split's file when it is not DIR/<split>.<format>
    label = "label"                 # column holding (n,) labels (ints for classes, floats for regression)
    id = "id"                       # optional column of sample ids (default: <split>-<row>)
    num_classes = 3                 # optional: labels must then be class ids 0..2 (checked at prepare)
    label_map = { "no" = 0, "yes" = 1 }    # optional: raw label (text, bool, any integer) -> class id
    positive_class = "yes"          # optional: the class binary metrics score as positive (mapped to id 1)
    fold = "fold"                   # optional: column of fold ids (k-fold tasks), or
    fold_file = "folds.csv"         #   a CSV of id,fold or a pickle of (train, test) row-index pairs

    [modalities]
    accel = { column = "accel" }                        # vectors: (n, d)
    audio = { column = "audio", lengths = "audio_len" } # npz only: padded (n, T, d) + (n,) lengths
    text = { column = "utterance", encoder = "minilm" } # text, encoded at prepare time (harness/data/text_encoder)
    video = { file = "video-{split}.npy" }              # vectors from an .npy file, rows in the split's order

    [groups]                        # optional group fields (dialogue, speaker, turn, pair): field = column
    dialogue = "conversation"
    turn = "position"

Parquet and HF columns hold one list of floats per row (vectors); CSV cells hold labels, ids, text and group
values (vectors come from ``file = "....npy"``). Fold ids are stored as the group field ``fold``. Once
prepared, the dataset is registered under NAME in every later process (from its manifest), so a task TOML
loaded with ``--include-path`` can name it as its ``dataset``.
"""

from __future__ import annotations

import tomllib
import zipfile
from functools import partial
from pathlib import Path

import numpy as np

from harness.data import labels as label_rules
from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.read_result import ReadResult, check_policy, fix_nonfinite
from harness.errors import UserError

MANIFEST = "dataset.toml"
FORMATS = ("npz", "parquet", "csv", "hf")
CITATION = "user-supplied (dataset.toml)"
FOLD = "fold"  # the group field fold ids are stored under
MODALITY_KEYS = ("column", "file", "lengths", "encoder")


def read_spec(root: Path) -> dict:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise DataError(f"{path} not found; --format generic needs a {MANIFEST} naming format, splits, label and "
                        "modalities (see the README, 'Your own data')")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise DataError(f"{path}: invalid TOML ({err})") from err
    missing = [k for k in ("format", "splits", "label", "modalities") if k not in spec]
    if missing:
        raise DataError(f"{path}: missing key(s) {missing}")
    if spec["format"] not in FORMATS:
        raise DataError(f"{path}: format {spec['format']!r} is not one of {FORMATS}")
    for modality, info in spec["modalities"].items():
        if not isinstance(info, dict) or ("column" in info) == ("file" in info):
            raise DataError(f"{path}: modality {modality!r} needs {{ column = \"...\" }} (or {{ file = "
                            f"\"x-{{split}}.npy\" }})")
        unknown = sorted(set(info) - set(MODALITY_KEYS))
        if unknown:
            raise DataError(f"{path}: modality {modality!r}: unknown key(s) {unknown} (keys: {MODALITY_KEYS})")
        if "lengths" in info and spec["format"] != "npz":
            raise DataError(f"{path}: modality {modality!r}: sequences (lengths) are supported for npz only")
        if "encoder" in info and ("column" not in info or not isinstance(info["encoder"], str)):
            raise DataError(f'{path}: modality {modality!r}: encoder = "minilm" (or a sentence-transformers '
                            "name) applies to a text column")
    if "fold" in spec and "fold_file" in spec:
        raise DataError(f"{path}: give fold (a column) or fold_file, not both")
    if FOLD in spec.get("groups", {}):
        raise DataError(f"{path}: declare fold ids with fold = \"column\" (top level), not under [groups]")
    if not isinstance(spec.get("files", {}), dict) or set(spec.get("files", {})) - set(spec["splits"]):
        raise DataError(f"{path}: files must map listed splits to file names, e.g. files = {{ train = \"a.csv\" }}")
    spec["_labels"] = label_rules.parse(spec, str(path))
    return spec


def _split_file(root: Path, spec: dict, split: str) -> Path:
    path = root / spec.get("files", {}).get(split, f"{split}.{spec['format']}")
    if not path.is_file():
        raise DataError(f"{path} not found (split {split!r} listed in {MANIFEST})")
    return path


def _columns(root: Path, spec: dict, split: str) -> dict[str, np.ndarray]:
    fmt = spec["format"]
    if fmt == "npz":
        path = _split_file(root, spec, split)
        if not zipfile.is_zipfile(path):  # np.load would try to read anything else as a pickle
            raise DataError(f"{path}: not a readable .npz (no zip archive; truncated or another format); "
                            "write it again with numpy.savez")
        try:
            with np.load(path, allow_pickle=False) as z:  # never unpickle: object arrays are refused
                return {k: z[k] for k in z.files}
        except ValueError as err:
            if "allow_pickle" in str(err):
                raise DataError(f"{path}: holds an object (pickled) array; save plain numeric arrays") from None
            raise DataError(f"{path}: not a readable .npz ({err}); write it again with numpy.savez") from None
        except (OSError, EOFError, zipfile.BadZipFile) as err:
            raise DataError(f"{path}: not a readable .npz ({err}); write it again with numpy.savez") from None
    if fmt == "csv":
        import pandas as pd

        path = _split_file(root, spec, split)
        try:
            table = pd.read_csv(path)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
            raise DataError(f"{path}: not a readable CSV file ({type(err).__name__}: {err})") from None
        return {str(c): table[c].to_numpy() for c in table.columns}
    if fmt == "parquet":
        import pandas as pd

        path = _split_file(root, spec, split)
        try:
            table = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several types for a damaged file; all mean "unreadable"
            raise DataError(f"{path}: not a readable parquet file ({type(err).__name__}: {err})") from None
        return {c: np.stack(table[c].to_numpy()) if table[c].dtype == object and len(table) and
                hasattr(table[c].iloc[0], "__len__") and not isinstance(table[c].iloc[0], str)
                else table[c].to_numpy() for c in table.columns}
    import datasets

    folder = root / spec.get("path", "hf")
    if not folder.is_dir():
        raise DataError(f"{folder} not found; format 'hf' reads the save_to_disk folder named by 'path' "
                        f"(default 'hf') in {MANIFEST}")
    try:
        dd = datasets.load_from_disk(str(folder)).with_format("numpy")
    except Exception as err:  # datasets raises FileNotFoundError/ValueError/JSON errors for a damaged folder
        raise DataError(f"{folder}: not a readable HF dataset folder ({type(err).__name__}: {err})") from None
    if split not in dd:
        raise DataError(f"{folder}: no split {split!r}; it has {list(dd)}")
    return {c: np.asarray(dd[split][c]) for c in dd[split].column_names}


def _npy(root: Path, pattern: str, split: str) -> np.ndarray:
    path = root / pattern.replace("{split}", split)
    if not path.is_file():
        raise DataError(f"{path} not found (a modality's file in {MANIFEST}, for split {split!r})")
    try:
        return np.load(path, allow_pickle=False)  # never unpickle
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"{path}: not a readable .npy of numbers ({err}); write it with numpy.save") from None


def _texts(values: np.ndarray, where: str, column: str) -> list[str]:
    """A text column's cells as strings; an empty or non-text cell is refused with its rows."""
    bad = np.asarray([not isinstance(v, str) or not v.strip() for v in values.ravel()])
    if values.ndim != 1 or bad.any():
        keys = np.asarray([repr(v) for v in values.ravel()], dtype=np.str_)
        raise DataError(f"{where}: text column {column!r} has {int(bad.sum())} empty or non-text cell(s): "
                        f"{label_rules.offending(keys, bad)}; fill them or drop those rows")
    return [str(v) for v in values]


def _floats(values: np.ndarray, where: str, column: str) -> np.ndarray:
    if values.ndim == 1 and values.dtype.kind in "OUS" and values.size and isinstance(values[0], str):
        raise DataError(f"{where}: column {column!r} holds text (e.g. {str(values.ravel()[0])[:40]!r}); add "
                        f'encoder = "minilm" to its modality in {MANIFEST} to encode it at prepare time')
    if values.dtype.kind not in "biuf":
        raise DataError(f"{where}: column {column!r} holds {values.dtype} values; features must be numbers")
    return np.asarray(values, dtype=np.float32)


def _lengths(values: np.ndarray, where: str, column: str) -> np.ndarray:
    """Sequence lengths are whole step counts: 3.7 would otherwise be truncated to 3 without a word."""
    if values.dtype.kind not in "iuf" or (values.dtype.kind == "f" and not np.array_equal(values, np.round(values))):
        raise DataError(f"{where}: lengths column {column!r} must hold whole numbers, got {values.dtype} "
                        f"values such as {values.ravel()[:1].tolist()}")
    return values.astype(np.int64)


def _fold_ids(root: Path, spec: dict, cols: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per split, each row's fold id: from the ``fold`` column, or from ``fold_file``.

    ``fold_file`` is a CSV with columns ``id`` and ``fold`` (the dataset needs ``id``), or a pickle of
    ``(train_index, test_index)`` pairs over the rows of the one listed split (MUStARD's ``split_indices.p``),
    read with the restricted unpickler; fold f is the rows of pair f's test index."""
    if "fold" in spec:
        return {split: np.asarray(c[spec["fold"]]) for split, c in cols.items()}
    path = root / spec["fold_file"]
    if not path.is_file():
        raise DataError(f"{path} not found (fold_file in {MANIFEST})")
    if path.suffix in (".p", ".pkl", ".pickle"):
        from harness.data.safe_pickle import safe_load

        if len(cols) != 1:
            raise DataError(f"{path}: a pickle of (train, test) index pairs numbers the rows of one split; "
                            f"{MANIFEST} lists {list(cols)}")
        split, c = next(iter(cols.items()))
        n = len(c[spec["label"]])
        fold = np.full(n, -1, dtype=np.int64)
        try:
            for f, (_, test) in enumerate(safe_load(path)):
                test = np.asarray(test, dtype=np.int64)
                if test.size and (test.min() < 0 or test.max() >= n or (fold[test] >= 0).any()):
                    raise DataError(f"{path}: fold {f}'s test rows must be new row numbers in 0..{n - 1}")
                fold[test] = f
        except (TypeError, ValueError) as err:
            raise DataError(f"{path}: expected a list of (train_index, test_index) pairs ({err})") from None
        if (fold < 0).any():
            raise DataError(f"{path}: {int((fold < 0).sum())} row(s) of split {split!r} are in no fold's test "
                            f"index (e.g. row {int(np.flatnonzero(fold < 0)[0])})")
        return {split: fold}
    if "id" not in spec:
        raise DataError(f"{path}: a fold file maps item ids to folds; declare id = \"column\" in {MANIFEST}")
    import pandas as pd

    table = pd.read_csv(path, dtype={"id": str})
    if not {"id", "fold"} <= set(table.columns):
        raise DataError(f"{path}: needs columns id and fold; it has {list(table.columns)}")
    by_id = dict(zip(table["id"], table["fold"], strict=True))
    out = {}
    for split, c in cols.items():
        ids = np.asarray(c[spec["id"]]).astype(str)
        missing = np.asarray([i not in by_id for i in ids])
        if missing.any():
            raise DataError(f"{path}: {int(missing.sum())} item(s) of split {split!r} have no fold: "
                            f"{label_rules.offending(ids, missing)}")
        out[split] = np.asarray([by_id[i] for i in ids])
    return out


def read(root: Path, *, name: str, nonfinite: str = "error") -> ReadResult:
    """Read every split's columns, map labels, attach fold ids, encode text columns (cached), check it all."""
    root = Path(root)
    spec = read_spec(root)
    check_policy(nonfinite)
    modalities: dict[str, dict] = spec["modalities"]
    cols: dict[str, dict[str, np.ndarray]] = {}
    for split in spec["splits"]:
        cols[split] = _columns(root, spec, split)
        needed = [spec["label"]] + [i["column"] for i in modalities.values() if "column" in i]
        needed += [i["lengths"] for i in modalities.values() if "lengths" in i]
        needed += list(spec.get("groups", {}).values()) + [spec[k] for k in ("id", "fold") if k in spec]
        missing = [c for c in needed if c not in cols[split]]
        if missing:
            raise DataError(f"{root}/{split}: missing column(s) {missing}; it has {sorted(cols[split])}")
    decl = label_rules.resolve(spec["_labels"], {s: c[spec["label"]] for s, c in cols.items()}, str(root / MANIFEST))
    folds = _fold_ids(root, spec, cols) if "fold" in spec or "fold_file" in spec else {}
    texts = {m: {s: _texts(cols[s][i["column"]], f"{root}/{s}", i["column"]) for s in cols}
             for m, i in modalities.items() if "encoder" in i}
    encoded, text_notes = _encode(texts, modalities)
    replaced: dict[str, int] = {}
    splits = {}
    for split, c in cols.items():
        where = f"{root}/{split}"
        labels = label_rules.apply(decl, np.asarray(c[spec["label"]]), where, spec["label"])
        ids = c[spec["id"]].astype(str) if "id" in spec else np.array([f"{split}-{i}" for i in range(len(labels))])
        features = {}
        for m, info in modalities.items():
            source = info.get("column", info.get("file"))
            raw = encoded[m][split] if m in encoded else _floats(
                _npy(root, info["file"], split) if "file" in info else c[info["column"]], where, source)
            features[m] = fix_nonfinite(raw, nonfinite, f"{where}:{source}", replaced)
        lengths = {m: _lengths(c[i["lengths"]], where, i["lengths"]) for m, i in modalities.items() if "lengths" in i}
        groups = {key: np.asarray(c[column]) for key, column in spec.get("groups", {}).items()}
        if folds:
            groups[FOLD] = folds[split]
        groups = {k: v.astype(np.str_) if v.dtype.kind in "OS" else v for k, v in groups.items()}
        splits[split] = Split(ids=ids, labels=labels, features=features, lengths=lengths, groups=groups)
    notes: dict = {"nonfinite": nonfinite, "nonfinite_replaced": replaced} if replaced else {}
    notes |= {"labels": decl.manifest()} if decl.label_map is not None else {}
    notes |= {"text": text_notes} if text_notes else {}
    return ReadResult(MultimodalDataset(name=name, splits=splits), notes=notes)


def _encode(texts: dict[str, dict[str, list[str]]], modalities: dict[str, dict]
            ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict]]:
    """Each text modality's vectors per split, all splits in one call (one progress bar), cached by content."""
    if not texts:
        return {}, {}
    from harness.data.text_encoder import TextEncoder

    out, notes = {}, {}
    for m, by_split in texts.items():
        encoder = TextEncoder(encoder=modalities[m]["encoder"], progress=True)
        flat = [t for split_texts in by_split.values() for t in split_texts]
        vectors = encoder.sentences(flat)
        bounds = np.cumsum([0] + [len(v) for v in by_split.values()])
        out[m] = {s: vectors[bounds[i]:bounds[i + 1]] for i, s in enumerate(by_split)}
        notes[m] = {"encoder": encoder.encoder, "model": encoder.model_key, "dim": int(vectors.shape[1]),
                    "texts": len(flat), "encoded_now": encoder.encoded, "from_cache": len(flat) - encoder.encoded}
    return out, notes


def source(name: str):
    """A DatasetSource for the user's dataset ``name`` (refuses names of built-in datasets)."""
    from harness.data.sources import DATASETS, DatasetSource

    existing = DATASETS.registered(name)
    if existing is not None and existing.citation != CITATION:
        raise UserError(f"{name!r} is a built-in dataset; pick another name for your own data")
    return DatasetSource(name=name, description="your own data (--format generic)", citation=CITATION,
                         read=partial(read, name=name), source_hint="DIR with dataset.toml")
