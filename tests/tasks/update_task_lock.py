"""Record new tasks (or bumped versions) in their lock files; refuses a changed spec whose version was not bumped.

Built-in specs are locked in ``tests/tasks/task_lock.json``; a task defined in a plug-in folder (a paper's
``tasks/x.toml``) in ``task_lock.json`` beside its spec, so adding a paper's task touches only its folder.

Run: python tests/tasks/update_task_lock.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LOCK = Path(__file__).with_name("task_lock.json")


def lock_file(name: str) -> Path:
    """The lock file that holds task ``name``'s version and hash."""
    from harness.tasks.registry import ORIGINS, SPEC_DIR

    origin = ORIGINS[name]
    return LOCK if origin.parent == SPEC_DIR.resolve() else origin.parent / "task_lock.json"


def read_lock(path: Path) -> dict[str, dict[str, int | str]]:
    return json.loads(path.read_text()) if path.exists() else {}


def main() -> int:
    from harness.tasks import TASKS

    locks: dict[Path, dict] = {}
    refused = []
    for name in TASKS:
        spec = TASKS.get(name)
        path = lock_file(name)
        lock = locks.setdefault(path, read_lock(path))
        old = lock.get(name)
        if old and old["hash"] != spec.spec_hash() and old["version"] >= spec.version:
            refused.append(f"{name}: spec changed; bump its version above {old['version']} first")
            continue
        lock[name] = {"version": spec.version, "hash": spec.spec_hash()}
    for path, lock in locks.items():
        path.write_text(json.dumps(dict(sorted(lock.items())), indent=2) + "\n")
    print("\n".join(refused) or "\n".join(f"{path}: {len(lock)} tasks" for path, lock in locks.items()))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
