"""The one rule for names a user chooses (datasets, tasks, suites, papers), checked before any path is built.

Why: such names become folders (``$MMREPRO_DATA/<dataset>``, ``results/runs/<task>``, ``results/reproductions/
<paper>``); a name like ``.`` or ``../x`` would make ``prepare`` replace the whole data root or a run write its
record outside ``results/runs``. The rule admits every spelling the README's Naming section uses
(``iemocap-6``, ``meld_emotion``) and nothing that a path could interpret.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import UserError

NAME_RULE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RULE_TEXT = "lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters"


def check_name(kind: str, name: object, where: str = "") -> str:
    """Return ``name`` if it follows the rule, else raise a :class:`UserError` naming the kind and the rule."""
    if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
        prefix = f"{where}: " if where else ""
        raise UserError(f"{prefix}{kind} name {name!r} is not allowed; use {RULE_TEXT} (e.g. my_data, my-task)")
    return name


def child(base: Path, kind: str, name: str) -> Path:
    """``base / name`` for a name that follows the rule: the only way a user-chosen name becomes a path."""
    return Path(base) / check_name(kind, name)
