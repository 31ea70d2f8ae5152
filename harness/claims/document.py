"""A paper's reproduction report: the claims table, then every arm's numbers (untrained floor included) and the
diagnostics the models recorded, all read from run records."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from harness.claims.claim import Claim
from harness.claims.ledger import Ledger
from harness.claims.table import render_claims, render_details, rules_versions
from harness.claims.verdict import SEED_ONLY, Verdict
from harness.report.leaderboard import build_leaderboard
from harness.report.render import render
from harness.report.table import cell, render_table
from harness.runs.record import RunRecord
from harness.tasks import get_task


def _extras_table(records: list[RunRecord]) -> str:
    """Numeric ``FitInfo.extras`` per model at its default settings: mean ± sample std over seeds.

    Only default-config runs are shown: runs that differ only in evaluation settings share one training and
    would repeat the same rows."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.spec.model_label != r.spec.model:
            continue
        for key, value in r.extras.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                values[r.spec.model][key].append(float(value))
    keys = sorted({k for per in values.values() for k in per})
    if not keys:
        return ""
    rows = [{"model": label, **{k: cell(values[label].get(k, [])) for k in keys}} for label in sorted(values)]
    return render_table(pd.DataFrame(rows), "md") + "\n"


def _cost_table(records: list[RunRecord]) -> str:
    """What each arm cost, per model label: parameters, training seconds per epoch, epochs run and fit time
    (mean ± sample std over seeds, as recorded when each ran), so an accuracy gap can be read against its price.

    Parameters are the leaderboard's number (the median over the label's runs), so the report's two tables agree;
    every ok record has a count (``FitInfo.n_parameters`` defaults to 0)."""
    labels = sorted({r.spec.model_label for r in records})
    rows = []
    for label in labels:
        runs = [r for r in records if r.spec.model_label == label]
        rows.append({"model": label, "params": int(np.median([r.n_parameters for r in runs])),
                     "train s/epoch": cell([r.train_time_per_epoch_s for r in runs
                                            if r.train_time_per_epoch_s is not None], 3),
                     "epochs run": cell([r.extras["epochs_run"] for r in runs if "epochs_run" in r.extras], 1),
                     "fit s": cell([r.fit_time_s for r in runs if r.fit_time_s is not None], 1)})
    return render_table(pd.DataFrame(rows), "md") + "\n"


def paper_markdown(claims: list[Claim], verdicts: list[Verdict], ledger: Ledger, run_ids: set[str],
                   readme: str) -> str:
    """The Markdown report: claims table and notes, then per task the leaderboard and recorded extras of the
    suite's runs (``run_ids``; other runs of the same models, e.g. exploratory settings, are left out)."""
    paper = claims[0].paper
    parts = [f"# Reproduction: {paper.title} ({paper.venue} {paper.year})\n",
             f"Paper: {paper.link}. Verdict rules {rules_versions(verdicts)} (harness/claims/verdict.py); package "
             f"notes: {readme}. Claimed values are in the paper's unit; achieved values come from the run records; "
             "the protocol column says how the claimed number was obtained.\n",
             "## Claims\n", render_claims(verdicts, ledger, "md"), render_details(verdicts)]
    seed_only = [v.claim.key for v in verdicts if v.rules_version >= 3 and SEED_ONLY.split(":")[0] in v.detail]
    if seed_only:
        parts.append("\nJudged on seed-only intervals (test-item variation not counted; each claim's detail says why: "
                     f"no per-item predictions, or a metric not bootstrapped): {', '.join(seed_only)}.\n")
    for task_name in dict.fromkeys(c.task for c in claims if c.task):
        task = get_task(task_name)
        records = [r for r in ledger.records(task_name) if r.run_id in run_ids]
        if not records:
            continue
        seconds = sum(r.wall_time_s for r in records)
        board = build_leaderboard(task, records, results=ledger.results)
        parts += [f"## All arms on {task.display_name}\n", render(board, "md"),
                  f"\n{len(records)} records; their summed wall time is {seconds / 60:.1f} min (as recorded when "
                  "each ran, cached or not now).\n",
                  "\nCost per arm (parameters; training time per epoch, epochs run and fit time as recorded on the "
                  "machine that ran them, mean ± std over seeds):\n", _cost_table(records)]
        extras = _extras_table(records)
        if extras:
            parts += ["\nRecorded by the models at their default settings (`FitInfo.extras`, mean ± std over "
                      "seeds):\n", extras]
    return "\n".join(parts)
