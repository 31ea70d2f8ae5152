"""Cold suite time before vs after the speed work (issue 16.6), side by side in one invocation; `make bench`.

    python benchmarks/bench_default_suite.py [--suite default|cold-subset] [--jobs 2] [--before da65a3f]

"Before" is a git worktree of the starting commit (created once under the temp folder); "after" is this
checkout. Each side runs the same suite cold (a fresh results folder) as a user would, a new `mmrepro`
process with ``--jobs`` workers, reading the same prepared data ($MMREPRO_DATA, never re-prepared). The
suite file is the same on both sides: ``cold-subset`` is ``benchmarks/suites/cold-subset.toml`` (a slice of the
default suite; see that file), any other name is the *before* checkout's suite file, copied. Then the after
side runs again, cached. Reported per side: wall time and CPU time (user + sys of the child processes; the
machine is shared, so CPU time is the steadier figure), the load average, and the largest absolute
difference per metric between the two sides' records of the same (task, model, seed). Writes
``benchmarks/results/default_suite_<suite>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench_common import environment, write_result

ROOT = Path(__file__).resolve().parents[1]
START = "da65a3f"  # the commit issue 16's speed work started from


def worktree(commit: str) -> Path:
    """A detached worktree of ``commit`` (reused if it exists): the "before" code, importable by PYTHONPATH."""
    path = Path(tempfile.gettempdir()) / f"mmrepro-before-{commit}"
    if not (path / "harness").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(path), commit],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def suite_folder(suite: str, before: Path, tmp: Path) -> tuple[str, Path]:
    """(suite name, folder holding its file) such that both checkouts run the very same suite file."""
    mine = ROOT / "benchmarks" / "suites" / f"{suite}.toml"
    if mine.exists():
        return suite, mine.parent
    theirs = before / "harness" / "sweep" / "suites" / f"{suite}.toml"
    if not theirs.exists():
        raise SystemExit(f"no suite {suite!r} in benchmarks/suites or in the before checkout")
    folder = tmp / "suite"
    folder.mkdir()
    text = "\n".join(line for line in theirs.read_text().splitlines() if not line.startswith("name ="))
    (folder / f"bench-{suite}.toml").write_text(text + "\n")
    return f"bench-{suite}", folder


def run_suite(checkout: Path, results: Path, suite: str, folder: Path, jobs: int) -> dict[str, float]:
    """One fresh `mmrepro leaderboard` process in ``checkout``; wall and child CPU seconds."""
    env = os.environ | {"PYTHONPATH": str(checkout)}
    cmd = [sys.executable, "-m", "harness", "-q", "--jobs", str(jobs), "--results", str(results),
           "--include-path", str(folder), "leaderboard", "--suite", suite]
    load = os.getloadavg()[0]
    usage, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True, cwd=checkout, env=env, stdout=subprocess.DEVNULL)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
            "load_start": load, "load_end": os.getloadavg()[0]}


def metrics_by_run(results: Path) -> dict[tuple, dict[str, float]]:
    """Every ok record's metrics (per split) and robustness scores, keyed by (task, model, seed, fold)."""
    out = {}
    for path in (results / "runs").rglob("*.json"):
        record = json.loads(path.read_text())
        if record.get("status") != "ok":
            continue
        spec = record["spec"]
        flat = {f"{split}.{k}": v for split, values in record["metrics"].items() for k, v in values.items()}
        robust = record.get("robustness") or {}
        flat |= {f"robustness.zeros.{k}": v for k, v in (robust.get("zeros") or {}).items()}
        flat |= {f"robustness.mask.{k}": v for k, v in (robust.get("mask") or {}).items()}
        flat |= {f"robustness.noise.{i}": v for i, v in enumerate(robust.get("noise") or [])}
        out[(spec["task"], spec["model"], spec["seed"], spec.get("fold"))] = flat
    return out


def compare(before: dict, after: dict) -> dict:
    """Largest |before - after| per metric (per split; robustness per condition) over the runs both sides have.
    NaN on both sides counts as equal."""
    common = sorted(set(before) & set(after), key=str)
    worst: dict[str, float] = defaultdict(float)
    for key in common:
        for name, value in before[key].items():
            other = after[key].get(name, float("nan"))
            if not isinstance(value, int | float) or not isinstance(other, int | float):
                continue
            summary = ".".join(name.split(".")[:2])  # "test.accuracy", "robustness.zeros"
            if value != value and other != other:
                worst[summary] = max(worst[summary], 0.0)
            else:
                worst[summary] = max(worst[summary], abs(value - other), key=lambda v: (v != v, v))
    identical = sum(before[k] == after[k] for k in common)
    return {"runs_before": len(before), "runs_after": len(after), "runs_compared": len(common),
            "runs_identical": identical, "max_abs_diff": dict(sorted(worst.items()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, as `make demo` uses")
    parser.add_argument("--before", default=START, help="commit to compare against (default: issue 16's start)")
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/default_suite_<suite>.json")
    args = parser.parse_args()
    before_tree = worktree(args.before)
    with tempfile.TemporaryDirectory(prefix="mmrepro-bench-") as tmp:
        suite, folder = suite_folder(args.suite, before_tree, Path(tmp))
        timings = {}
        for side, checkout in (("before", before_tree), ("after", ROOT)):
            timings[side] = run_suite(checkout, Path(tmp, side), suite, folder, args.jobs)
            print(f"{side:<6} ({checkout}): cold {timings[side]['wall_s']:.1f} s wall, "
                  f"{timings[side]['cpu_s']:.1f} s CPU, load {timings[side]['load_start']:.1f}", flush=True)
        timings["after_cached"] = run_suite(ROOT, Path(tmp, "after"), suite, folder, args.jobs)
        diff = compare(metrics_by_run(Path(tmp, "before")), metrics_by_run(Path(tmp, "after")))
    b, a = timings["before"], timings["after"]
    ratio_wall, ratio_cpu = b["wall_s"] / a["wall_s"], b["cpu_s"] / a["cpu_s"]
    print(f"suite {args.suite} ({diff['runs_after']} runs), {args.jobs} jobs: cold before {b['wall_s']:.1f} s, "
          f"after {a['wall_s']:.1f} s, cached {timings['after_cached']['wall_s']:.1f} s")
    print(f"speed-up before/after: {ratio_wall:.2f}x wall, {ratio_cpu:.2f}x CPU (goal >= 3x)")
    print(f"metrics: {diff['runs_identical']} of {diff['runs_compared']} runs identical; max |before - after|:")
    for name, value in diff["max_abs_diff"].items():
        print(f"  {name:<40} {value:.3g}")
    write_result(f"default_suite_{args.suite}", {
        "suite": args.suite, "jobs": args.jobs, "before_commit": args.before, "timings": timings,
        "speedup_wall": ratio_wall, "speedup_cpu": ratio_cpu, "metrics": diff, "environment": environment(),
    }, args.json)
    if diff["runs_before"] != diff["runs_after"]:
        print(f"note: the sides finished different run counts ({diff['runs_before']} vs {diff['runs_after']})")


if __name__ == "__main__":
    main()
