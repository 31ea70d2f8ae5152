"""Small helpers shared by every CLI sub-command module."""

from __future__ import annotations

import argparse
import sys


def parse_seeds(text: str) -> tuple[int, ...]:
    """``--seeds 0,1,2`` -> (0, 1, 2); argparse turns the error into a usage message (exit code 2)."""
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: expected integers like 0,1,2") from None


def out(text: str) -> None:
    """Write one block of user-facing output to stdout (logging is for progress and diagnostics)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
