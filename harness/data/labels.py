"""Declared labels of your own data: ``label_map`` (raw value -> class id) and ``positive_class``.

Why: a user's labels are often strings (``"sarcastic"``), booleans or arbitrary integers (``-1 / 1``), and
which class a binary F1 scores as positive is a choice the data's owner must make, not the harness. The
declaration lives in ``dataset.toml``; prepare applies it and refuses any label it does not cover, naming the
values and the rows, so no item is silently dropped or mis-classed. The resolved map goes into the manifest.

Binary metrics (``f1_pos``, ``precision_pos``, ``recall_pos``) score class id 1 as positive, so a declared
``positive_class`` is mapped to 1 (and must be, when the map is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.data.dataset import DataError

SHOWN = 5  # offending values / rows quoted in a refusal


def label_key(value: Any) -> str:
    """The text a raw label is matched by against ``label_map`` keys (TOML keys are strings).

    ``True`` -> ``"True"``; integers and whole floats -> ``"3"`` (``3.0`` from a CSV matches ``"3"``)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, np.integer | int):
        return str(int(value))
    if isinstance(value, np.floating | float):
        return str(int(value)) if np.isfinite(value) and float(value).is_integer() else str(float(value))
    return str(value)


def _keys(values: np.ndarray) -> np.ndarray:
    return np.asarray([label_key(v) for v in values.ravel()], dtype=np.str_)


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:SHOWN]))}{more}"


def offending(keys: np.ndarray, bad: np.ndarray) -> str:
    """``'maybe' (rows 3, 9), 'N/A' (row 12)``: each offending value with the (0-based) rows holding it."""
    values = list(dict.fromkeys(keys[bad].tolist()))
    text = ", ".join(f"{v!r} ({_rows(bad & (keys == v))})" for v in values[:SHOWN])
    return text + (f" and {len(values) - SHOWN} more value(s)" if len(values) > SHOWN else "")


@dataclass(frozen=True)
class LabelDeclaration:
    """What ``dataset.toml`` says about labels: the map (or None), the positive class, the class count."""

    label_map: dict[str, int] | None = None
    positive_class: str | None = None
    num_classes: int | None = None

    @property
    def declared(self) -> bool:
        return self.label_map is not None or self.positive_class is not None

    def manifest(self) -> dict[str, Any]:
        """The manifest's ``labels`` entry: map, class names by id, positive class (ids only when mapped)."""
        if self.label_map is None:
            return {}
        names: dict[int, list[str]] = {}
        for key, cid in self.label_map.items():
            names.setdefault(cid, []).append(key)
        entry: dict[str, Any] = {"label_map": dict(self.label_map),
                                 "classes": ["|".join(names[i]) for i in sorted(names)]}
        if self.positive_class is not None:
            entry |= {"positive_class": self.positive_class, "positive_id": self.label_map[self.positive_class]}
        return entry


def parse(spec: dict, where: str) -> LabelDeclaration:
    """Read and check ``label_map``, ``positive_class`` and ``num_classes`` from a parsed dataset.toml."""
    num_classes = spec.get("num_classes")
    if num_classes is not None and (not isinstance(num_classes, int) or isinstance(num_classes, bool)
                                    or num_classes < 1):
        raise DataError(f"{where}: num_classes must be a positive integer, got {num_classes!r}")
    raw_map = spec.get("label_map")
    positive = spec.get("positive_class")
    if positive is not None and not isinstance(positive, str | int | bool):
        raise DataError(f"{where}: positive_class must be a label value (text or integer), got {positive!r}")
    positive = None if positive is None else label_key(positive)
    if raw_map is None:
        return LabelDeclaration(None, positive, num_classes)
    if not isinstance(raw_map, dict) or not raw_map:
        raise DataError(f'{where}: label_map must be a table of label value -> class id, e.g. '
                        f'label_map = {{ "no" = 0, "yes" = 1 }}')
    bad = {k: v for k, v in raw_map.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0}
    if bad:
        raise DataError(f"{where}: label_map values must be class ids (integers >= 0); got {bad}")
    ids = sorted(set(raw_map.values()))
    if ids != list(range(len(ids))):
        raise DataError(f"{where}: label_map class ids must be 0..K-1 with none skipped; got {ids}")
    if num_classes is not None and num_classes != len(ids):
        raise DataError(f"{where}: num_classes = {num_classes} but label_map has {len(ids)} class ids")
    if positive is not None:
        if positive not in raw_map:
            raise DataError(f"{where}: positive_class {positive!r} is not a key of label_map "
                            f"({', '.join(map(repr, raw_map))})")
        if len(ids) != 2 or raw_map[positive] != 1:
            raise DataError(f"{where}: positive_class {positive!r} must map to class id 1 of two classes (binary "
                            f"metrics score class 1 as positive); label_map gives it {raw_map[positive]} of "
                            f"{len(ids)} classes")
    return LabelDeclaration(dict(raw_map), positive, num_classes or len(ids))


def resolve(decl: LabelDeclaration, raw: dict[str, np.ndarray], where: str) -> LabelDeclaration:
    """With only ``positive_class`` declared, build the binary map from the values present in every split."""
    if decl.label_map is not None or decl.positive_class is None:
        return decl
    values = sorted(set().union(*(set(_keys(v).tolist()) for v in raw.values())))
    if decl.positive_class not in values or len(values) != 2:
        raise DataError(f"{where}: positive_class {decl.positive_class!r} needs labels of exactly two values, "
                        f"one of them {decl.positive_class!r}; found {values[:SHOWN]}"
                        f"{' ...' if len(values) > SHOWN else ''}. Declare label_map for anything else")
    other = next(v for v in values if v != decl.positive_class)
    return LabelDeclaration({other: 0, decl.positive_class: 1}, decl.positive_class, 2)


def apply(decl: LabelDeclaration, values: np.ndarray, where: str, column: str) -> np.ndarray:
    """Class ids (or the values unchanged when nothing is declared); refusals quote values and rows."""
    if decl.label_map is not None:
        keys = _keys(values)
        bad = ~np.isin(keys, list(decl.label_map))
        if bad.any():
            raise DataError(f"{where}: label column {column!r} has {int(bad.sum())} label(s) not in label_map: "
                            f"{offending(keys, bad)}; label_map keys are {list(decl.label_map)}")
        return np.asarray([decl.label_map[k] for k in keys], dtype=np.int64)
    if values.dtype.kind not in "biuf":
        found = list(dict.fromkeys(_keys(values).tolist()))
        example = ", ".join(f'"{v}" = {i}' for i, v in enumerate(sorted(found)[:SHOWN]))
        raise DataError(f"{where}: label column {column!r} holds text ({', '.join(map(repr, found[:SHOWN]))}"
                        f"{' ...' if len(found) > SHOWN else ''}); declare the classes in dataset.toml, e.g. "
                        f"label_map = {{ {example} }}")
    if decl.num_classes is None:
        return values
    k = decl.num_classes
    if values.dtype.kind == "f" and not (np.isfinite(values).all() and np.array_equal(values, np.round(values))):
        frac = ~np.isfinite(values) | (values != np.round(values))
        raise DataError(f"{where}: label column {column!r} holds {values.dtype} values; num_classes = {k} needs "
                        f"integer class ids, not {offending(_keys(values), frac)}")
    bad = (values < 0) | (values >= k)
    if bad.any():
        raise DataError(f"{where}: label column {column!r} has {int(bad.sum())} value(s) outside 0..{k - 1} "
                        f"(e.g. {values[bad][0]}): {offending(_keys(values), bad)}; num_classes in dataset.toml "
                        f"is {k} (or declare label_map)")
    return values.astype(np.int64)

