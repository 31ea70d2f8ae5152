"""The command-line choice of where a sweep's runs compute: ``--executor local|ray``, ``--ray-address``,
``--ray-resources``. Kept free of heavy imports: the CLI builds its parser from it at start-up."""

from __future__ import annotations

import argparse
import re
from typing import Any

EXECUTORS = ("local", "ray")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def _number(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ray-resources {key}={value!r}: expected a number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"--ray-resources {key}={value}: must not be negative")
    return number


def _bytes(value: str) -> int:
    match = _SIZE.fullmatch(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"--ray-resources memory={value!r}: expected a size such as 512M or 4G")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def parse_resources(text: str) -> dict[str, float]:
    """``cpus=1,gpus=0,memory=4G`` -> Ray task options ``{"num_cpus": 1.0, "num_gpus": 0.0, "memory": 4294967296}``.

    Each given key replaces what a run would ask for by default (see ``harness.sweep.ray_executor.resources``).
    """
    options: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("cpus", "gpus", "memory"):
            raise argparse.ArgumentTypeError(f"--ray-resources {item!r}: expected cpus=N, gpus=N or memory=SIZE")
        if key == "memory":
            options["memory"] = _bytes(value)
        else:
            options[f"num_{key}"] = _number(key, value.strip())
    if not options:
        raise argparse.ArgumentTypeError("--ray-resources: give at least one of cpus=N, gpus=N, memory=SIZE")
    return options


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """The global flags every suite-running command (run, leaderboard, reproduce, robustness) honours."""
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="where runs compute: local processes (--jobs) or a Ray cluster (pip install "
                             "'mmrepro[ray]'); records are written here either way")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="Ray cluster to use with --executor ray, e.g. 10.0.0.5:6379 (default: $RAY_ADDRESS, "
                             "else the cluster last started on this machine with `ray start`, else a Ray instance "
                             "started for the command)")
    parser.add_argument("--ray-resources", type=parse_resources, metavar="cpus=N,gpus=N,memory=SIZE",
                        help="what each run asks Ray for (default: 1 CPU, 1 GPU when the run is planned on CUDA, "
                             "no memory reservation)")


def executor_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``execute_all`` chosen on the command line."""
    return {"jobs": args.jobs, "executor": args.executor, "ray_address": args.ray_address,
            "ray_resources": args.ray_resources}
