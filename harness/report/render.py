"""Render leaderboards as Markdown, LaTeX, CSV, JSON or HTML (through the one table renderer)."""

from __future__ import annotations

import html
import json
import math

import pandas as pd

from harness.errors import UserError
from harness.metrics.registry import get_metric
from harness.report.floor import chance_floor_warning
from harness.report.leaderboard import CI_MARKS, Leaderboard
from harness.report.table import TABLE_FORMATS, json_rows, latex_escape, latex_text, mean_std, render_table

FORMATS = TABLE_FORMATS


def display_frame(board: Leaderboard) -> pd.DataFrame:
    """Human-facing table: mean ± std cells, ↑/↓ on metric names, the primary metric's CI."""
    task, frame = board.task, board.frame
    out = pd.DataFrame({"#": frame["rank"], "model": frame["model"], "n": frame["n"]})
    for metric in task.metrics:
        arrow = "↑" if get_metric(metric).higher_is_better else "↓"
        out[f"{metric} {arrow}"] = [mean_std(m, s) for m, s in zip(frame[f"{metric}.mean"],
                                                                   frame[f"{metric}.std"], strict=True)]
    ci = [(f"[{lo:.4f}, {hi:.4f}]" if not math.isnan(lo) else "n/a") + CI_MARKS.get(how, "")  # mark: footer
          for lo, hi, how in zip(frame["primary.ci_low"], frame["primary.ci_high"], frame["primary.ci_method"],
                                 strict=True)]
    out[f"95% CI {task.primary_metric}"] = ci
    if "primary.fold_std" in frame:  # fold tasks: how much the folds disagree (sd over folds)
        out[f"fold sd {task.primary_metric}"] = [f"{v:.4f}" for v in frame["primary.fold_std"]]
    out["params"] = frame["n_parameters"]
    return out


def render(board: Leaderboard, fmt: str) -> str:
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if board.frame.empty:
        return f"{board.title}\n(no finished runs)\n"
    if fmt == "csv":  # the footer as comment lines (pandas: read_csv(..., comment="#"))
        return render_table(board.frame, fmt) + f"# {board.ci_note}\n"
    if fmt == "json":
        payload = {"task": board.task.name, "task_version": board.task.version,
                   "synthetic": board.task.synthetic, "split": board.task.splits.report,
                   "primary_metric": board.task.primary_metric,
                   "higher_is_better": board.task.higher_is_better,
                   "rows": json_rows(board.frame), "failed": board.failed, "ci_method": board.ci_note}
        return json.dumps(payload, indent=2) + "\n"
    table = render_table(display_frame(board), fmt)
    if fmt == "latex":
        return f"% {latex_escape(board.title)}\n{table}\n\n{latex_text(board.ci_note)}\n"
    if fmt == "html":
        return f"<h3>{board.title}</h3>\n{table}\n<p>{html.escape(board.ci_note)}</p>\n"
    notes = "".join(f"\n- failed: {label} ({'; '.join(reasons)})" for label, reasons in board.failed.items())
    floor = chance_floor_warning(board)
    notes += f"\n- warning: {floor}" if floor else ""
    return f"### {board.title}\n\n{table}\n\nmean ± sample std (ddof=1) over n seeds. {board.ci_note}{notes}\n"
