"""The site's footer: which code (its newest commit) wrote the pages, which runs they show, and "as of" when.

"When generated" is the newest ``finished`` time among the records shown (or ``--as-of``), not the clock: the same
records then give the same bytes, and the date still says how fresh the numbers are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib import metadata

from harness.runs.record import RunRecord

GENERATOR_PACKAGES = ("mmrepro", "numpy", "pandas", "matplotlib", "jinja2")
# The footer names the newest commit of the code behind the pages, not HEAD: committing results (the site
# included) or tests then leaves every page byte-identical, so a committed site stays current until code changes.
CODE_PATHS = ("harness", "baselines", "reproductions", "pyproject.toml")


@dataclass(frozen=True)
class Footer:
    as_of: str
    commit: str
    versions: str  # the generator's: "mmrepro 0.1.0, numpy 2.1.0, ..."
    run_versions: str  # what the shown runs ran with: torch versions and Python, with run counts
    hardware: str  # where the shown runs ran: CPU / GPU names, with run counts
    n_records: int


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _counted(values: list[str]) -> str:
    counts = Counter(values)
    return "; ".join(f"{value} ({n} runs)" for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def footer(records: list[RunRecord], as_of: str | None = None) -> Footer:
    """The footer for pages built from ``records``; ``as_of`` overrides the newest record time."""
    from harness.runs.provenance import last_commit, provenance

    here = provenance()
    code = last_commit(*CODE_PATHS) if here["git_commit"] else None
    commit = (code or "unknown")[:12] + (" (with uncommitted changes)" if here["git_dirty"] else "")
    finished = sorted(r.finished for r in records if r.finished)
    hardware = [p.get("gpu") or p.get("cpu") or "unknown" for p in (r.provenance for r in records)]
    runtime = [f"torch {(p.get('packages') or {}).get('torch') or '?'}, Python {p.get('python') or '?'}"
               for p in (r.provenance for r in records)]
    return Footer(as_of=as_of or (finished[-1] if finished else "no records"), commit=commit,
                  versions=", ".join(f"{p} {_version(p)}" for p in GENERATOR_PACKAGES),
                  run_versions=_counted(runtime), hardware=_counted(hardware), n_records=len(records))
