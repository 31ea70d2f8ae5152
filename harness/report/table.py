"""The one aggregator cell and the one table renderer behind every table mmrepro writes.

Leaderboards, the claims table, robustness tables and recorded extras all show per-seed values as
"mean ± sample std" (``harness.metrics.statistics.summarize``: ddof=1, Student-t CI, n) and render a pandas
frame of display strings through :func:`render_table`, so the formats cannot drift apart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from harness.errors import UserError
from harness.metrics.statistics import Summary, summarize

TABLE_FORMATS = ("md", "latex", "csv", "json", "html")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
# Symbols the display cells use, as LaTeX math (applied after escaping).
_LATEX_SYMBOLS = {"±": r"$\pm$", "−": "$-$", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "†": r"$\dagger$",
                  "‡": r"$\ddagger$", "§": r"\S{}", "¶": r"\P{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def latex_text(value: Any) -> str:
    """Text (a cell, a footer) as LaTeX: special characters escaped, the cells' symbols as math."""
    text = latex_escape(str(value))
    for symbol, math_text in _LATEX_SYMBOLS.items():
        text = text.replace(symbol, math_text)
    return text


def aggregate(values: Iterable[float], confidence: float = 0.95) -> Summary | None:
    """Mean, sample std, t-interval and n of per-seed values; None when there are none."""
    v = np.asarray(list(values), dtype=float)
    return summarize(v, confidence) if v.size else None


def mean_std(mean: float, std: float, digits: int = 4, *, signed: bool = False) -> str:
    """``mean ± std``, or just the mean when the std is undefined (one seed: nan, never shown as 0)."""
    text = f"{mean:{'+' if signed else ''}.{digits}f}"
    return text if math.isnan(std) else f"{text} ± {std:.{digits}f}"


def cell(values: Iterable[float], digits: int = 4, empty: str = "–") -> str:
    """Aggregate per-seed values and format them as one table cell (``empty`` when there are none)."""
    summary = aggregate(values)
    return empty if summary is None else mean_std(summary.mean, summary.std, digits)


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A numeric frame as JSON-plain rows (NaN becomes null)."""
    return json.loads(frame.to_json(orient="records"))


def render_table(frame: pd.DataFrame, fmt: str) -> str:
    """A frame of display cells as a GitHub Markdown, LaTeX (cells escaped), CSV, JSON or HTML table.

    Cells are printed as given (no number re-parsing), so what a caller formatted is what appears."""
    if fmt not in TABLE_FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(TABLE_FORMATS)}")
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return json.dumps(json_rows(frame), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return frame.to_html(index=False)
    if fmt == "latex":
        escaped = frame.map(latex_text)
        escaped.columns = [latex_text(col) for col in frame.columns]
        return tabulate(escaped, headers="keys", tablefmt="latex_raw", showindex=False, disable_numparse=True)
    return tabulate(frame, headers="keys", tablefmt="github", showindex=False, disable_numparse=True)
