"""Prepared datasets: read a source once, store it as HF ``datasets`` Arrow, load it memory-mapped.

Layout under the data root (``$MMREPRO_DATA``, default ``~/.cache/mmrepro/data``)::

    <root>/<name>/manifest.json     sources + sha256, counts before/after filters, features, fingerprint
    <root>/<name>/arrow/            DatasetDict.save_to_disk

Columns: ``id`` (string), ``label``, ``x.<modality>``, for sequences ``len.<modality>``, and one
``group.<key>`` per group field (dialogue, speaker, turn, pair; listed with their dtypes under ``groups`` in
the manifest). A vector modality is a fixed-size list of ``d`` floats, an image one of ``C*H*W`` values
(the manifest's ``shape`` restores ``(C, H, W)``); a sequence is stored *unpadded* as a list of ``d``-float
steps, so the disk holds no padding. :func:`load_prepared` pads back to the source's length ``T`` so the
in-memory :class:`Split` keeps the shapes of the published format.

Preparation writes into a temporary sibling folder and renames it into place, so an interrupted or
failed prepare never leaves a half-written dataset that a later run could mistake for a good one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import harness
from harness.data.dataset import DataError, MultimodalDataset, Split
from harness.data.paths import data_root
from harness.data.read_result import ReadResult
from harness.data.sources import DATASETS, DatasetSource, load_embedded
from harness.errors import DataUnavailableError, UserError
from harness.names import NAME_RULE, check_name

MANIFEST = "manifest.json"
log = logging.getLogger(__name__)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def _fixed_list(x: np.ndarray) -> pa.Array:
    """(n, d) -> fixed_size_list<d>; the values buffer is the numpy buffer (no per-element conversion)."""
    x = np.ascontiguousarray(x)
    return pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), x.shape[1])


def _ragged(x: np.ndarray, lengths: np.ndarray) -> pa.Array:
    """(n, T, d) padded + lengths -> list<fixed_size_list<d>> holding only the valid steps."""
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return pa.LargeListArray.from_arrays(pa.array(offsets), _fixed_list(x[valid]))


def _split_table(split: Split) -> pa.Table:
    # multi-label rows (n, L) go in as fixed-size lists: pa.array refuses a 2-D array
    labels = _fixed_list(split.labels) if split.labels.ndim == 2 else pa.array(split.labels)
    columns: dict[str, pa.Array] = {"id": pa.array(split.ids.astype(str)), "label": labels}
    for modality, x in split.features.items():
        if modality in split.lengths:
            lengths = split.lengths[modality].astype(np.int64)
            columns[f"x.{modality}"] = _ragged(x, lengths)
            columns[f"len.{modality}"] = pa.array(lengths)
        else:
            columns[f"x.{modality}"] = _fixed_list(x.reshape(len(x), -1))
    for key, values in split.groups.items():
        columns[f"group.{key}"] = pa.array(values)
    return pa.table(columns)


def flat_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    while pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type) or pa.types.is_fixed_size_list(arr.type):
        arr = arr.flatten()
    return arr.to_numpy(zero_copy_only=False)


def pad_ragged(values: np.ndarray, lengths: np.ndarray, max_len: int) -> np.ndarray:
    """Scatter concatenated steps ``values`` (sum(lengths), d) into a zero-padded (n, max_len, d) array."""
    n, d = len(lengths), values.shape[-1]
    out = np.zeros((n, max_len, d), dtype=values.dtype)
    rows = np.repeat(np.arange(n), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps = np.arange(len(values)) - np.repeat(starts, lengths)
    out[rows, steps] = values
    return out


def table_to_split(table: pa.Table, features: dict[str, dict[str, Any]], groups: dict[str, str] | None = None
                   ) -> Split:
    """Rebuild a padded :class:`Split` from an Arrow table, padding sequences to the manifest's ``T``.

    ``groups`` maps each group field to its numpy dtype string (the manifest's ``groups``).
    """
    labels = table.column("label")
    label_arr = labels.combine_chunks()
    if pa.types.is_fixed_size_list(label_arr.type):
        y = flat_values(label_arr).reshape(len(table), label_arr.type.list_size)
    else:
        y = label_arr.to_numpy(zero_copy_only=False)
    x, lengths = {}, {}
    for modality, info in features.items():
        shape = info["shape"]
        flat = flat_values(table.column(f"x.{modality}"))
        if info["sequence"]:
            lengths[modality] = np.array(table.column(f"len.{modality}").to_numpy())
            x[modality] = pad_ragged(flat.reshape(-1, shape[-1]), lengths[modality], shape[0])
        else:
            x[modality] = flat.reshape(len(table), *shape)
    ids = np.asarray(table.column("id").to_pylist(), dtype=np.str_)
    group_values = {key: np.asarray(table.column(f"group.{key}").to_pylist(),
                                    dtype=np.str_ if np.dtype(dtype).kind == "U" else np.dtype(dtype))
                    for key, dtype in (groups or {}).items()}
    return Split(ids=ids, labels=y, features=x, lengths=lengths, groups=group_values)


def _as_result(read_out: MultimodalDataset | ReadResult) -> ReadResult:
    return read_out if isinstance(read_out, ReadResult) else ReadResult(read_out)


def _zero_padding(dataset: MultimodalDataset) -> MultimodalDataset:
    """Steps past a sample's length are padding, not data: store and fingerprint them as zeros."""
    splits = {}
    for name, split in dataset.splits.items():
        features = dict(split.features)
        for m in split.lengths:
            pad = ~split.mask(m)
            if features[m][pad].any():
                features[m] = features[m].copy()
                features[m][pad] = 0
        splits[name] = split.with_features(features)
    return MultimodalDataset(name=dataset.name, splits=splits, synthetic=dataset.synthetic)


def _resolve_source(name: str, fmt: str | None) -> DatasetSource:
    if fmt == "generic":
        from harness.data import generic

        return generic.source(name)
    if fmt not in (None, "auto"):
        raise UserError(f"--format {fmt!r} is unknown; use --format generic for your own data, or leave it out")
    return DATASETS.get(name)


OVERLAP_POLICIES = ("warn", "error")
TEMP_OWNER = ".owner"  # the pid of the prepare that writes a temporary folder


def split_overlaps(dataset: MultimodalDataset) -> dict[str, int]:
    """Item ids shared by two splits ("train/test": 3): a leak when one trains and the other is reported."""
    ids = {s: set(split.ids.astype(str).tolist()) for s, split in dataset.splits.items()}
    names = list(ids)
    return {f"{a}/{b}": len(ids[a] & ids[b]) for i, a in enumerate(names) for b in names[i + 1:] if ids[a] & ids[b]}


def _check_overlaps(name: str, dataset: MultimodalDataset, policy: str) -> dict[str, int]:
    if policy not in OVERLAP_POLICIES:
        raise UserError(f"--overlap {policy!r} is not one of {', '.join(OVERLAP_POLICIES)}")
    overlaps = split_overlaps(dataset)
    if overlaps:
        text = ", ".join(f"{pair}: {n}" for pair, n in overlaps.items())
        if policy == "error":
            raise DataError(f"{name}: item ids shared between splits ({text}); a model could be scored on items "
                            "it trained on. Fix the source split, or prepare with --overlap warn to keep it")
        log.warning("warning: %s: item ids shared between splits (%s); a task training on one and reporting "
                    "the other is refused when it runs", name, text)
    return overlaps


def _owner_alive(folder: Path) -> bool:
    try:
        os.kill(int((folder / TEMP_OWNER).read_text()), 0)
    except (OSError, ValueError):  # no owner file, unreadable, or no such process: an abandoned folder
        return False
    return True


def stale_temp_folders(root: Path | None = None, name: str | None = None) -> list[Path]:
    """Temporary folders left by a prepare that was killed (its process is gone)."""
    root = Path(root or data_root())
    if not root.is_dir():
        return []
    pattern = f".{name}-*" if name else ".*-*"
    return sorted(p for p in root.glob(pattern) if p.is_dir() and p.name not in (".cache", ".downloads")
                  and not _owner_alive(p))


def _check_writable_root(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=".probe-", dir=root))
        probe.rmdir()
    except OSError as err:
        raise UserError(f"cannot create or write the data root {root} ({err.strerror or err}); set MMREPRO_DATA "
                        "to a writable folder") from None


def prepare(name: str, source_path: Path | None, root: Path | None = None, *, options: dict[str, str] | None = None,
            fmt: str | None = None, download: bool = False, overlap: str = "warn") -> dict:
    """Read the source with the dataset's reader (optionally downloading it first) and store it.

    ``options`` are passed to the reader as keyword arguments (e.g. ``nonfinite="zero"``). ``overlap`` says what
    item ids shared between splits do: ``warn`` (kept, counted in the manifest) or ``error``. Returns the manifest.
    """
    import datasets  # deferred: importing HF datasets costs about a second

    check_name("dataset", name)  # before any path: '.' or '..' would replace the data root or its parent
    source = _resolve_source(name, fmt)
    if source.read is None:
        raise UserError(f"dataset {name!r} ships with mmrepro and needs no prepare step")
    root = Path(root or data_root())
    if download:
        if source.download is None:
            raise UserError(f"dataset {name!r} has no public download; get it as described in its source hint "
                            f"({source.source_hint}) and pass --from")
        source_path = source.download(root / ".downloads" / name)
    if source_path is None:
        raise UserError(f"give --from PATH ({source.source_hint or 'the source files'}) or --download")
    source_path = Path(source_path)
    if not source_path.exists():
        raise UserError(f"--from {source_path} does not exist; expected {source.source_hint or 'a path'}")
    options = dict(options or {})
    _check_writable_root(root)  # before the read, which may take long on large data
    try:
        result = _as_result(source.read(source_path, **options))
    except TypeError as err:
        if "unexpected keyword" not in str(err):
            raise
        raise UserError(f"dataset {name!r} does not accept option(s) {sorted(options)}: {err}") from err
    dataset = _zero_padding(result.dataset)
    overlaps = _check_overlaps(name, dataset, overlap)
    for stale in stale_temp_folders(root, name):  # left by a killed prepare of this name
        log.warning("removing %s, left by an interrupted prepare of %s", stale, name)
        shutil.rmtree(stale, ignore_errors=True)
    files = {str(p.relative_to(source_path) if p != source_path else p.name): sha256_file(p)
             for p in _source_files(source_path)}
    files |= {str(p.resolve()): sha256_file(p) for p in result.extra_sources}
    first = next(iter(dataset.splits.values()))
    manifest = {
        "name": name,
        "format": fmt or "native",
        "fingerprint": dataset.fingerprint(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "mmrepro_version": harness.__version__,
        "source": str(source_path.resolve()),
        "source_files": files,
        "options": options,
        "splits": {s: len(split) for s, split in dataset.splits.items()},
        "label": {"dtype": str(first.labels.dtype), "shape": list(first.labels.shape[1:])},
        "features": {m: {"shape": list(dataset.feature_shape(m)), "dtype": str(first.features[m].dtype),
                         "sequence": first.is_sequence(m)} for m in dataset.modalities},
        **({"groups": {k: first.groups[k].dtype.str for k in dataset.group_keys}} if dataset.group_keys else {}),
        "notes": result.notes,
        **({"split_overlaps": overlaps} if overlaps else {}),
        "synthetic": dataset.synthetic,
    }
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    except OSError as err:
        raise UserError(f"cannot write under the data root {root} ({err.strerror}); set MMREPRO_DATA to a "
                        "writable folder") from None
    final = root / name
    old = root / f"{tmp.name}.old"  # hidden like tmp: the old copy is set aside, never half-deleted in place
    try:
        (tmp / TEMP_OWNER).write_text(str(os.getpid()))
        # Our fingerprint names each split: without one, datasets hashes the whole pickled table (a copy of
        # the data, the peak of a large prepare: 761 -> 364 MB RSS for 105 MB of float32, benchmarks/).
        dd = datasets.DatasetDict({s: datasets.Dataset(datasets.table.InMemoryTable(_split_table(split)),
                                                       fingerprint=f"{manifest['fingerprint']}-{s}")
                                   for s, split in dataset.splits.items()})
        dd.save_to_disk(str(tmp / "arrow"))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        (tmp / TEMP_OWNER).unlink()
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not final.exists():  # put the previous preparation back
            os.replace(old, final)
        raise
    if fmt == "generic":
        DATASETS.add(name, source, replace=True)
    return manifest


def is_prepared(name: str, root: Path | None = None) -> bool:
    return (Path(root or data_root()) / check_name("dataset", name) / MANIFEST).is_file()


def prepared_names(root: Path | None = None) -> list[str]:
    root = Path(root or data_root())
    return sorted(p.parent.name for p in root.glob(f"*/{MANIFEST}") if NAME_RULE.fullmatch(p.parent.name)) \
        if root.is_dir() else []


def read_manifest(name: str, root: Path | None = None) -> dict:
    path = Path(root or data_root()) / check_name("dataset", name) / MANIFEST
    if not path.is_file():
        hint = DATASETS.get(name).prepare_command() if name in DATASETS else "mmrepro data prepare NAME --from PATH"
        raise DataUnavailableError(name, f"Run: {hint}")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path} is unreadable ({err}); prepare {name} again "
                        f"(mmrepro data prepare {name} --from PATH)") from None
    if not isinstance(manifest, dict) or not {"fingerprint", "splits", "features"} <= set(manifest):
        raise DataError(f"{path} is not a complete manifest; prepare {name} again "
                        f"(mmrepro data prepare {name} --from PATH)")
    return manifest


def open_prepared(name: str, root: Path | None = None):
    """The prepared ``datasets.DatasetDict``, memory-mapped from the Arrow files (nothing read yet)."""
    import datasets

    read_manifest(name, root)
    return datasets.load_from_disk(str(Path(root or data_root()) / name / "arrow"))


def load_prepared(name: str, root: Path | None = None) -> MultimodalDataset:
    manifest = read_manifest(name, root)
    dd = open_prepared(name, root)
    splits = {s: table_to_split(dd[s].data.table, manifest["features"], manifest.get("groups"))
              for s in manifest["splits"]}
    return MultimodalDataset(name=name, splits=splits, synthetic=manifest.get("synthetic", False))


def verify(name: str, root: Path | None = None) -> list[str]:
    """Re-hash the recorded source files and the prepared data; returns the problems found (empty = intact)."""
    manifest = read_manifest(name, root)
    problems = []
    base = Path(manifest["source"])
    for rel, digest in manifest["source_files"].items():
        path = Path(rel) if Path(rel).is_absolute() else (base / rel if base.is_dir() else base)
        if not path.is_file():
            problems.append(f"source file {path} is missing")
        elif sha256_file(path) != digest:
            problems.append(f"source file {path} changed (sha256 differs from the manifest)")
    fingerprint = load_prepared(name, root).fingerprint()
    if fingerprint != manifest["fingerprint"]:
        problems.append(f"prepared data fingerprint {fingerprint} != manifest {manifest['fingerprint']}")
    return problems


def load_dataset(name: str, root: Path | None = None) -> MultimodalDataset:
    """The one entry point tasks use: embedded datasets load directly, others from the prepared store."""
    source = DATASETS.get(name)
    if source.embedded:
        return load_embedded(name)
    root = Path(root or data_root()).resolve()
    return _load_prepared_once(name, root, read_manifest(name, root)["fingerprint"])


@lru_cache(maxsize=4)
def _load_prepared_once(name: str, root: Path, fingerprint: str) -> MultimodalDataset:
    """A sweep runs many models on one dataset: read it once per process (re-preparing changes the key)."""
    return load_prepared(name, root)


def dataset_available(name: str, root: Path | None = None) -> bool:
    return DATASETS.peek(name, "embedded") or is_prepared(name, root)  # peek: no plug-in import to list tasks


def register_generic(root: Path | None = None) -> list[str]:
    """Register every dataset prepared with ``--format generic`` under the data root (done at import)."""
    from harness.data import generic

    names = []
    for name in prepared_names(root):
        if DATASETS.registered(name) is not None or not NAME_RULE.fullmatch(name):
            continue
        try:
            manifest = read_manifest(name, root)
        except UserError as err:  # one damaged dataset must not stop every command
            log.warning("warning: %s", err)
            continue
        if manifest.get("format") == "generic":
            DATASETS.add(name, generic.source(name))
            names.append(name)
    return names


register_generic()
