"""A module imported on first attribute access, for heavy libraries that only some commands use.

Why not ``import`` inside each function: a few modules use SciPy in functions whose source is hashed (the verdict
rules' fingerprint), so the call sites must stay as they are (``stats.t.ppf(...)``); only the import line moves.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """Stands in for ``name`` until an attribute is read, then imports it (once) and delegates."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # dunder lookups (copy, pickle, introspection) stay on the stand-in
            raise AttributeError(attribute)
        if self._module is None:
            self._module = importlib.import_module(self.__name__)
        return getattr(self._module, attribute)


def lazy_module(name: str) -> Any:
    """``stats = lazy_module("scipy.stats")``: ``stats.t.ppf`` imports SciPy's stats on its first use."""
    return LazyModule(name)
