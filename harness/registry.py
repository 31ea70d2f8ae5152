"""One registry class for tasks, models, datasets and suites: lookup by name with "did you mean".

Why one class: every kind of named thing is found the same way from the CLI and the code, and a
typo always gets the same helpful message listing the valid choices. Every lookup first loads the plug-ins
(:func:`harness.discovery.load_plugins`, once per process), so names registered by baselines and papers are
found without the engine importing them. A name a deferred plug-in module registers is listed from the plug-in
index and its module is imported only when the name is looked up (:meth:`Registry.peek` reads what listings
need without importing it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from harness import discovery
from harness.discovery import load_plugins
from harness.errors import UserError

T = TypeVar("T")


class UnknownNameError(UserError, KeyError):
    """Raised for a name that is not registered; the message lists the valid choices."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])


class Registry(Generic[T]):
    """Name -> object map that refuses duplicate names and suggests close matches for typos."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T, *, replace: bool = False) -> T:
        if name in self._items and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        discovery.note(self.kind, name, item)
        return item

    def registered(self, name: str) -> T | None:
        """The item registered under ``name`` so far, without loading plug-ins: for registration code that
        runs while modules import (a lookup there would import plug-ins that import the module being loaded)."""
        return self._items.get(name)

    def remove(self, name: str) -> None:
        del self._items[name]

    def get(self, name: str) -> T:
        load_plugins()
        if name not in self._items:
            discovery.import_for(self.kind, name)
        try:
            return self._items[name]
        except KeyError:
            # Prefix matches first ("digits" -> "digits-views"), then other substrings, then fuzzy ones.
            known = self.names()
            substring = sorted((k for k in known if name and name in k), key=lambda k: not k.startswith(name))
            close = substring[:3] or difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            choices = ", ".join(known) or "(none registered)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}.{hint} Valid choices: {choices}") from None

    def peek(self, name: str, attribute: str) -> Any:
        """``get(name).attribute`` for listings, read from the plug-in index when the name's module is not
        imported yet (description, target kinds, embedded, ...: :data:`harness.discovery.LISTED`)."""
        load_plugins()
        if name not in self._items:
            listed = discovery.lazy_attributes(self.kind, name)
            if listed is not None and attribute in listed:
                return listed[attribute]
        return getattr(self.get(name), attribute)

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._items or (isinstance(name, str) and name in discovery.lazy_names(self.kind))

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def names(self) -> list[str]:
        load_plugins()
        return sorted(set(self._items) | set(discovery.lazy_names(self.kind)))
