"""Verdict rules: claimed vs achieved, decided by explicit, versioned rules.

Each rule set is a version in :data:`RULES`; its fingerprint (a hash of the rule functions' source and constants,
:func:`rules_fingerprint`) is pinned in ``tests/claims/test_verdicts.py``, so changing a rule without adding a
version fails the suite. Every verdict carries the version it was decided under. All quantities are in the claim's
unit (e.g. percentage points); "worse"/"better" follow the metric's direction.

Rules, version 1 (``--rules v1``):

* absolute: ``reproduced`` if |achieved mean - claimed| <= max(tolerance, CI half-width, reported std), where the
  CI is the Student-t 95% interval of the mean over seeds; otherwise ``not reproduced (above)`` or ``(below)``.
* relative (claim about a - b with a sign): the paired difference over the seeds both arms ran with; ``supported``
  if its paired-t 95% CI excludes 0 on the claimed side (strictly: a CI touching 0 does not exclude it),
  ``contradicted`` if it excludes 0 on the other side, ``inconclusive`` otherwise (including fewer than two paired
  seeds, where no CI exists). Equal paired differences give a zero-width CI at that difference.
* ``not run: data unavailable`` when the dataset is not prepared (with the command that prepares it) or has no
  loader; ``not comparable`` when the claim records that our setting differs in a way that voids the comparison.

Rules, version 2, in this order:

1. ``not comparable (why)`` when the claim records a difference that voids the comparison (``differs``).
2. ``implausible (why)``: an absolute claimed value outside any plausible range is flagged, not tested: beyond the
   metric's bounds (:data:`METRIC_BOUNDS`; e.g. accuracy above 100%), worse than the chance floor (the ``prior``
   model's mean on the task) by more than the tolerance, or far beyond every registered system on the same task
   and metric: with at least :data:`MIN_SYSTEMS` registered, a claim whose distance to the metric's ideal value is
   below :data:`FAR_BEYOND` times the best system's distance (it removes more than half the remaining error).
3. ``not run: data unavailable`` / ``not run: no records`` as in v1.
4. absolute claims, by the claim's aggregation:

   * ``best-of-n``: our best seed *under the same selection rule*: the seed whose selection-split value of the
     claimed metric is best (if the claim selected on the test split, the best report-split value, the same
     hazard) is compared with the claim: reproduced if |best - claimed| <= max(tolerance, reported std). The mean
     ± std over our seeds is always reported beside it.
   * ``single-run``: one run is a draw, so the claim is compared with the Student-t 95% prediction interval of a
     single new run, mean ± t * s * sqrt(1 + 1/k) over our k seeds: reproduced if |mean - claimed| <=
     max(tolerance, that half-width, reported std).
   * ``mean``, ``median``, ``unknown``: the v1 rule on our mean (our median for ``median``).

   A gap outside the allowance reads ``inconclusive (protocol differs: ...)`` instead of ``not reproduced`` when
   a protocol difference could explain it: one the claim records (``protocol_differs``, either direction); the
   claim selected on the test split and ours is worse; the claim is best of n, we ran fewer seeds and ours is worse.
5. relative claims: the v1 rule, except that ``contradicted`` becomes ``inconclusive (protocol differs: ...)``
   when the claim records a protocol difference.

Rules, version 3 (the default): version 2 with intervals that count test-item variation as well as seeds, the
interval of ``harness/metrics/bootstrap.py`` (the leaderboards' and ``compare``'s): the percentile interval of
:data:`~harness.metrics.bootstrap.N_RESAMPLES` draws of [mean over seeds of the metric on one bootstrap resample of
the report items (whole groups where the data has dialogue/speaker/pair ids), the same resample for every seed and
arm] + [seed sd / sqrt(k) x a Student-t(k - 1) draw]. It needs every run's per-item predictions
(``<run_id>.pred.npz``); an arm without them is judged on the v2 seed-only interval and the verdict's detail says
"seed-only: no per-item predictions".

* absolute, ``mean`` / ``median`` / ``unknown``: the allowance's interval half-width is the combined interval's;
  ``single-run``: the combined interval with the seed term of one new run (x sqrt(1 + 1/k)), a prediction
  interval; ``best-of-n``: our best seed (as v2) with the half-width of that seed's item-bootstrap interval.
* relative: the items x seeds paired bootstrap of a - b (both arms on the same resamples): ``supported`` /
  ``contradicted`` / ``inconclusive`` as its interval excludes 0 or not. Without predictions, the paired t over
  seeds as in v2, except that equal per-seed differences (t undefined, zero variance) are ``inconclusive``,
  never a zero-width interval that supports the claim.

One state is not a verdict but is needed to list claims before anything ran: ``not run: no records``.
"""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from harness.claims.claim import Arm, Claim
from harness.lazy import lazy_module
from harness.metrics.bootstrap import BOOTSTRAP_SEED, N_RESAMPLES, combined_interval, resample_counts
from harness.metrics.statistics import paired_t_test, summarize
from harness.runs.predictions import GROUP_UNITS, MIN_GROUPS, ItemPredictions

stats = lazy_module("scipy.stats")  # SciPy on first use: every CLI start imported it

RULES = {"v1": 1, "v2": 2, "v3": 3}
DEFAULT_RULES = "v3"
RULES_VERSION = RULES[DEFAULT_RULES]
CONFIDENCE = 0.95
FAR_BEYOND = 0.5  # implausible if the claim's distance to the ideal is below this share of the best system's
MIN_SYSTEMS = 3  # registered systems needed before "far beyond every registered system" is judged
# Harness-scale bounds of each metric: (lowest, highest). The ideal is the bound in the metric's direction.
METRIC_BOUNDS: dict[str, tuple[float, float]] = {
    **{m: (0.0, 1.0) for m in ("accuracy", "macro_f1", "weighted_f1", "precision_pos", "recall_pos", "f1_pos",
                               "mAP", "R@1", "R@5", "R@10", "Has0_acc_2", "Has0_F1_score", "Non0_acc_2",
                               "Non0_F1_score", "Mult_acc_5", "Mult_acc_7")},
    "Corr": (-1.0, 1.0), "MAE": (0.0, math.inf), "mse": (0.0, math.inf), "r2": (-math.inf, 1.0),
    "median_rank": (1.0, math.inf),
}

REPRODUCED = "reproduced"
ABOVE = "not reproduced (above)"
BELOW = "not reproduced (below)"
SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
IMPLAUSIBLE = "implausible"
DATA_UNAVAILABLE = "not run: data unavailable"
NOT_COMPARABLE = "not comparable"
NO_RECORDS = "not run: no records"
OUTCOMES = (REPRODUCED, ABOVE, BELOW, SUPPORTED, CONTRADICTED, INCONCLUSIVE, IMPLAUSIBLE, DATA_UNAVAILABLE,
            NOT_COMPARABLE, NO_RECORDS)


@dataclass(frozen=True)
class Verdict:
    """The outcome for one claim and the numbers it was decided on (claim units; nan where undefined)."""

    claim: Claim
    outcome: str
    achieved: float = math.nan  # the compared value: mean (or median, or best seed) over seeds; relative: a - b
    std: float = math.nan  # sample std of the per-seed values (relative: of the per-seed differences)
    n: int = 0  # seeds (relative: paired seeds)
    ci_low: float = math.nan
    ci_high: float = math.nan
    detail: str = ""  # why, or how to get a verdict (e.g. the prepare command)
    rules_version: int = RULES_VERSION
    mean: float = math.nan  # mean over seeds, always beside a best-of-n or median comparison
    compared: str = "mean"  # what ``achieved`` is: mean, median, best of k, one run (prediction interval)

    @property
    def delta(self) -> float:
        """Achieved minus claimed (nan when the claim states no value or nothing was achieved)."""
        return self.achieved - self.claim.value if self.claim.value is not None else math.nan


@dataclass(frozen=True)
class ArmValues:
    """One arm's per-seed values of the claimed metric (harness scale): on the report split, which is compared,
    and on the selection split, which picks the best seed of a best-of-n claim."""

    report: Mapping[int, float]
    select: Mapping[int, float] = field(default_factory=dict)
    items: Mapping[int, np.ndarray] | None = None  # seed -> the metric on each shared item resample (rules v3)
    unit: str = ""  # what the item resamples drew, e.g. "items (n=114)"; without them, why (if not SEED_ONLY)


@dataclass(frozen=True)
class Evidence:
    """Everything the rules read besides the claim (values in the harness scale)."""

    arms: Mapping[Arm, ArmValues] = field(default_factory=dict)
    unavailable: str = ""  # why the data cannot be used here (with the fixing command); empty when it can
    no_task: str = ""  # why no task runs the claim yet; empty when one does
    chance: float | None = None  # the chance floor on this task and metric (the prior model's mean)
    registered: Sequence[float] = ()  # other systems' published values on the same task and metric
    higher_is_better: bool = True


# ---- version 1 --------------------------------------------------------------------------------------------------

def absolute_verdict(claim: Claim, values: Sequence[float]) -> Verdict:
    """Rule v1 for an absolute claim, from the per-seed metric values (harness scale: converted by ``claim.scale``)."""
    if claim.value is None:
        raise ValueError(f"claim {claim.key!r} is absolute but states no value")
    v = np.asarray(values, dtype=float) * claim.scale
    if v.size == 0:
        return Verdict(claim, NO_RECORDS, rules_version=1)
    s = summarize(v, CONFIDENCE)
    half = (s.ci_high - s.ci_low) / 2 if v.size > 1 else 0.0
    allowed = max(claim.tolerance, half, claim.std or 0.0)
    gap = s.mean - claim.value
    outcome = REPRODUCED if abs(gap) <= allowed else (ABOVE if gap > 0 else BELOW)
    detail = f"|delta| {abs(gap):.3g} {'<=' if outcome == REPRODUCED else '>'} {allowed:.3g} allowed"
    return Verdict(claim, outcome, s.mean, s.std, int(v.size), s.ci_low, s.ci_high, detail, 1, s.mean)


def relative_verdict(claim: Claim, a: Mapping[int, float], b: Mapping[int, float], version: int = 1) -> Verdict:
    """Rule for a relative claim about a - b, from per-seed values of each arm keyed by seed (paired by seed)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return Verdict(claim, NO_RECORDS, detail="the two arms share no seed", rules_version=version)
    d = np.array([a[s] - b[s] for s in seeds], dtype=float) * claim.scale
    if len(seeds) < 2:
        return Verdict(claim, INCONCLUSIVE, float(d[0]), math.nan, 1, detail="one paired seed: no CI",
                       rules_version=version, compared="a - b")
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
                   detail, version, compared="a - b")


def _judge_v1(claim: Claim, evidence: Evidence) -> Verdict:
    if evidence.unavailable:
        return Verdict(claim, DATA_UNAVAILABLE, detail=evidence.unavailable, rules_version=1)
    if claim.differs:
        return Verdict(claim, NOT_COMPARABLE, detail=claim.differs, rules_version=1)
    missing = _missing(claim, evidence)
    if missing:
        return Verdict(claim, NO_RECORDS, detail=missing, rules_version=1)
    if claim.kind == "absolute":
        assert claim.arm is not None
        return absolute_verdict(claim, list(evidence.arms[claim.arm].report.values()))
    assert claim.a is not None and claim.b is not None
    return relative_verdict(claim, evidence.arms[claim.a].report, evidence.arms[claim.b].report)


def _missing(claim: Claim, evidence: Evidence) -> str:
    """Why nothing can be compared yet (no task, or an arm without finished runs); empty when all arms ran."""
    if claim.task is None:
        return evidence.no_task or f"no task runs this claim on {claim.dataset!r} yet"
    absent = [arm.label for arm in claim.arms if not evidence.arms.get(arm, ArmValues({})).report]
    if absent:
        return f"no finished runs of {', '.join(absent)}; run `mmrepro reproduce {claim.paper.key}`"
    return ""


# ---- version 2 --------------------------------------------------------------------------------------------------

def implausible(claim: Claim, evidence: Evidence) -> str:
    """Why the claimed value is outside any plausible range (claim units in the message); empty when plausible."""
    if claim.kind != "absolute" or claim.value is None:
        return ""
    value, up, unit = claim.value / claim.scale, evidence.higher_is_better, claim.unit
    low, high = METRIC_BOUNDS.get(claim.metric, (-math.inf, math.inf))
    if value > high or value < low:
        side, bound = ("above", high) if value > high else ("below", low)
        return f"{side} the metric's {'maximum' if side == 'above' else 'minimum'} {bound * claim.scale:g}{unit}"
    slack = claim.tolerance / claim.scale
    if evidence.chance is not None and (value < evidence.chance - slack if up else value > evidence.chance + slack):
        return f"worse than the chance floor {evidence.chance * claim.scale:.4g}{unit} (the prior model)"
    ideal = high if up else low
    systems = [r for r in evidence.registered if math.isfinite(r)]
    if len(systems) >= MIN_SYSTEMS and math.isfinite(ideal):
        best = max(systems) if up else min(systems)
        if abs(ideal - value) < FAR_BEYOND * abs(ideal - best):
            return (f"far beyond every registered system on {claim.task or claim.dataset}: best of {len(systems)} "
                    f"is {best * claim.scale:.4g}{unit}; the claim removes more than {1 - FAR_BEYOND:.0%} of its "
                    f"remaining error to {ideal * claim.scale:g}{unit}")
    return ""


def _protocol_excuse(claim: Claim, worse: bool, ours: int) -> str:
    """The protocol differences that could explain a gap (``worse``: ours is worse than claimed)."""
    reasons = list(claim.protocol_differs)
    p = claim.protocol
    if worse and p.selection.hazard:
        reasons.append("the claim was selected on the test split")
    if worse and p.aggregation == "best-of-n" and p.n is not None and ours < p.n:
        reasons.append(f"best of {p.n} claimed, best of {ours} here")
    return "; ".join(reasons)


def _best_seed(claim: Claim, values: ArmValues, up: bool) -> tuple[int, str]:
    """Our seed picked by the claim's selection rule: by the selection split, or by the report split if the claim
    selected on the test split (the same hazard, named)."""
    pick = max if up else min
    if claim.protocol.selection.hazard:
        return pick(values.report, key=lambda s: values.report[s]), "report split (as the claim: test)"
    scored = [s for s in values.report if s in values.select]
    if not scored:
        raise ValueError(f"claim {claim.key!r}: best-of-n needs our selection-split values")
    return pick(scored, key=lambda s: values.select[s]), "selection split"


def _absolute_v2(claim: Claim, values: ArmValues, up: bool) -> Verdict:
    assert claim.value is not None
    seeds = sorted(values.report)
    v = np.array([values.report[s] for s in seeds], dtype=float) * claim.scale
    s = summarize(v, CONFIDENCE)
    k, aggregation = int(v.size), claim.protocol.aggregation
    t = float(stats.t.ppf(0.5 + CONFIDENCE / 2, k - 1)) if k > 1 else math.nan
    spread = f"mean {s.mean:.4g} ± {s.std:.2g} over {k} seeds" if k > 1 else f"one seed: {s.mean:.4g}"
    if aggregation == "best-of-n":
        seed, by = _best_seed(claim, values, up)
        achieved, half, compared = values.report[seed] * claim.scale, 0.0, f"best of {k}"
        how = f"best of {k} seeds by the {by}: seed {seed}; {spread}"
    elif aggregation == "single-run":
        achieved, compared = s.mean, "one run (prediction interval)"
        half = t * s.std * math.sqrt(1 + 1 / k) if k > 1 else 0.0
        how = f"95% prediction interval of one run ±{half:.3g}; {spread}"
    else:
        achieved = float(np.median(v)) if aggregation == "median" else s.mean
        compared = "median" if aggregation == "median" else "mean"
        half = (s.ci_high - s.ci_low) / 2 if k > 1 else 0.0
        how = spread
    allowed = max(claim.tolerance, half, claim.std or 0.0)
    gap = achieved - claim.value
    if abs(gap) <= allowed:
        outcome = REPRODUCED
    else:
        excuse = _protocol_excuse(claim, worse=(gap < 0) == up, ours=k)
        outcome = f"{INCONCLUSIVE} (protocol differs: {excuse})" if excuse else ABOVE if gap > 0 else BELOW
    detail = f"|delta| {abs(gap):.3g} {'<=' if abs(gap) <= allowed else '>'} {allowed:.3g} allowed; {how}"
    return Verdict(claim, outcome, achieved, s.std, k, s.ci_low, s.ci_high, detail, 2, s.mean, compared)


def _judge_v2_gates(claim: Claim, evidence: Evidence, version: int) -> Verdict | None:
    """Rules 1-3 of v2 (also v3's): not comparable, implausible, not run; None when the claim can be judged."""
    if claim.differs:
        return Verdict(claim, f"{NOT_COMPARABLE} ({claim.differs})", detail=claim.differs, rules_version=version)
    why = implausible(claim, evidence)
    if why:
        return Verdict(claim, f"{IMPLAUSIBLE} ({why})", detail="flagged, not tested", rules_version=version)
    if evidence.unavailable:
        return Verdict(claim, DATA_UNAVAILABLE, detail=evidence.unavailable, rules_version=version)
    missing = _missing(claim, evidence)
    if missing:
        return Verdict(claim, NO_RECORDS, detail=missing, rules_version=version)
    return None


def _judge_v2(claim: Claim, evidence: Evidence) -> Verdict:
    if claim.differs:
        return Verdict(claim, f"{NOT_COMPARABLE} ({claim.differs})", detail=claim.differs, rules_version=2)
    why = implausible(claim, evidence)
    if why:
        return Verdict(claim, f"{IMPLAUSIBLE} ({why})", detail="flagged, not tested", rules_version=2)
    if evidence.unavailable:
        return Verdict(claim, DATA_UNAVAILABLE, detail=evidence.unavailable, rules_version=2)
    missing = _missing(claim, evidence)
    if missing:
        return Verdict(claim, NO_RECORDS, detail=missing, rules_version=2)
    if claim.kind == "absolute":
        assert claim.arm is not None
        return _absolute_v2(claim, evidence.arms[claim.arm], evidence.higher_is_better)
    assert claim.a is not None and claim.b is not None
    verdict = relative_verdict(claim, evidence.arms[claim.a].report, evidence.arms[claim.b].report, version=2)
    if verdict.outcome == CONTRADICTED and claim.protocol_differs:
        excuse = "; ".join(claim.protocol_differs)
        return Verdict(claim, f"{INCONCLUSIVE} (protocol differs: {excuse})", verdict.achieved, verdict.std,
                       verdict.n, verdict.ci_low, verdict.ci_high, verdict.detail, 2, compared="a - b")
    return verdict


# ---- version 3 --------------------------------------------------------------------------------------------------

SEED_ONLY = "seed-only: no per-item predictions"


def _item_interval(claim: Claim, values: ArmValues, seeds: Sequence[int], one_run: bool = False
                   ) -> tuple[float, float] | None:
    """The combined items x seeds interval of the arm's seeds in claim units; None without item replicates."""
    if values.items is None:
        return None
    reps = np.stack([values.items[s] for s in seeds]) * claim.scale
    v = np.array([values.report[s] for s in seeds]) * claim.scale
    ci = combined_interval(reps, v, CONFIDENCE, BOOTSTRAP_SEED, one_run=one_run)
    return ci.low, ci.high


def _absolute_v3(claim: Claim, values: ArmValues, up: bool) -> Verdict:
    assert claim.value is not None
    seeds = sorted(values.report)
    v = np.array([values.report[s] for s in seeds], dtype=float) * claim.scale
    s = summarize(v, CONFIDENCE)
    k, aggregation = int(v.size), claim.protocol.aggregation
    spread = f"mean {s.mean:.4g} ± {s.std:.2g} over {k} seeds" if k > 1 else f"one seed: {s.mean:.4g}"
    if aggregation == "best-of-n":
        seed, by = _best_seed(claim, values, up)
        achieved, compared, chosen = values.report[seed] * claim.scale, f"best of {k}", [seed]
        how = f"best of {k} seeds by the {by}: seed {seed}; {spread}"
    else:
        achieved = float(np.median(v)) if aggregation == "median" else s.mean
        compared = {"median": "median", "single-run": "one run (prediction interval)"}.get(aggregation, "mean")
        chosen, how = seeds, spread
    interval = _item_interval(claim, values, chosen, one_run=aggregation == "single-run")
    if interval is not None:
        low, high = interval
        how += f"; {CONFIDENCE:.0%} items x seeds interval [{low:.4g}, {high:.4g}] ({values.unit})"
    elif aggregation == "best-of-n":
        low = high = achieved
        how += f"; {values.unit or SEED_ONLY}"
    else:
        t = float(stats.t.ppf(0.5 + CONFIDENCE / 2, k - 1)) if k > 1 else math.nan
        half = (t * s.std * (math.sqrt(1 + 1 / k) if aggregation == "single-run" else 1 / math.sqrt(k))
                if k > 1 else 0.0)
        low, high = achieved - half, achieved + half
        how += f"; {values.unit or SEED_ONLY} (Student-t over seeds ±{half:.3g})"
    half = (high - low) / 2 if math.isfinite(high - low) else 0.0
    allowed = max(claim.tolerance, half, claim.std or 0.0)
    gap = achieved - claim.value
    if abs(gap) <= allowed:
        outcome = REPRODUCED
    else:
        excuse = _protocol_excuse(claim, worse=(gap < 0) == up, ours=k)
        outcome = f"{INCONCLUSIVE} (protocol differs: {excuse})" if excuse else ABOVE if gap > 0 else BELOW
    detail = f"|delta| {abs(gap):.3g} {'<=' if abs(gap) <= allowed else '>'} {allowed:.3g} allowed; {how}"
    return Verdict(claim, outcome, achieved, s.std, k, low, high, detail, 3, s.mean, compared)


def _relative_v3(claim: Claim, a: ArmValues, b: ArmValues) -> Verdict:
    seeds = sorted(set(a.report) & set(b.report))
    if not seeds:
        return Verdict(claim, NO_RECORDS, detail="the two arms share no seed", rules_version=3)
    d = np.array([a.report[s] - b.report[s] for s in seeds], dtype=float) * claim.scale
    std = float(np.std(d, ddof=1)) if len(seeds) > 1 else math.nan
    seed_only = next((arm.unit for arm in (a, b) if arm.items is None and arm.unit), SEED_ONLY)
    if a.items is not None and b.items is not None:
        reps = np.stack([a.items[s] - b.items[s] for s in seeds]) * claim.scale
        ci = combined_interval(reps, d, CONFIDENCE, BOOTSTRAP_SEED)
        low, high = ci.low, ci.high
        detail = f"items x seeds paired bootstrap over seeds {','.join(map(str, seeds))} ({a.unit})"
    elif len(seeds) < 2:
        return Verdict(claim, INCONCLUSIVE, float(d[0]), math.nan, 1, detail=f"one paired seed: no CI; {seed_only}",
                       rules_version=3, compared="a - b")
    else:
        test = paired_t_test(np.array([a.report[s] for s in seeds]) * claim.scale,
                             np.array([b.report[s] for s in seeds]) * claim.scale, CONFIDENCE)
        if math.isnan(test.p_value):
            return Verdict(claim, INCONCLUSIVE, test.diff, std, len(seeds), detail=(
                f"paired t undefined: every seed's difference is {test.diff:.4g} (zero variance); {seed_only}"),
                rules_version=3, compared="a - b")
        low, high = test.ci_low, test.ci_high
        detail = f"paired t over seeds {','.join(map(str, seeds))}, p={test.p_value:.3g}; {seed_only}"
    positive, negative = low > 0, high < 0
    if (positive or negative) and positive == (claim.sign == "+"):
        outcome = SUPPORTED
    elif positive or negative:
        outcome = (f"{INCONCLUSIVE} (protocol differs: {'; '.join(claim.protocol_differs)})"
                   if claim.protocol_differs else CONTRADICTED)
    else:
        outcome = INCONCLUSIVE
    return Verdict(claim, outcome, float(d.mean()), std, len(seeds), low, high, detail, 3, compared="a - b")


def _judge_v3(claim: Claim, evidence: Evidence) -> Verdict:
    first = _judge_v2_gates(claim, evidence, 3)
    if first is not None:
        return first
    if claim.kind == "absolute":
        assert claim.arm is not None
        return _absolute_v3(claim, evidence.arms[claim.arm], evidence.higher_is_better)
    assert claim.a is not None and claim.b is not None
    return _relative_v3(claim, evidence.arms[claim.a], evidence.arms[claim.b])


_RULE_SETS = {"v1": (_judge_v1, absolute_verdict, relative_verdict, _missing),
              "v2": (_judge_v2, implausible, _protocol_excuse, _best_seed, _absolute_v2, relative_verdict,
                     _missing),
              "v3": (_judge_v3, _judge_v2_gates, implausible, _protocol_excuse, _best_seed, _item_interval,
                     _absolute_v3, _relative_v3, _missing, combined_interval, resample_counts, ItemPredictions.unit)}
_CONSTANTS = {"v1": (CONFIDENCE,), "v2": (CONFIDENCE, FAR_BEYOND, MIN_SYSTEMS, sorted(METRIC_BOUNDS.items())),
              "v3": (CONFIDENCE, FAR_BEYOND, MIN_SYSTEMS, sorted(METRIC_BOUNDS.items()), N_RESAMPLES, BOOTSTRAP_SEED,
                     SEED_ONLY, GROUP_UNITS, MIN_GROUPS)}


def check_rules(rules: str) -> str:
    if rules not in RULES:
        from harness.errors import UserError

        raise UserError(f"unknown verdict rules {rules!r}; choose one of {', '.join(RULES)}")
    return rules


def judge(claim: Claim, evidence: Evidence, rules: str = DEFAULT_RULES) -> Verdict:
    """The verdict for ``claim`` under the rule set ``rules`` (``v1``, ``v2`` or ``v3``)."""
    return _RULE_SETS[check_rules(rules)][0](claim, evidence)


def rules_fingerprint(rules: str) -> str:
    """A hash of the rule set's definitions (its functions' source and constants): a rule that changes without a
    new version changes this, and the test pinning it fails."""
    text = "\n".join(inspect.getsource(fn) for fn in _RULE_SETS[check_rules(rules)]) + repr(_CONSTANTS[rules])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
