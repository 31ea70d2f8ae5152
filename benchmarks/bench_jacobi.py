"""Time the Jacobi implementations against LAPACK (numpy.linalg.eigh, torch.linalg.eigh).

    python benchmarks/bench_jacobi.py [--dtype float32] [--device cuda] [--threads 1]

For each n in --sizes and batch in --batches, prints seconds per call (best of several runs) and the
ratio to each LAPACK baseline. The NumPy Jacobi variants loop over the batch in Python; where a full
batch would exceed --budget seconds, they time the first few matrices and extrapolate (marked *).
The goal for the batched torch version: within 2x of torch.linalg.eigh at n = 32, batch 256 on a GPU
(issue 16.4c; cuSOLVER's batched solver for small matrices is itself a Jacobi method). Every timing goes to
benchmarks/results/jacobi_<device>.json; ``--smoke`` (n = 8, batch 4, CPU; CI runs it) to jacobi_smoke.json.
Timings on a shared machine are noisy: the load average is printed with the results, and
``--threads 1 --clock cpu`` (process CPU time of a single thread) discounts time spent descheduled.
"""

import argparse
import os
import platform
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from bench_common import environment, write_result
from threadpoolctl import threadpool_info, threadpool_limits

from harness.linalg import jacobi_eigh, jacobi_eigh_batched

GOAL = (32, 256, 2.0)  # n, batch, allowed ratio to torch.linalg.eigh


CLOCK = time.perf_counter  # or time.process_time, set by --clock


def best_time(run: Callable[[], object], min_total: float = 0.5, max_runs: int = 15) -> float:
    """Best time of repeated runs: the minimum is the estimate least disturbed by other load."""
    times: list[float] = []
    while len(times) < max_runs and (sum(times) < min_total or len(times) < 3):
        start = CLOCK()
        run()
        times.append(CLOCK() - start)
        if times[-1] > min_total:
            break
    return min(times)


def time_per_matrix_loop(method: str, a: np.ndarray, budget: float) -> tuple[float, bool]:
    """Time the NumPy Jacobi over the batch; extrapolate from a prefix if the batch would exceed budget."""
    start = CLOCK()
    jacobi_eigh(a[0], method=method)
    first = CLOCK() - start
    count = len(a) if first * len(a) <= budget else max(1, int(budget / max(first, 1e-9)))
    elapsed = best_time(lambda: [jacobi_eigh(m, method=method) for m in a[:count]], max_runs=3)
    return elapsed * len(a) / count, count < len(a)


def symmetric_batch(batch: int, n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((batch, n, n))
    return x + np.swapaxes(x, 1, 2)


def time_torch(solver: Callable[[torch.Tensor], object], t: torch.Tensor, device: str) -> float:
    """Best time of ``solver(t)`` after one warm-up call, waiting for the GPU where there is one."""

    def run() -> None:
        solver(t)
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    run()
    return best_time(run)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 256])
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch and BLAS threads (default: theirs)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: process time")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per NumPy Jacobi measurement")
    parser.add_argument("--smoke", action="store_true", help="n = 8, batch 4, on CPU (CI)")
    parser.add_argument("--json", type=Path, help="default: benchmarks/results/jacobi_<device>.json")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.batches, args.device, args.budget = [8], [4], "cpu", 0.2
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("no CUDA device here; use --smoke (or --device cpu)")
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads:  # numpy's BLAS too, so that every contender gets the same cores
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    blas_threads = ",".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info())
    print(
        f"torch {torch.__version__}, numpy {np.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, threads: torch {torch.get_num_threads()}, {blas_threads}; "
        f"device {args.device}, {args.dtype}, {args.clock} clock"
    )
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    header = f"{'n':>4} {'batch':>5}  {'method':<24}{'seconds':>12}{'/ numpy eigh':>14}{'/ torch eigh':>14}"
    print(header)
    print("-" * len(header))
    goal_ratio = None
    timings = []
    for n in args.sizes:
        for batch in args.batches:
            a = symmetric_batch(batch, n, seed=n * 1000 + batch).astype(args.dtype)
            t = torch.from_numpy(a).to(args.device)
            numpy_eigh = best_time(partial(np.linalg.eigh, a))
            rows = [
                ("numpy.linalg.eigh", numpy_eigh, False),
                ("torch.linalg.eigh", time_torch(torch.linalg.eigh, t, args.device), False),
            ]
            for method in ("cyclic", "classical"):
                seconds, extrapolated = time_per_matrix_loop(method, a, args.budget)
                rows.append((f"jacobi {method} (numpy)", seconds, extrapolated))
            rows.append(("jacobi batched (torch)", time_torch(jacobi_eigh_batched, t, args.device), False))
            for name, seconds, extrapolated in rows:
                timings.append({"n": n, "batch": batch, "method": name, "seconds": seconds,
                                "extrapolated": extrapolated, "over_numpy_eigh": seconds / numpy_eigh,
                                "over_torch_eigh": seconds / rows[1][1]})
                mark = "*" if extrapolated else " "
                print(
                    f"{n:>4} {batch:>5}  {name:<24}{seconds:>11.5f}{mark}"
                    f"{seconds / numpy_eigh:>13.1f}x{seconds / rows[1][1]:>13.1f}x"
                )
            if (n, batch) == GOAL[:2]:
                goal_ratio = rows[-1][1] / rows[1][1]
    print("* extrapolated from a prefix of the batch")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if goal_ratio is not None:
        verdict = "met" if goal_ratio <= GOAL[2] else "not met"
        print(
            f"goal: batched torch within {GOAL[2]:g}x of torch.linalg.eigh at n = {GOAL[0]}, "
            f"batch {GOAL[1]}: {goal_ratio:.1f}x, {verdict}"
        )
    write_result("jacobi_smoke" if args.smoke else f"jacobi_{args.device.split(':')[0]}", {
        "benchmark": "jacobi", "smoke": args.smoke, "dtype": args.dtype, "clock": args.clock,
        "goal": {"n": GOAL[0], "batch": GOAL[1], "max_ratio": GOAL[2], "ratio": goal_ratio}, "timings": timings,
        "environment": environment(args.device) | {"mode": "cpu smoke" if args.smoke else args.device,
                                                   "blas_threads": blas_threads},
    }, args.json)


if __name__ == "__main__":
    main()
