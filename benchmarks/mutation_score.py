"""Mutation score of the code every verdict rests on (issue 20): mutmut's killed / survived, per module.

Run: make mutate                                             (every module in [tool.mutmut] only_mutate)
     python benchmarks/mutation_score.py harness.claims.verdict harness.runs.store   (some modules)
     python benchmarks/mutation_score.py --report-only       (print the table of the last run)

Not part of `make test` (nor of CI's time): each mutant reruns the tests that reach its function, which takes
minutes per module on 2 cores. mutmut works in ./mutants (a mutated copy of harness/ and tests/) and keeps its
results there, so a second run re-tests only what changed. A survivor is a change to the code that no test
notices: kill it with a test, or explain why it is equivalent (it cannot change any behaviour).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code  # mutmut's own reading of a mutant's test exit code
from tabulate import tabulate

ROOT = Path(__file__).resolve().parents[1]
KILLED = {"killed", "timeout", "caught by type check"}


def run_mutmut(modules: list[str], children: int) -> None:
    """``mutmut run`` on the named modules (all configured ones when empty), from the repository root."""
    # The copy in ./mutants sits one level below the repository, so the tests' default ../shared/data moves:
    # pin it to the real one unless the caller chose another.
    env = {**os.environ, "MMREPRO_SHARED_DATA": os.environ.get("MMREPRO_SHARED_DATA")
           or str(ROOT.parent / "shared" / "data")}
    patterns = [f"{m}.*" for m in modules]
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *patterns],
                   cwd=ROOT, env=env, check=False)


def scores(modules: list[str]) -> tuple[list[list], list[str]]:
    """Per-module counts from mutmut's result files, and the names of the surviving mutants."""
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        module = ".".join(meta.relative_to(ROOT / "mutants").with_suffix("").with_suffix("").parts)
        if modules and module not in modules:
            continue
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status = status_by_exit_code[code]
            if status == "not checked":
                continue
            counts[module][status] += 1
            if status not in KILLED:
                survivors.append(f"{key}: {status}")
    rows = []
    for module, c in sorted(counts.items()):
        killed = sum(c[s] for s in KILLED)
        tested = sum(c.values()) - c["skipped"]
        other = tested - killed - c["survived"] - c["no tests"]
        score = f"{100 * killed / tested:.1f}%" if tested else "-"
        rows.append([module, killed, c["timeout"], c["survived"], c["no tests"], other, score])
    return rows, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="dotted module names, e.g. harness.claims.verdict (default: all)")
    parser.add_argument("--children", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument("--report-only", action="store_true", help="print the last run's table, run nothing")
    args = parser.parse_args()
    if not args.report_only:
        run_mutmut(args.modules, args.children)
    rows, survivors = scores(args.modules)
    if not rows:
        print("no mutation results yet: run without --report-only")
        return 1
    killed = sum(r[1] for r in rows)
    tested = sum(r[1] + r[3] + r[4] + r[5] for r in rows)
    # As mutmut counts it, a timeout is a kill (the mutant made the tests hang); on a loaded machine some are slow
    # tests, so they are shown on their own too.
    print(tabulate(rows, headers=["module", "killed", "of which timeout", "survived", "no tests", "other", "score"]))
    timeouts = sum(r[2] for r in rows)
    print(f"\nmutation score: {killed}/{tested} killed ({100 * killed / max(tested, 1):.1f}%); without the "
          f"{timeouts} timeouts: {killed - timeouts}/{tested - timeouts} "
          f"({100 * (killed - timeouts) / max(tested - timeouts, 1):.1f}%)")
    if survivors:
        print("\nsurvivors (`mutmut show NAME` prints the change):\n  " + "\n  ".join(survivors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
