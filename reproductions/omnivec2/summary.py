"""The report's closing section: each mechanism claim combined across tasks (rules in README, "Combining tasks").

Two readings per mechanism, both from the run records:

* **sign rule**: the per-task harness verdicts (paired t over seeds) are counted; the mechanism is *supported
  across tasks* when a strict majority of its tasks is supported and none contradicted, *contradicted* when a
  strict majority is contradicted and none supported, otherwise *mixed*.
* **standardised mean**: per task and seed, the paired difference a - b divided by that task's pooled seed-to-seed
  std of the two arms (so tasks with different metrics and spreads weigh alike); per seed the mean over tasks;
  then the Student-t 95% CI of that mean over the seeds (the seeds are paired across tasks: one multitask network
  per seed serves every task).

For single-stream inference the paper's claim is "loses little": each task's CI of single minus two-stream is
also read against a margin of ``MARGIN`` points (the lower CI bound above -MARGIN reads "loses < MARGIN").
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from scipy import stats

from harness.claims.ledger import Ledger
from harness.claims.verdict import CONTRADICTED, SUPPORTED, Verdict

MARGIN = 1.0  # points of the task's primary metric: what "loses little" means here
CONFIDENCE = 0.95


def sign_rule(outcomes: list[str]) -> str:
    """Majority of per-task verdicts, vetoed by any verdict of the opposite sign."""
    up = sum(o == SUPPORTED for o in outcomes)
    down = sum(o == CONTRADICTED for o in outcomes)
    if up * 2 > len(outcomes) and down == 0:
        return "supported across tasks"
    if down * 2 > len(outcomes) and up == 0:
        return "contradicted across tasks"
    return "mixed"


def standardised_mean(per_task: dict[str, tuple[dict[int, float], dict[int, float]]]) -> tuple[float, float, float,
                                                                                                 int]:
    """(mean, CI low, CI high, seeds) of the per-seed mean over tasks of (a - b) / pooled std (see module doc)."""
    seeds = sorted(set.intersection(*(set(a) & set(b) for a, b in per_task.values())))
    if len(seeds) < 2:
        return math.nan, math.nan, math.nan, len(seeds)
    z = []
    for a, b in per_task.values():
        va, vb = np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])
        pooled = math.sqrt((va.var(ddof=1) + vb.var(ddof=1)) / 2) or 1e-12
        z.append((va - vb) / pooled)
    per_seed = np.mean(z, axis=0)
    mean, sem = float(per_seed.mean()), float(per_seed.std(ddof=1) / math.sqrt(len(seeds)))
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, len(seeds) - 1)) * sem
    return mean, mean - half, mean + half, len(seeds)


def summarize(verdicts: list[Verdict], ledger: Ledger) -> str:
    """Markdown: one row per mechanism (claims keyed ``<mechanism>-<task>``)."""
    groups: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        c = v.claim
        if c.kind == "relative" and c.task and c.key.endswith("-" + c.task):
            groups[c.key[:-len(c.task) - 1]].append(v)
    lines = ["## Across tasks\n",
             "Each mechanism combined over its tasks (reproductions/omnivec2/summary.py; rules in the package README, "
             "'Combining tasks'): the sign rule counts the per-task verdicts; the standardised mean is the mean over "
             "tasks of each seed's paired difference in units of the task's seed-to-seed std, with its 95% CI over "
             "seeds.\n",
             "| mechanism | per task: a - b [95% CI] (verdict) | sign rule | standardised mean [95% CI] (seeds) |",
             "|---|---|---|---|"]
    for name, group in groups.items():
        cells, per_task = [], {}
        for v in group:
            c = v.claim
            text = f"{c.task}: {v.achieved:+.2f} [{v.ci_low:+.2f}, {v.ci_high:+.2f}] ({v.outcome})"
            if name == "single-stream" and math.isfinite(v.ci_low):
                text += f", loses {'<' if v.ci_low > -MARGIN else 'possibly >='} {MARGIN:g} pt"
            cells.append(text)
            assert c.a is not None and c.b is not None
            a, b = ledger.values(c, c.a), ledger.values(c, c.b)
            if a and b:
                per_task[c.task] = (a, b)
        if per_task and len(per_task) == len(group):
            mean, low, high, n = standardised_mean(per_task)
            combined = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}] ({n})"
        else:
            combined = "not run"
        lines.append(f"| {name} | {'<br>'.join(cells)} | {sign_rule([v.outcome for v in group])} | {combined} |")
    return "\n".join(lines) + "\n"
