"""Read data pickles without executing code hidden in them.

Published multimodal features (MMSA's MOSI/MOSEI pickles, the DialogueRNN/COGMEN/CORECT conversation
pickles, CIFAR-10 python batches) come as pickles, and ``pickle.load`` runs whatever callable a file names.
This unpickler admits only what such files legitimately contain: plain containers, numbers, strings, bytes
and numpy arrays, dtypes and scalars. Any other global is refused *before* it is called, with an error
naming it, so a malicious file fails without side effects.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from harness.errors import UserError

# (module, name) pairs a data pickle may reference. numpy 1.x pickles name ``numpy.core``; 2.x ``numpy._core``.
_NUMPY_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {(m, "_reconstruct") for m in _NUMPY_CORE}
    | {(m, "scalar") for m in _NUMPY_CORE}
    | {("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}
    | {("numpy", "ndarray"), ("numpy", "dtype")}
    | {("builtins", n) for n in ("list", "dict", "tuple", "set", "frozenset", "bytearray", "complex", "slice")}
    | {("collections", "OrderedDict")}
    # Protocol-2 pickles written by Python 3 encode ``bytes`` as _codecs.encode(str, "latin1"): a pure function.
    | {("_codecs", "encode")}
)


class UnsafePickleError(UserError):
    """A pickle references a global outside the allow-list; nothing it names has been called."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, origin: str, encoding: str) -> None:
        super().__init__(file, encoding=encoding)
        self._origin = origin

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self._origin}: refused to load the global {module}.{name}; data pickles may hold only "
                "containers, numbers, strings and numpy arrays. If this file is trusted, convert it to .npz "
                "in a separate trusted session and prepare from that"
            )
        return super().find_class(module, name)


def safe_load(path: Path, *, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` with the allow-list; ``latin1`` reads Python 2 pickles of numpy arrays (as upstream)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found; check the --from path")
    with open(path, "rb") as f:
        return safe_loads_from(f, str(path), encoding=encoding)


def safe_loads_from(file: io.BufferedIOBase, origin: str, *, encoding: str = "latin1") -> Any:
    try:
        return _RestrictedUnpickler(file, origin, encoding).load()
    except UnsafePickleError:
        raise
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise UserError(
            f"{origin}: not a readable pickle ({type(err).__name__}: {err}); the file is truncated or "
            "corrupt: download or copy it again"
        ) from err
