"""Wall time of the default suite, cold (empty results folder) and cached (second invocation).

Run: python benchmarks/bench_default_suite.py [--suite default] [--jobs 2]
Each invocation is a fresh `mmrepro` process, as a user would run it, so import time is included.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(results: Path, suite: str, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harness", "-q", "--jobs", str(jobs), "--results", str(results),
                    "leaderboard", "--suite", suite], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, as `make demo` uses")
    args = parser.parse_args()
    results = Path(tempfile.mkdtemp(prefix="mmrepro-bench-"))
    try:
        cold = timed(results, args.suite, args.jobs)
        cached = timed(results, args.suite, args.jobs)
    finally:
        shutil.rmtree(results)
    print(f"suite {args.suite}, {args.jobs} jobs: cold {cold:.1f} s, cached {cached:.1f} s, "
          f"ratio cold/cached {cold / cached:.1f}x")


if __name__ == "__main__":
    main()
