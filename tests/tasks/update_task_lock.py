"""Record new tasks (or bumped versions) in task_lock.json; refuses a changed spec whose version was not bumped.

Run: python tests/tasks/update_task_lock.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LOCK = Path(__file__).with_name("task_lock.json")


def main() -> int:
    from harness.tasks import TASKS

    lock = json.loads(LOCK.read_text()) if LOCK.exists() else {}
    refused = []
    for name in TASKS:
        spec = TASKS.get(name)
        old = lock.get(name)
        if old and old["hash"] != spec.spec_hash() and old["version"] >= spec.version:
            refused.append(f"{name}: spec changed; bump its version above {old['version']} first")
            continue
        lock[name] = {"version": spec.version, "hash": spec.spec_hash()}
    LOCK.write_text(json.dumps(dict(sorted(lock.items())), indent=2) + "\n")
    print("\n".join(refused) or f"lock has {len(lock)} tasks")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
