"""Verdict rules: claimed vs achieved, decided by explicit, versioned rules (bump RULES_VERSION on any change).

Rules, version 1 (all quantities in the claim's unit, e.g. percentage points):

* absolute: ``reproduced`` if |achieved mean - claimed| <= max(tolerance, CI half-width, reported std), where the
  CI is the Student-t 95% interval of the mean over seeds; otherwise ``not reproduced (above)`` or ``(below)``.
* relative (claim about a - b with a sign): the paired difference over the seeds both arms ran with; ``supported``
  if its paired-t 95% CI excludes 0 on the claimed side, ``contradicted`` if it excludes 0 on the other side,
  ``inconclusive`` otherwise (including fewer than two paired seeds, where no CI exists). The achieved difference
  is always reported beside the claimed one.
* ``not run: data unavailable`` when the dataset is not prepared (with the command that prepares it) or has no
  loader; ``not comparable`` when the claim records that our setting differs in a way that voids the comparison.

One state is not a verdict but is needed to list claims before anything ran: ``not run: no records``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from harness.claims.claim import Claim
from harness.metrics.statistics import paired_t_test, summarize

RULES_VERSION = 1
CONFIDENCE = 0.95

REPRODUCED = "reproduced"
ABOVE = "not reproduced (above)"
BELOW = "not reproduced (below)"
SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
DATA_UNAVAILABLE = "not run: data unavailable"
NOT_COMPARABLE = "not comparable"
NO_RECORDS = "not run: no records"
OUTCOMES = (REPRODUCED, ABOVE, BELOW, SUPPORTED, CONTRADICTED, INCONCLUSIVE, DATA_UNAVAILABLE, NOT_COMPARABLE,
            NO_RECORDS)


@dataclass(frozen=True)
class Verdict:
    """The outcome for one claim and the numbers it was decided on (claim units; nan where undefined)."""

    claim: Claim
    outcome: str
    achieved: float = math.nan  # absolute: mean over seeds; relative: mean paired difference a - b
    std: float = math.nan  # sample std of the per-seed values (relative: of the per-seed differences)
    n: int = 0  # seeds (relative: paired seeds)
    ci_low: float = math.nan
    ci_high: float = math.nan
    detail: str = ""  # why, or how to get a verdict (e.g. the prepare command)
    rules_version: int = RULES_VERSION

    @property
    def delta(self) -> float:
        """Achieved minus claimed (nan when the claim states no value or nothing was achieved)."""
        return self.achieved - self.claim.value if self.claim.value is not None else math.nan


def absolute_verdict(claim: Claim, values: Sequence[float]) -> Verdict:
    """Rule for an absolute claim, from the per-seed metric values (harness scale: converted by ``claim.scale``)."""
    if claim.value is None:
        raise ValueError(f"claim {claim.key!r} is absolute but states no value")
    v = np.asarray(values, dtype=float) * claim.scale
    if v.size == 0:
        return Verdict(claim, NO_RECORDS)
    stats = summarize(v, CONFIDENCE)
    half = (stats.ci_high - stats.ci_low) / 2 if v.size > 1 else 0.0
    allowed = max(claim.tolerance, half, claim.std or 0.0)
    gap = stats.mean - claim.value
    outcome = REPRODUCED if abs(gap) <= allowed else (ABOVE if gap > 0 else BELOW)
    detail = f"|delta| {abs(gap):.3g} {'<=' if outcome == REPRODUCED else '>'} {allowed:.3g} allowed"
    return Verdict(claim, outcome, stats.mean, stats.std, int(v.size), stats.ci_low, stats.ci_high, detail)


def relative_verdict(claim: Claim, a: Mapping[int, float], b: Mapping[int, float]) -> Verdict:
    """Rule for a relative claim about a - b, from per-seed values of each arm keyed by seed (paired by seed)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return Verdict(claim, NO_RECORDS, detail="the two arms share no seed")
    d = np.array([a[s] - b[s] for s in seeds], dtype=float) * claim.scale
    if len(seeds) < 2:
        return Verdict(claim, INCONCLUSIVE, float(d[0]), math.nan, 1, detail="one paired seed: no CI")
    test = paired_t_test(np.array([a[s] for s in seeds]) * claim.scale,
                         np.array([b[s] for s in seeds]) * claim.scale, CONFIDENCE)
    positive, negative = test.ci_low > 0, test.ci_high < 0
    claimed_up = claim.sign == "+"
    if (positive and claimed_up) or (negative and not claimed_up):
        outcome = SUPPORTED
    elif positive or negative:
        outcome = CONTRADICTED
    else:
        outcome = INCONCLUSIVE
    detail = f"paired t over seeds {','.join(map(str, seeds))}, p={test.p_value:.3g}"
    return Verdict(claim, outcome, test.diff, float(np.std(d, ddof=1)), len(seeds), test.ci_low, test.ci_high,
                   detail)
