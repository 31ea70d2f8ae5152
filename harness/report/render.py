"""Render leaderboards as Markdown, LaTeX, CSV, JSON or HTML (pandas + tabulate; one renderer for all)."""

from __future__ import annotations

import json
import math

import pandas as pd
from tabulate import tabulate

from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.report.leaderboard import Leaderboard

FORMATS = ("md", "latex", "csv", "json", "html")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _cell(mean: float, std: float, latex: bool) -> str:
    pm = r" $\pm$ " if latex else " ± "
    return f"{mean:.4f}" if math.isnan(std) else f"{mean:.4f}{pm}{std:.4f}"


def display_frame(board: Leaderboard, latex: bool = False) -> pd.DataFrame:
    """Human-facing table: mean ± std cells, ↑/↓ on metric names, the primary metric's CI."""
    task, frame = board.task, board.frame
    esc = latex_escape if latex else str
    up, down = (r"$\uparrow$", r"$\downarrow$") if latex else ("↑", "↓")
    out = pd.DataFrame({esc("#"): frame["rank"], "model": [esc(m) for m in frame["model"]], "n": frame["n"]})
    for metric in task.metrics:
        arrow = up if get_metric(metric).higher_is_better else down
        header = f"{esc(metric)} {arrow}"
        out[header] = [_cell(m, s, latex) for m, s in zip(frame[f"{metric}.mean"], frame[f"{metric}.std"],
                                                            strict=True)]
    ci = [f"[{lo:.4f}, {hi:.4f}]" if not math.isnan(lo) else "n/a"
          for lo, hi in zip(frame["primary.ci_low"], frame["primary.ci_high"], strict=True)]
    out[esc(f"95% CI {task.primary_metric}")] = ci
    out["params"] = frame["n_parameters"]
    return out


def render(board: Leaderboard, fmt: str) -> str:
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if board.frame.empty:
        return f"{board.title}\n(no finished runs)\n"
    if fmt == "csv":
        return board.frame.to_csv(index=False)
    if fmt == "json":
        payload = {"task": board.task.name, "task_version": board.task.version,
                   "synthetic": board.task.synthetic, "split": board.task.splits.report,
                   "primary_metric": board.task.primary_metric,
                   "higher_is_better": board.task.higher_is_better,
                   "rows": json.loads(board.frame.to_json(orient="records")), "failed": board.failed}
        return json.dumps(payload, indent=2) + "\n"
    if fmt == "latex":
        table = tabulate(display_frame(board, latex=True), headers="keys", tablefmt="latex_raw",
                         showindex=False, disable_numparse=True)
        return f"% {latex_escape(board.title)}\n{table}\n"
    if fmt == "html":
        return f"<h3>{board.title}</h3>\n" + display_frame(board).to_html(index=False) + "\n"
    table = tabulate(display_frame(board), headers="keys", tablefmt="github", showindex=False,
                     disable_numparse=True)
    notes = "".join(f"\n- failed: {label} ({'; '.join(reasons)})" for label, reasons in board.failed.items())
    return f"### {board.title}\n\n{table}\n\nmean ± sample std (ddof=1) over n seeds; CI: Student-t.{notes}\n"
