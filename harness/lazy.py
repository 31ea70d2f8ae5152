"""A module imported on first attribute access, for heavy libraries that only some commands use.

Why not ``import`` inside each function: a few modules use SciPy in functions whose source is hashed (the verdict
rules' fingerprint), so the call sites must stay as they are (``stats.t.ppf(...)``); only the import line moves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
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


def lazy_exports(package: str, sources: dict[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` (PEP 562) that re-exports ``name`` from ``package.<sources[name]>`` on first use
    and keeps it, so importing the package itself stays cheap."""

    def __getattr__(name: str) -> Any:
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{sources[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
