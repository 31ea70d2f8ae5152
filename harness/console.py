"""Small helpers shared by every CLI sub-command module."""

from __future__ import annotations

import argparse
import sys

# The table formats of harness.report.table.TABLE_FORMATS, spelled here so that building the argument parser does
# not import the report stack (pandas, SciPy); tests/cli/test_startup.py keeps the two equal.
FORMATS = ("md", "latex", "csv", "json", "html")


def parse_seeds(text: str) -> tuple[int, ...]:
    """``--seeds 0,1,2`` -> (0, 1, 2); argparse turns the error into a usage message (exit code 2)."""
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: expected integers like 0,1,2") from None
    if not seeds:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: no seed given; expected integers like 0,1,2")
    bad = [s for s in seeds if not 0 <= s < 2**32]  # numpy's seed range: anything else fails every run later
    if bad:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: seed {bad[0]} is outside 0..{2**32 - 1}")
    return seeds


def parse_jobs(text: str) -> int:
    """``-j N``: at least one worker process."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs {text!r}: expected a whole number of worker processes") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"--jobs {jobs}: needs at least 1 worker process")
    return jobs


def out(text: str) -> None:
    """Write one block of user-facing output to stdout (logging is for progress and diagnostics)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
