"""Efficiency figure: each model's mean primary metric (95 % CI) against its parameters and its training time."""

from __future__ import annotations

import math
from typing import Any

from harness.figures.leaderboard import metric_label
from harness.figures.style import MEAN, ci_errors, figure_style
from harness.report.leaderboard import Leaderboard

FLOOR = "prior"  # the chance floor: named in the key, not drawn, so that it does not flatten the others


def efficiency_figure(board: Leaderboard) -> Any:
    """Two panels sharing the metric axis: trainable parameters (median over seeds; symmetric-log, so
    parameter-free models sit at 0) and fit time in seconds (mean over seeds, log), as recorded when each ran.
    Points are labelled by leaderboard rank, with the key beside them (dozens of names would overlap)."""
    from matplotlib.ticker import EngFormatter, NullFormatter

    rows = board.frame.to_dict("records")
    metric = board.task.primary_metric
    floor = [r for r in rows if r["model"] == FLOOR]
    rows = [r for r in rows if r["model"] != FLOOR]
    with figure_style() as plt:
        fig, axes = plt.subplots(1, 3, figsize=(8.4, 3.4), layout="constrained", width_ratios=(1, 1, 0.55))
        axes[1].sharey(axes[0])
        for ax, key, label in ((axes[0], "n_parameters", "trainable parameters"),
                               (axes[1], "fit_time_s", "fit time (s, as recorded)")):
            shown = [r for r in rows if r[key] is not None and not (isinstance(r[key], float) and math.isnan(r[key]))]
            xs, means = [r[key] for r in shown], [r[f"{metric}.mean"] for r in shown]
            ax.errorbar(xs, means, yerr=ci_errors(means, [r["primary.ci_low"] for r in shown],
                                                  [r["primary.ci_high"] for r in shown]),
                        fmt="o", ms=4, capsize=2, lw=1, color=MEAN)
            for r, x, y in zip(shown, xs, means, strict=True):
                ax.annotate(str(r["rank"]), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=6.5,
                            in_layout=False)
            if xs and min(xs) <= 0:  # parameter-free models (0) on a symmetric-log axis that starts at 0
                ax.set_xscale("symlog", linthresh=1.0)
                ax.set_xlim(left=-0.5)
            else:
                ax.set_xscale("log")
            # plain "10 k" / "100 ms" labels: the default 10^k labels go through mathtext, which is slow
            ax.xaxis.set_major_formatter(EngFormatter(unit="" if key == "n_parameters" else "s"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(label)
        axes[0].set_ylabel(metric_label(board))
        key_lines = [f"{r['rank']}  {r['model']}" for r in rows]
        key_lines += [f"{FLOOR} (chance floor, not drawn): {r[f'{metric}.mean']:.4f}" for r in floor]
        axes[2].axis("off")
        axes[2].text(0, 1, "\n".join(key_lines), va="top", ha="left", fontsize=6, transform=axes[2].transAxes)
        fig.suptitle(f"{board.task.display_name} v{board.task.version}: {metric} against cost (mean, 95% interval; "
                     "points numbered by leaderboard rank)", x=0.01, ha="left", fontsize=9)
    return fig
