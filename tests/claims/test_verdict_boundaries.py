"""The verdict rules at their edges: a gap exactly at the allowance, one and two seeds, the chance floor and the
metric bounds met exactly, protocol excuses on the right side only, and v3's items x seeds interval (the one of
harness/metrics/bootstrap.py, called with the claim's units and aggregation). Values are exact in binary where an
edge is tested, so the boundary is the rule's and not rounding's."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from harness.claims.claim import Arm, Claim, Paper, Protocol, Selection
from harness.claims.verdict import ABOVE, BELOW, REPRODUCED, SEED_ONLY, SUPPORTED, ArmValues, Evidence, judge
from harness.metrics.bootstrap import combined_interval

PAPER = Paper("p", "A paper", "Venue", 2022, "https://example.org")
M = Arm("m")
T1 = 12.706204736174694  # Student-t 0.975 quantile, 1 degree of freedom (2 seeds)
EXCUSE = "inconclusive (protocol differs: "


def absolute(value: float = 70.0, tolerance: float = 0.0, **kw) -> Claim:
    kw = {"unit": "%", **kw}
    return Claim(PAPER, "abs", "absolute", "reaches 70%", "accuracy", "linear probe", "Table 1, p. 5",
                 task="digits-views", value=value, arm=M, tolerance=tolerance, **kw)


def mae(value: float, tolerance: float = 0.0, **kw) -> Claim:
    return dataclasses.replace(absolute(value, tolerance, **kw), metric="MAE", unit="")


def seeds(report: dict[int, float], select: dict[int, float] | None = None, **kw) -> Evidence:
    return Evidence({M: ArmValues(report, select or {})}, **kw)


# ---- the allowance: a gap exactly at it is reproduced, and the detail says so ----------------------------------

@pytest.mark.parametrize("rules, how", [
    ("v2", "mean 75 ± 0 over 2 seeds"),
    ("v3", f"mean 75 ± 0 over 2 seeds; {SEED_ONLY} (Student-t over seeds ±0)")])
def test_gap_exactly_at_the_tolerance_is_reproduced_and_the_detail_reads_le(rules: str, how: str) -> None:
    # 0.75 x 100 and 74.5 are exact in binary: the gap is exactly the tolerance
    at = judge(absolute(74.5, tolerance=0.5), seeds({0: 0.75, 1: 0.75}), rules)
    assert (at.outcome, at.detail) == (REPRODUCED, f"|delta| 0.5 <= 0.5 allowed; {how}")
    beyond = judge(absolute(74.25, tolerance=0.5), seeds({0: 0.75, 1: 0.75}), rules)
    assert (beyond.outcome, beyond.detail) == (ABOVE, f"|delta| 0.75 > 0.5 allowed; {how}")
    below = judge(absolute(75.75, tolerance=0.5), seeds({0: 0.75, 1: 0.75}), rules)
    assert (below.outcome, below.detail) == (BELOW, f"|delta| 0.75 > 0.5 allowed; {how}")


@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_the_reported_std_alone_can_cover_the_gap(rules: str) -> None:
    v = judge(absolute(70.0, std=1.5), seeds({0: 0.71}), rules)
    assert v.outcome == REPRODUCED and v.detail.startswith("|delta| 1 <= 1.5 allowed; one seed: 71")


# ---- one and two seeds ---------------------------------------------------------------------------------------

def test_one_seed_has_no_interval_beyond_the_tolerance() -> None:
    claim = absolute(70.0, tolerance=0.5)
    one = seeds({0: 0.706})
    assert judge(claim, one, "v2").detail == "|delta| 0.6 > 0.5 allowed; one seed: 70.6"
    single = dataclasses.replace(claim, protocol=Protocol(aggregation="single-run", n=1))
    assert judge(single, one, "v2").detail == (
        "|delta| 0.6 > 0.5 allowed; 95% prediction interval of one run ±0; one seed: 70.6")
    for c in (claim, single):
        v = judge(c, one, "v3")
        assert (v.outcome, v.n, v.ci_low, v.ci_high, math.isnan(v.std)) == (ABOVE, 1, v.achieved, v.achieved, True)
        assert v.achieved == pytest.approx(70.6) and v.detail == (
            f"|delta| 0.6 > 0.5 allowed; one seed: 70.6; {SEED_ONLY} (Student-t over seeds ±0)")


@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_two_seeds_already_have_an_interval(rules: str) -> None:
    # values 70 and 72: s = sqrt(2), the CI half-width t(1) * s / sqrt(2) = 12.7 covers a 4-point gap
    v = judge(absolute(75.0), seeds({0: 0.70, 1: 0.72}), rules)
    how = "mean 71 ± 1.4 over 2 seeds" + (f"; {SEED_ONLY} (Student-t over seeds ±12.7)" if rules == "v3" else "")
    assert (v.outcome, v.detail) == (REPRODUCED, f"|delta| 4 <= 12.7 allowed; {how}")
    assert (v.ci_low, v.ci_high) == pytest.approx((71 - T1, 71 + T1))
    # one new run of two seeds: t(1) * sqrt(2) * sqrt(1 + 1/2) = 22.0 covers a 19-point gap
    single = judge(absolute(90.0, protocol=Protocol(aggregation="single-run", n=1)), seeds({0: 0.70, 1: 0.72}), rules)
    assert single.outcome == REPRODUCED and single.detail.startswith("|delta| 19 <= 22 allowed; ")


# ---- protocol differences excuse a gap only on the side they explain -------------------------------------------

@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_test_split_selection_excuses_a_shortfall_only(rules: str) -> None:
    test_selected = Protocol(aggregation="mean", selection=Selection("test"))
    claim = absolute(74.5, protocol=test_selected)
    # ours is better by half a point: not excused (the hazard inflates claims, it cannot explain ours above)
    assert judge(claim, seeds({0: 0.75, 1: 0.75}), rules).outcome == ABOVE
    assert judge(dataclasses.replace(claim, value=75.5), seeds({0: 0.75, 1: 0.75}), rules).outcome == (
        f"{EXCUSE}the claim was selected on the test split)")
    # lower is better: worse means above the claim
    low = mae(0.5, protocol=test_selected)
    assert judge(low, seeds({0: 0.75, 1: 0.75}, higher_is_better=False), rules).outcome.startswith(EXCUSE)
    assert judge(low, seeds({0: 0.25, 1: 0.25}, higher_is_better=False), rules).outcome == BELOW


@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_every_excuse_is_listed_in_order(rules: str) -> None:
    protocol = Protocol(aggregation="best-of-n", n=10, selection=Selection("test"))
    claim = absolute(80.0, protocol=protocol, protocol_differs=("GloVe text features there, BERT here",))
    v = judge(claim, seeds({0: 0.70, 1: 0.72, 2: 0.74}), rules)
    assert v.outcome == (f"{EXCUSE}GloVe text features there, BERT here; the claim was selected on the test split; "
                         "best of 10 claimed, best of 3 here)")


@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_recorded_protocol_difference_excuses_either_side_and_plain_gaps_stay_above_or_below(rules: str) -> None:
    claim = absolute(70.0, tolerance=0.5, protocol_differs=("GloVe there",))
    for values in ({0: 0.60, 1: 0.60}, {0: 0.80, 1: 0.80}):
        assert judge(claim, seeds(values), rules).outcome == f"{EXCUSE}GloVe there)"
    plain = dataclasses.replace(claim, protocol_differs=())
    assert judge(plain, seeds({0: 0.60, 1: 0.60}), rules).outcome == BELOW
    assert judge(plain, seeds({0: 0.80, 1: 0.80}), rules).outcome == ABOVE


# ---- implausible: the edges of each test -----------------------------------------------------------------------

def test_a_relative_claim_is_never_flagged_implausible() -> None:
    # a +5-point difference is not an accuracy of 5%: the chance floor and bounds apply to absolute values only
    claim = Claim(PAPER, "rel", "relative", "a beats b", "accuracy", "linear probe", "Table 2, p. 6",
                  task="digits-views", value=5.0, unit="%", a=Arm("a"), b=Arm("b"), sign="+")
    a, b = {0: 0.52, 1: 0.63, 2: 0.74}, {0: 0.50, 1: 0.60, 2: 0.70}
    ev = Evidence({Arm("a"): ArmValues(a), Arm("b"): ArmValues(b)}, chance=0.25, registered=(0.9, 0.95, 0.97))
    assert judge(claim, ev, "v2").outcome == judge(claim, ev, "v3").outcome == SUPPORTED


@pytest.mark.parametrize("rules", ["v2", "v3"])
def test_a_metric_without_known_bounds_is_never_out_of_bounds(rules: str) -> None:
    claim = dataclasses.replace(absolute(-5.0), metric="my_score", unit="")
    assert judge(claim, seeds({0: -5.0}), rules).outcome == REPRODUCED
    assert judge(dataclasses.replace(claim, value=1e6), seeds({0: 1e6}), rules).outcome == REPRODUCED


def test_a_claim_exactly_at_the_metric_bound_is_tested() -> None:
    # a median rank of 1 (every query's match ranked first) is the best possible, not beyond it
    claim = dataclasses.replace(mae(1.0), metric="median_rank")
    assert judge(claim, seeds({0: 1.0}, higher_is_better=False), "v2").outcome == REPRODUCED
    assert judge(dataclasses.replace(claim, value=0.5), seeds({0: 1.0}, higher_is_better=False), "v2").outcome == (
        "implausible (below the metric's minimum 1)")
    assert judge(absolute(100.0), seeds({0: 1.0}), "v2").outcome == REPRODUCED


def test_lower_is_better_chance_floor_allows_the_tolerance_above_it_exactly() -> None:
    # chance 1.0, tolerance 0.25 (exact in binary): claims up to 1.25 are tested, beyond it flagged
    ev = seeds({0: 1.0}, chance=1.0, higher_is_better=False)
    assert judge(mae(1.0, 0.25), ev, "v2").outcome == REPRODUCED
    assert judge(mae(1.25, 0.25), ev, "v2").outcome == REPRODUCED
    assert judge(mae(1.3, 0.25), ev, "v2").outcome == "implausible (worse than the chance floor 1 (the prior model))"


def test_far_beyond_message_names_the_best_system_and_the_share_of_error_removed() -> None:
    far = judge(absolute(91.0), seeds({0: 0.8}, registered=(0.78, 0.80, 0.75)), "v2")
    assert far.outcome == ("implausible (far beyond every registered system on digits-views: best of 3 is 80%; "
                           "the claim removes more than 50% of its remaining error to 100%)")


def test_far_beyond_for_lower_is_better_measures_from_the_lowest_registered_value() -> None:
    # best (lowest) MAE 0.72: a claim below 0.36 removes more than half of it; 0.40 does not (it would against 0.95)
    registered = seeds({0: 0.4}, registered=(0.72, 0.95, 0.88), higher_is_better=False)
    assert judge(mae(0.40), registered, "v2").outcome == REPRODUCED
    assert judge(mae(0.35), registered, "v2").outcome == (
        "implausible (far beyond every registered system on digits-views: best of 3 is 0.72; "
        "the claim removes more than 50% of its remaining error to 0)")


# ---- v3: the items x seeds interval --------------------------------------------------------------------------

REPORT = {0: 0.70, 1: 0.72, 2: 0.74}
NOISE = np.random.default_rng(0).normal(0, 0.01, 1000)  # the same item resamples for every seed
ITEMS = {s: v + NOISE for s, v in REPORT.items()}
UNIT = "items (n=300)"


def items_evidence(report: dict[int, float] = REPORT, items: dict | None = None,
                   select: dict[int, float] | None = None) -> Evidence:
    return Evidence({M: ArmValues(report, select or {}, ITEMS if items is None else items, UNIT)})


def expected(seeds: list[int], one_run: bool = False) -> tuple[float, float]:
    """The bootstrap module's interval of these seeds, in claim units (percent)."""
    ci = combined_interval(np.stack([ITEMS[s] for s in seeds]) * 100, np.array([REPORT[s] for s in seeds]) * 100,
                           0.95, one_run=one_run)
    return ci.low, ci.high


def test_v3_mean_claim_uses_the_combined_interval_in_claim_units() -> None:
    low, high = expected([0, 1, 2])
    v = judge(absolute(72.0, protocol=Protocol(aggregation="mean")), items_evidence(), "v3")
    assert (v.ci_low, v.ci_high) == pytest.approx((low, high)) and v.outcome == REPRODUCED
    assert v.detail == (f"|delta| 0 <= {(high - low) / 2:.3g} allowed; mean 72 ± 2 over 3 seeds; "
                        f"95% items x seeds interval [{low:.4g}, {high:.4g}] ({UNIT})")
    # a gap just beyond the half-width is not covered by it
    beyond = judge(absolute(72.0 + (high - low) / 2 + 0.01), items_evidence(), "v3")
    assert beyond.outcome == BELOW


def test_v3_single_run_claim_uses_the_wider_one_run_interval() -> None:
    low, high = expected([0, 1, 2], one_run=True)
    mean_low, mean_high = expected([0, 1, 2])
    assert high - low > mean_high - mean_low
    claim = absolute(72.0 + (high - low) / 2 - 0.01, protocol=Protocol(aggregation="single-run", n=1))
    v = judge(claim, items_evidence(), "v3")
    assert (v.ci_low, v.ci_high) == pytest.approx((low, high)) and v.outcome == REPRODUCED
    assert v.compared == "one run (prediction interval)" and f"[{low:.4g}, {high:.4g}]" in v.detail


def test_v3_best_of_n_uses_the_item_interval_of_the_best_seed_alone() -> None:
    low, high = expected([2])  # seed 2 is best on the selection split
    claim = absolute(74.0, protocol=Protocol(aggregation="best-of-n", n=3, selection=Selection("dev", "accuracy")))
    v = judge(claim, items_evidence(select={0: 0.1, 1: 0.2, 2: 0.3}), "v3")
    assert (v.achieved, v.mean, v.compared, v.outcome) == (pytest.approx(74.0), pytest.approx(72.0), "best of 3",
                                                           REPRODUCED)
    assert (v.ci_low, v.ci_high) == pytest.approx((low, high))
    assert v.detail == (f"|delta| {abs(v.achieved - 74.0):.3g} <= {(high - low) / 2:.3g} allowed; best of 3 seeds by "
                        f"the selection split: seed 2; mean 72 ± 2 over 3 seeds; 95% items x seeds interval "
                        f"[{low:.4g}, {high:.4g}] ({UNIT})")


def test_v3_an_undefined_item_interval_leaves_the_tolerance_only() -> None:
    # the metric is undefined on one resample: the interval is nan and allows nothing beyond the tolerance
    broken = {s: np.r_[values[:-1], np.nan] for s, values in ITEMS.items()}
    v = judge(absolute(71.4, tolerance=0.5), items_evidence(items=broken), "v3")
    assert math.isnan(v.ci_low) and math.isnan(v.ci_high) and v.outcome == ABOVE
    assert v.detail == (f"|delta| 0.6 > 0.5 allowed; mean 72 ± 2 over 3 seeds; "
                        f"95% items x seeds interval [nan, nan] ({UNIT})")
