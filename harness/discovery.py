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

**Lazy plug-in code.** Importing a plug-in's Python (torch networks, scikit-learn) costs seconds, and most commands
(``mmrepro tasks``, ``show``, a cached ``leaderboard``) need none of it. So a plug-in package names its modules
with :func:`defer` instead of importing them (``baselines`` does; a paper of an entry-point package is deferred by
:func:`include`), and :func:`load_plugins` reads an index of what each deferred module registers (names plus
the attributes listings show: description, target kinds, ...). A lookup of a name imports only the module that
registers it. The index is built in a fresh process (so that nothing already imported hides a registration) the
first time, and again whenever a ``.py`` file of the plug-in packages or of ``harness`` changes; it lives in
``$MMREPRO_CACHE`` (default ``~/.cache/mmrepro``) under ``plugin-index/``. ``MMREPRO_EAGER_PLUGINS=1`` imports
everything at once instead (the behaviour before the index). Folders given with ``--include-path`` are always
imported at once, so their errors surface when they are included.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
_deferred: list[str] = []  # plug-in modules imported on first use (see the module docstring)
_resolved = False  # the index of the deferred modules has been read (later defers import at once)
_lazy: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}  # registry kind -> name -> (module, attributes)
_recording: dict[str, dict[str, dict[str, Any]]] | None = None  # filled by note() while the index is built
# What listings and row labels read without importing the plug-in (see Registry.peek).
LISTED = ("description", "target_kinds", "defaults", "embedded", "source_hint", "citation")
INDEX_VERSION = 1


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
        if package is not None:  # a package's papers: imported on first use, like every deferred module
            for paper in folder.papers:
                defer(f"{package}.{paper.name}")
        else:
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


def load_plugins(*, import_all: bool = False) -> None:
    """Import every ``mmrepro.plugins`` entry point once per process (sorted by name, so the order is fixed), then
    read the index of their deferred modules; ``import_all`` also imports every deferred module (for tests that
    walk everything registered, e.g. every network)."""
    global _loaded
    if not _loaded:
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
        _resolve_deferred()
    if import_all:
        for module in list(_deferred):
            _import_deferred(module)


def defer(module: str) -> None:
    """Register the names ``module`` registers now, and import it when one of them is first looked up."""
    if _resolved or os.environ.get("MMREPRO_EAGER_PLUGINS"):
        _import_deferred(module)
    elif module not in _deferred:
        _deferred.append(module)


def _import_deferred(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception as err:
        err.add_note(f"while importing the mmrepro plug-in module {module!r}")
        raise


def note(kind: str, name: str, item: object) -> None:
    """Called by every registry ``add``: while the index is built, remember who registered what."""
    if _recording is not None:
        attributes = {}
        for attr in LISTED:
            try:
                attributes[attr] = json.loads(json.dumps(getattr(item, attr)))  # tuples are read back as lists
            except (AttributeError, TypeError, ValueError):
                continue  # not an attribute of this kind of item, or not plain data
        _recording.setdefault(kind, {})[name] = attributes


def lazy_names(kind: str) -> list[str]:
    """Names of ``kind`` that a deferred module registers (imported or not)."""
    return list(_lazy.get(kind, {}))


def lazy_attributes(kind: str, name: str) -> dict[str, Any] | None:
    """The listing attributes the index holds for ``name``, or None when no deferred module registers it."""
    entry = _lazy.get(kind, {}).get(name)
    return None if entry is None else entry[1]


def import_for(kind: str, name: str) -> None:
    """Import the deferred module that registers ``name`` (no-op for a name no deferred module registers)."""
    entry = _lazy.get(kind, {}).get(name)
    if entry is not None:
        _import_deferred(entry[0])


def _cache_root() -> Path:
    return Path(os.environ.get("MMREPRO_CACHE") or Path.home() / ".cache" / "mmrepro") / "plugin-index"


# The engine files whose code decides what a registration records (the rest of harness/ cannot add or drop a name).
_MACHINERY = ("discovery.py", "registry.py", "models.py", "data/sources.py")


def _index_key(modules: list[str]) -> str:
    """Changes whenever a ``.py`` file of the deferred modules' packages or of the registration machinery changes
    (path, size, mtime), or the module list, the Python or the index format does."""
    here = Path(__file__).resolve().parent
    files = [here / name for name in _MACHINERY]
    for top in sorted({module.partition(".")[0] for module in modules}):
        spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            files += sorted(Path(location).resolve().rglob("*.py"))
    digest = hashlib.sha256(json.dumps([INDEX_VERSION, sys.version, sys.executable, modules]).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def _resolve_deferred() -> None:
    """Read (or build) the index of the deferred modules; without one, import them all (the old behaviour)."""
    global _resolved
    if _resolved:
        return
    modules = list(_deferred)
    index = None
    if modules and not os.environ.get("MMREPRO_EAGER_PLUGINS"):
        path = _cache_root() / f"{_index_key(modules)}.json"
        index = _read_index(path, modules)
        if index is None and _writable(path.parent):  # else a build per process would cost more than it saves
            index = _build_index(path, modules)
    _resolved = True
    if index is None:
        for module in modules:
            _import_deferred(module)
        return
    for module in modules:
        for kind, names in index[module].items():
            for name, attributes in names.items():
                _lazy.setdefault(kind, {}).setdefault(name, (module, attributes))


def _read_index(path: Path, modules: list[str]) -> dict[str, dict] | None:
    try:
        index = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and all(isinstance(index.get(m), dict) for m in modules) else None


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _build_index(path: Path, modules: list[str]) -> dict[str, dict] | None:
    """Import the plug-ins in a fresh process that records every registration; store its index atomically."""
    env = dict(os.environ, MMREPRO_INDEX_MODULES=json.dumps(modules))
    code = "from harness.discovery import _index_main; _index_main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    try:
        index = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    except (ValueError, IndexError):
        index = None
    if index is None:
        log.debug("plug-in index not built (%s); importing the plug-ins now", proc.stderr.strip()[-500:])
        return None  # importing them here shows the error, if any, as it always did
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump(index, handle)
        os.replace(handle.name, path)
    except OSError as err:  # an unwritable cache only costs the next process the same build
        log.debug("cannot store the plug-in index at %s: %s", path, err)
    return index


def _index_main() -> None:
    """The index builder's process: import the core registries, then each deferred module while recording."""
    global _recording, _loaded, _resolved
    for core in ("harness.models", "harness.data.sources", "harness.data.store", "harness.tasks",
                 "harness.sweep.suite", "harness.papers"):
        importlib.import_module(core)
    _loaded = True  # the entry points are loaded by hand below, with the lookups they trigger kept lazy
    for entry in sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: e.name):
        entry.load()
    index: dict[str, dict] = {}
    for module in json.loads(os.environ["MMREPRO_INDEX_MODULES"]):
        _recording = {}
        _import_deferred(module)
        index[module], _recording = _recording, None
    _resolved = True
    sys.stdout.write(json.dumps(index) + "\n")
