"""Start-up time of the everyday commands, before vs after the fast-start work (issue 19.7), side by side.

    python benchmarks/bench_startup.py [--runs 7] [--before da65a3f]

"Before" is a git worktree of the starting commit (``/tmp/before-A``, created once); "after" is this checkout.
Each command is a fresh ``python -m harness`` process, as a user types it, run ``--runs`` times after one untimed
warm-up (which fills the page cache and, after, builds the plug-in index once). Reported per command and side:
the median wall time and the median CPU time (user + sys of the process and its children; the machine is shared,
so CPU time is the steadier figure), with the load average. Each side reads its own copy of the same inputs:

* a user's own dataset (``--format generic``, 2 vector modalities, 3 classes, 120 items, written here), its task
  ``bench-task`` and suite ``bench-suite`` (prior and linear-early x 3 seeds), run once untimed, so the
  leaderboard below is cached;
* the committed records of ``breast-cancer-views`` at the starting commit (the default suite's 10 models, 3 seeds).

Commands: ``tasks``, ``models``, ``show RUN_ID``, ``leaderboard --suite bench-suite`` (a cached leaderboard of
the user's task), ``leaderboard --task breast-cancer-views`` (a cached default-suite task: it plans every model,
so the neural ones import torch), and ``leaderboard --task bench-task`` (the records present; before, this
printed nothing, which the table says). Writes ``benchmarks/results/startup.json``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_common import environment, write_result

ROOT = Path(__file__).resolve().parents[1]
START = "da65a3f"  # the commit issue 19's work started from
BEFORE = Path("/tmp/before-A")
TARGET_S = 1.5

DATASET_TOML = """description = "bench: two sensors, 3 classes"
format = "npz"
splits = ["train", "valid", "test"]
label = "y"
[modalities]
accel = { column = "accel" }
gyro = { column = "gyro" }
"""
TASK_TOML = """name = "bench-task"
version = 1
description = "bench: a user's task"
dataset = "bench_data"
modalities = ["accel", "gyro"]
target_kind = "single-label"
num_classes = 3
metrics = ["accuracy", "macro_f1"]
primary_metric = "accuracy"
citation = "bench"
"""
SUITE_TOML = """name = "bench-suite"
seeds = [0, 1, 2]
[[group]]
tasks = ["bench-task"]
models = ["prior", "linear-early"]
"""


def worktree(commit: str) -> Path:
    if not (BEFORE / "harness").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(BEFORE), commit],
                       check=True)
    return BEFORE


def write_user_data(folder: Path) -> None:
    """The user's raw data and plug-in folder (task + suite), the same bytes for both sides."""
    rng = np.random.default_rng(0)
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / "dataset.toml").write_text(DATASET_TOML)
    for split, n in (("train", 80), ("valid", 20), ("test", 20)):
        y = rng.integers(0, 3, n)
        np.savez(folder / "raw" / f"{split}.npz", y=y, accel=rng.standard_normal((n, 4)) + y[:, None],
                 gyro=rng.standard_normal((n, 3)))
    (folder / "plugins").mkdir()
    (folder / "plugins" / "bench-task.toml").write_text(TASK_TOML)
    (folder / "plugins" / "bench-suite.toml").write_text(SUITE_TOML)


class Side:
    """One checkout with its own data root, results folder and plug-in cache."""

    def __init__(self, name: str, checkout: Path, tmp: Path, shared: Path) -> None:
        self.name, self.checkout, self.shared = name, checkout, shared
        self.results = tmp / name / "results"
        self.env = os.environ | {"PYTHONPATH": str(checkout), "MMREPRO_DATA": str(tmp / name / "data"),
                                 "MMREPRO_CACHE": str(tmp / name / "cache")}

    def mmrepro(self, *argv: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "harness", "-q", "--results", str(self.results),
               "--include-path", str(self.shared / "plugins"), *argv]
        return subprocess.run(cmd, cwd=self.checkout, env=self.env, capture_output=True, text=True, check=False)

    def set_up(self, committed: Path) -> str:
        """Prepare the data, run the user's suite once, copy the committed records; the id ``show`` prints."""
        for argv in (["data", "prepare", "bench_data", "--from", str(self.shared / "raw"), "--format", "generic"],
                     ["leaderboard", "--suite", "bench-suite"]):
            proc = self.mmrepro(*argv)
            if proc.returncode != 0:
                raise SystemExit(f"{self.name}: mmrepro {' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
        shutil.copytree(committed, self.results / "runs" / committed.name)
        return sorted((self.results / "runs" / "bench-task" / "linear-early").glob("*.json"))[0].stem

    def time(self, argv: list[str]) -> dict:
        """One timed process: wall and CPU seconds, exit code and whether it printed anything."""
        load = os.getloadavg()[0]
        usage, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        proc = self.mmrepro(*argv)
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
                "load": load, "rc": proc.returncode, "printed": bool(proc.stdout.strip())}


def measure(side: Side, argv: list[str], runs: int) -> dict:
    side.time(argv)  # warm-up, untimed
    samples = [side.time(argv) for _ in range(runs)]
    return {"argv": argv, "samples": samples, "wall_median_s": statistics.median(s["wall_s"] for s in samples),
            "cpu_median_s": statistics.median(s["cpu_s"] for s in samples),
            "rc": samples[-1]["rc"], "printed": samples[-1]["printed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", default=START)
    args = parser.parse_args()
    before = worktree(args.before)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        tmp = Path(name)
        write_user_data(tmp / "shared")
        committed = before / "results" / "runs" / "breast-cancer-views"
        sides = [Side("before", before, tmp, tmp / "shared"), Side("after", ROOT, tmp, tmp / "shared")]
        run_ids = {side.name: side.set_up(committed) for side in sides}
        commands = {"tasks": ["tasks"], "models": ["models"], "show": ["show", "{run_id}"],
                    "leaderboard (user suite, cached)": ["leaderboard", "--suite", "bench-suite"],
                    "leaderboard --task breast-cancer-views (default suite, cached)":
                        ["leaderboard", "--task", "breast-cancer-views"],
                    "leaderboard --task bench-task (records present)": ["leaderboard", "--task", "bench-task"]}
        rows = {}
        for label, argv in commands.items():
            rows[label] = {}
            for side in sides:
                resolved = [a.replace("{run_id}", run_ids[side.name]) for a in argv]
                rows[label][side.name] = measure(side, resolved, args.runs)
                print(f"  {label} [{side.name}]: {rows[label][side.name]['wall_median_s']:.2f} s", flush=True)
    print(f"\nmedian of {args.runs} runs (seconds; wall / CPU), before = {args.before}, after = this checkout; "
          f"target < {TARGET_S} s wall")
    print(f"{'command':<62} {'before wall':>11} {'after wall':>10} {'before cpu':>10} {'after cpu':>9}  note")
    for label, by_side in rows.items():
        b, a = by_side["before"], by_side["after"]
        note = "before printed nothing" if not b["printed"] else ""
        note += f"{'; ' if note else ''}after exit {a['rc']}" if a["rc"] else ""
        print(f"{label:<62} {b['wall_median_s']:>11.2f} {a['wall_median_s']:>10.2f} {b['cpu_median_s']:>10.2f} "
              f"{a['cpu_median_s']:>9.2f}  {note}")
    write_result("startup", {"env": environment(), "runs": args.runs, "before_commit": args.before,
                             "target_s": TARGET_S, "commands": rows})


if __name__ == "__main__":
    main()
