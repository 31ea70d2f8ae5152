"""Claims figure: per claim, the claimed value (or direction) beside what we achieved with its 95 % interval.

Claims are drawn on one axis per (kind, metric, unit), since a percentage and a correlation cannot share a scale;
each claim is one row named by its key, with its verdict on the right. Rows: the claimed value (diamond; its
tolerance as a bar), third parties' reports (squares), and our mean with the verdict's 95 % interval (over seeds,
or test items x seeds under rules v3 where predictions were kept; relative claims: paired, of a - b), coloured by
verdict; where the rules compare another value (best seed, median, one run) it is marked with a cross. A claim
without runs shows only what was claimed.
"""

from __future__ import annotations

import math
from typing import Any

from harness.claims.verdict import Verdict
from harness.figures.style import (
    CLAIMED,
    OTHERS,
    VERDICT_COLOURS,
    ci_errors,
    figure_style,
    short_outcome,
    verdict_family,
)


def claim_groups(verdicts: list[Verdict]) -> dict[tuple[str, str, str], list[Verdict]]:
    """(kind, metric, unit) -> its claims' verdicts, in the order the claims are registered."""
    groups: dict[tuple[str, str, str], list[Verdict]] = {}
    for v in verdicts:
        groups.setdefault((v.claim.kind, v.claim.metric, v.claim.unit), []).append(v)
    return groups


def _axis_label(kind: str, metric: str, unit: str) -> str:
    what = f"{metric} ({unit})" if unit else metric
    return f"a − b in {what}" if kind == "relative" else what


def _draw_group(ax: Any, group: list[Verdict]) -> bool:
    """One row per claim, top to bottom in registration order; one matplotlib call per kind of mark (per verdict
    colour for ours), since an artist per claim makes a paper with dozens of claims slow to draw. Returns whether
    any value was placed (claimed directions alone place none)."""
    n = len(group)
    rows = [(n - 1 - i, v, v.claim) for i, v in enumerate(group)]
    values = [(y, c.value, c.tolerance) for y, _, c in rows if c.value is not None]
    ax.errorbar([x for _, x, _ in values], [y for y, _, _ in values], xerr=[t for _, _, t in values], fmt="D",
                color=CLAIMED, ms=4.5, capsize=2, lw=0.8, zorder=3)
    for sign, marker in (("+", ">"), ("-", "<")):  # only a direction is claimed: a caret on 0 pointing to its side
        ys = [y for y, _, c in rows if c.kind == "relative" and c.value is None and c.sign == sign]
        ax.plot([0.0] * len(ys), ys, marker, ls="", color=CLAIMED, ms=5, zorder=3)
    reports = [(y + 0.22, r.value) for y, _, c in rows for r in c.reports if r.value is not None]
    ax.plot([x for _, x in reports], [y for y, _ in reports], "s", ls="", mfc="none", mec=OTHERS, ms=4, mew=0.9,
            zorder=3)
    ran = [(y, v) for y, v, _ in rows if v.n > 0]
    for family, colour in VERDICT_COLOURS.items():
        ours = [(y - 0.22, v, v.mean if not math.isnan(v.mean) else v.achieved) for y, v in ran
                if verdict_family(v.outcome) == family]
        if not ours:
            continue
        means = [m for _, _, m in ours]
        ax.errorbar(means, [y for y, _, _ in ours], xerr=ci_errors(means, [v.ci_low for _, v, _ in ours],
                                                                   [v.ci_high for _, v, _ in ours]),
                    fmt="o", color=colour, ms=4.5, capsize=2.5, lw=1.2, zorder=4)
        compared = [(y, v.achieved) for y, v, _ in ours if v.compared not in ("mean", "a - b")
                    and not math.isnan(v.achieved)]
        ax.plot([x for _, x in compared], [y for y, _ in compared], "x", ls="", color=colour, ms=6, mew=1.4,
                zorder=5)
    return bool(values or reports or ran)


def _legend(fig: Any) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="D", ls="", color=CLAIMED, ms=4.5, label="claimed (bar: tolerance)"),
               Line2D([], [], marker=">", ls="", color=CLAIMED, ms=5, label="claimed direction (a − b vs 0)"),
               Line2D([], [], marker="s", ls="", mfc="none", mec=OTHERS, ms=4, label="reported by others"),
               Line2D([], [], marker="o", ls="-", color=VERDICT_COLOURS["good"], ms=4.5,
                      label="achieved mean, 95% interval (colour: verdict)"),
               Line2D([], [], marker="x", ls="", color="#24292f", ms=6, label="value the rule compares")]
    fig.legend(handles=handles, loc="outside lower left", ncols=3, frameon=False, fontsize=6.5)


def claims_figure(verdicts: list[Verdict], title: str) -> Any:
    """Every claim of ``verdicts`` as one row (its key as the tick label), grouped by kind, metric and unit."""
    groups = claim_groups(verdicts)
    sizes = [len(g) for g in groups.values()]
    with figure_style() as plt:
        fig = plt.figure(figsize=(7.6, 1.0 + sum(0.3 * n + 0.55 for n in sizes)), layout="constrained")
        axes = fig.subplots(len(groups), 1, squeeze=False, height_ratios=[n + 1.6 for n in sizes])[:, 0]
        for ax, ((kind, metric, unit), group) in zip(axes, groups.items(), strict=True):
            n = len(group)
            placed = _draw_group(ax, group)
            if kind == "relative":
                ax.axvline(0, color="#57606a", lw=0.8, zorder=1)
            ax.set_ylim(-0.7, n - 0.3)
            ax.set_yticks(range(n), [v.claim.key for v in reversed(group)])
            for i, v in enumerate(group):  # the verdict right of each row, in its colour
                ax.text(1.01, n - 1 - i, short_outcome(v.outcome), transform=ax.get_yaxis_transform(),
                        va="center", fontsize=7, color=VERDICT_COLOURS[verdict_family(v.outcome)])
            ax.set_xlabel(_axis_label(kind, metric, unit))
            ax.grid(axis="y", visible=False)
            if not placed:  # only claimed directions: a readable scale around 0
                ax.set_xlim(-1, 1)
        fig.suptitle(title, x=0.01, ha="left", fontsize=9)
        _legend(fig)
    return fig
