"""Where a cold suite's time goes: every run of a suite, serially, in one process, cold (empty results folder).

    python benchmarks/profile_cold_suite.py [--suite default] [--include-path DIR] [--json PATH --label NAME]

Run under the checkout on ``sys.path`` (``PYTHONPATH=/some/worktree`` profiles that one). Phases are timed by
wrapping the functions the runner calls, each phase's time *exclusive* of the phases nested inside it (the
per-epoch selection scoring inside ``fit`` is "neural prediction", not "training"):

    planning            plan_run: data fingerprint and task/data checks
    data loading        load_dataset (prepared Arrow -> numpy; cached per process)
    provenance          git commit, package versions
    training            model.fit, less what is listed below
    tensor conversion   TensorData: standardise a split and put it on the device
    neural prediction   Trainer.predict (per-epoch selection scoring, evaluation and robustness passes)
    evaluation          model.predict on the selection and report splits
    metrics             compute_metrics
    robustness passes   evaluate_robustness (zeros, mask, noise conditions)
    record writing      write_record (+ predictions .npz)
    other               the rest of the in-process time (suite expansion, cache checks, the leaderboard)
    process start-up    a fresh `mmrepro` process importing the CLI, and a worker importing what a run needs
                        (measured separately, once each, in new processes)

Text encoding happens when a dataset is prepared (never in a run); its row reports 0 unless an encoder runs.
Both wall time and this process's CPU time (user + sys) are recorded; the machine is shared, so CPU time is the
steadier figure. Torch and BLAS are limited to one thread so that the profile is of one core's work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PHASES = ("planning", "data loading", "provenance", "training", "tensor conversion", "neural prediction",
          "evaluation", "metrics", "robustness passes", "record writing", "text encoding", "other")


class Clock:
    """Exclusive wall and CPU time per phase, with a stack so that nested phases are not counted twice."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[list] = []  # [phase, wall start, cpu start, child wall, child cpu]

    def wrap(self, phase: str, fn):
        def timed(*args, **kwargs):
            self.stack.append([phase, time.perf_counter(), time.process_time(), 0.0, 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                name, w0, c0, cw, cc = self.stack.pop()
                w, c = time.perf_counter() - w0, time.process_time() - c0
                self.wall[name] += w - cw
                self.cpu[name] += c - cc
                self.calls[name] += 1
                if self.stack:
                    self.stack[-1][3] += w
                    self.stack[-1][4] += c

        timed.__wrapped__ = fn
        return timed


def install(clock: Clock) -> None:
    """Wrap the runner's calls; must run before the CLI (and the sweep modules) import the runner's names."""
    from harness.data import text_encoder
    from harness.runs import runner
    from harness.train import batches, trainer

    for name, phase in (("plan_run", "planning"), ("load_dataset", "data loading"), ("provenance", "provenance"),
                        ("compute_metrics", "metrics"), ("evaluate_robustness", "robustness passes"),
                        ("write_record", "record writing")):
        setattr(runner, name, clock.wrap(phase, getattr(runner, name)))
    for name in dir(text_encoder):
        if name.startswith("encode") and callable(getattr(text_encoder, name)):
            setattr(text_encoder, name, clock.wrap("text encoding", getattr(text_encoder, name)))
    trainer.Trainer.predict = clock.wrap("neural prediction", trainer.Trainer.predict)
    original_init = batches.TensorData.__init__
    batches.TensorData.__init__ = clock.wrap("tensor conversion", original_init)
    real_get_model = runner.get_model

    class TimedDef:  # the model definition, whose built models time fit and predict
        def __init__(self, inner) -> None:
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def build(self, *args, **kwargs):
            model = self.inner.build(*args, **kwargs)
            fit, predict = model.fit, model.predict
            model.fit = clock.wrap("training", fit)
            in_robustness = lambda: any(frame[0] == "robustness passes" for frame in clock.stack)  # noqa: E731
            timed_predict = clock.wrap("evaluation", predict)
            model.predict = lambda split: predict(split) if in_robustness() else timed_predict(split)
            return model

    runner.get_model = lambda name: TimedDef(real_get_model(name))


def startup_seconds() -> dict[str, dict[str, float]]:
    """Wall and CPU time of a fresh interpreter importing the CLI, and of one importing a worker's run modules."""
    out = {}
    for label, code in (("cli import", "import harness.cli"),
                        ("worker import", "import torch, sklearn.linear_model, harness.runs.runner, baselines")):
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out[label] = {"wall_s": time.perf_counter() - start,
                      "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="default")
    parser.add_argument("--include-path", action="append", default=[], help="passed to mmrepro")
    parser.add_argument("--json", type=Path, help="add the breakdown to this file, under --label")
    parser.add_argument("--label", default="profile", help="key of this profile in the JSON file")
    args = parser.parse_args()
    os.environ.setdefault("MMREPRO_DEVICE", "cpu")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    clock = Clock()
    install(clock)
    from harness import cli

    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mmrepro-profile-") as results:
        argv = ["-q", "--results", results]
        for folder in args.include_path:
            argv += ["--include-path", folder]
        w0, c0 = time.perf_counter(), time.process_time()
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                code = cli.main(argv + ["leaderboard", "--suite", args.suite])
            finally:
                sys.stdout = stdout
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        runs = len(list(Path(results, "runs").rglob("*.json")))
    if code != 0:
        raise SystemExit(f"mmrepro exited with {code}")
    clock.wall["other"] = wall - sum(clock.wall.values())
    clock.cpu["other"] = cpu - sum(clock.cpu.values())
    startup = startup_seconds()
    rows = [{"phase": p, "wall_s": round(clock.wall[p], 3), "cpu_s": round(clock.cpu[p], 3),
             "calls": clock.calls.get(p, 0), "share_of_cpu": round(clock.cpu[p] / cpu, 4)} for p in PHASES]
    print(f"suite {args.suite}: {runs} runs, serial, 1 thread; {wall:.1f} s wall, {cpu:.1f} s CPU; "
          f"load average {load0[0]:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'phase':<20}{'wall s':>9}{'CPU s':>9}{'calls':>7}{'CPU %':>7}")
    for row in rows:
        print(f"{row['phase']:<20}{row['wall_s']:>9.1f}{row['cpu_s']:>9.1f}{row['calls']:>7}"
              f"{100 * row['share_of_cpu']:>6.1f}%")
    for label, t in startup.items():
        print(f"{'start-up: ' + label:<20}{t['wall_s']:>9.1f}{t['cpu_s']:>9.1f}   (once per process)")
    if args.json:  # one entry per --label, so that a before and an after profile sit side by side
        existing = json.loads(args.json.read_text()) if args.json.exists() else {}
        existing[args.label] = {
            "suite": args.suite, "runs": runs, "checkout": str(Path(cli.__file__).resolve().parents[1]),
            "wall_s": wall, "cpu_s": cpu, "phases": rows, "startup": startup,
            "load_average": {"start": load0, "end": os.getloadavg()}, "cpus": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "threads": 1,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(existing, indent=2) + "\n")


if __name__ == "__main__":
    main()
