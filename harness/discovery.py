"""Plug-in discovery: the engine finds models, tasks, suites and papers without importing them by name.

Two sources, both read the same way:

* **Entry points** in the group ``mmrepro.plugins`` (declared in a package's ``pyproject.toml``). Loading one
  imports its module, whose top level registers models and datasets (``register_model``,
  ``register_dataset``) and may call :func:`include` on its own folder (``reproductions`` does).
* **Folders** given to :func:`include` (``mmrepro --include-path DIR``). A folder is either one paper package
  (it holds a ``claims.toml``) or a folder of them plus loose task and suite TOML files. Python code in it is
  imported (so its registrations run); every ``*.toml`` is classified: ``claims.toml`` marks a paper,
  a paper's ``suite.toml`` is its reproduction suite, ``dataset.toml`` describes raw data for
  ``mmrepro data prepare`` and is left alone, a file with ``[[group]]`` tables is a suite, any other a task.
  Names starting with ``_`` or ``.`` are skipped (``reproductions/_template`` is not a paper).

This module sits at the bottom of the engine: it imports nothing from the project. Registries that care about
included files (tasks, suites, papers) :func:`subscribe` a callback and are told about every folder, including
the ones found before they subscribed; :class:`harness.registry.Registry` calls :func:`load_plugins` before
every lookup, so a name is found wherever it was registered.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError

GROUP = "mmrepro.plugins"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Folder:
    """What one included folder holds, by kind; paths are absolute."""

    root: Path
    papers: tuple[Path, ...]  # folders with a claims.toml; the folder name is the paper's name
    tasks: tuple[Path, ...]
    suites: tuple[Path, ...]
    user: bool  # given with --include-path (worker processes include it again), not by an entry point


_folders: list[Folder] = []
_listeners: list[Callable[[Folder], None]] = []
_loaded = False


def _skipped(path: Path, root: Path) -> bool:
    return any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)


def _is_suite(path: Path) -> bool:
    try:
        return "group" in tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"cannot parse {path}: {err}") from err


def scan(root: Path, *, user: bool = False) -> Folder:
    """Classify the files under ``root`` (see the module docstring); reads TOML, imports nothing."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UserError(f"--include-path {root} is not a folder")
    if (root / "claims.toml").is_file():
        papers: list[Path] = [root]
    else:
        papers = sorted(p for p in root.iterdir()
                        if p.is_dir() and not _skipped(p, root) and (p / "claims.toml").is_file())
    tasks, suites = [], []
    for path in sorted(root.rglob("*.toml")):
        if _skipped(path, root) or path.name in ("claims.toml", "dataset.toml", "pyproject.toml"):
            continue
        if path.name == "suite.toml" and path.parent in papers:
            continue  # a paper's reproduction suite, reached through the paper
        (suites if _is_suite(path) else tasks).append(path)
    return Folder(root, tuple(papers), tuple(tasks), tuple(suites), user)


def _import_code(folder: Folder, package: str | None) -> None:
    """Import the Python in ``folder`` so that its registrations run.

    ``package`` names the folder when it is already importable (``reproductions``); otherwise the folder (or,
    for a single paper, its parent) goes on ``sys.path`` and each paper and top-level module is imported by
    its own name.
    """
    root = folder.root
    if package is not None:
        modules = [(f"{package}.{paper.name}", paper) for paper in folder.papers]
    else:
        base = root.parent if folder.papers == (root,) else root
        modules = [(paper.name, paper) for paper in folder.papers]
        if folder.papers != (root,):
            modules += [(p.stem, p) for p in sorted(root.glob("*.py")) if not p.name.startswith(("_", "."))]
        for name, _ in modules:
            _refuse_shadowing(name, base)
        if str(base) not in sys.path:
            sys.path.insert(0, str(base))
    for name, path in modules:
        importlib.import_module(name)
        if path.is_dir() and not (path / "__init__.py").is_file():
            # A paper without __init__.py is a namespace package: import its modules one by one.
            for module in sorted(path.glob("*.py")):
                if not module.name.startswith(("_", ".")):
                    importlib.import_module(f"{name}.{module.stem}")


def _refuse_shadowing(name: str, base: Path) -> None:
    """A plug-in imported by its own name must not hide, or be hidden by, another module of that name."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    locations = [spec.origin] if spec.has_location else list(spec.submodule_search_locations or [])
    for location in locations:
        if Path(base).resolve() not in Path(location).resolve().parents:
            raise UserError(f"plug-in {Path(base) / name} has the name of the module {name!r} at {location}; "
                            "rename its folder or file")


def include(root: Path, *, package: str | None = None, user: bool = True) -> Folder:
    """Register everything in ``root``: import its code, then tell every subscriber. Idempotent per folder."""
    resolved = Path(root).resolve()
    for seen in _folders:
        if seen.root == resolved:
            return seen
    folder = scan(resolved, user=user)
    try:
        _import_code(folder, package)
    except Exception as err:
        err.add_note(f"while importing the Python of the plug-in folder {resolved}")
        raise
    _folders.append(folder)
    try:
        for listener in list(_listeners):
            listener(folder)
    except BaseException:  # a refused folder is not included: worker processes must not include it again
        _folders.remove(folder)
        raise
    return folder


def subscribe(listener: Callable[[Folder], None]) -> None:
    """Call ``listener`` for every folder included so far and every one included later."""
    _listeners.append(listener)
    for folder in list(_folders):
        listener(folder)


def user_folders() -> list[Path]:
    """Folders given with ``--include-path``, for worker processes to include again."""
    return [f.root for f in _folders if f.user]


def load_plugins() -> None:
    """Import every ``mmrepro.plugins`` entry point once per process (sorted by name, so the order is fixed)."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # set first: a plug-in that looks a name up while loading must not recurse
    entries = sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: e.name)
    if not entries:
        log.warning("no %s entry points: install the package (pip install -e .) to register the baselines "
                    "and papers", GROUP)
    for entry in entries:
        try:
            entry.load()
        except Exception as err:
            err.add_note(f"while loading the mmrepro plug-in {entry.name!r} ({entry.value}, group {GROUP})")
            raise
