"""The verdict rules, v1, v2 and v3: one test per rule, its boundary cases, and the pinned rules fingerprints
(see harness/claims/verdict.py for the rules' text)."""

from __future__ import annotations

import dataclasses
import math
import statistics

import pytest

from harness.claims.claim import Arm, Claim, Paper, Protocol, Selection
from harness.claims.verdict import (
    ABOVE,
    BELOW,
    CONTRADICTED,
    DATA_UNAVAILABLE,
    IMPLAUSIBLE,
    INCONCLUSIVE,
    NO_RECORDS,
    NOT_COMPARABLE,
    REPRODUCED,
    RULES,
    RULES_VERSION,
    SUPPORTED,
    ArmValues,
    Evidence,
    absolute_verdict,
    judge,
    relative_verdict,
    rules_fingerprint,
)
from harness.errors import UserError

PAPER = Paper("p", "A paper", "Venue", 2022, "https://example.org")
M = Arm("m")

# A rule changed? Add a new version to RULES (keep the old one selectable), document it in verdict.py, and pin
# its fingerprint here. Editing a pin without a new version hides a change in what verdicts mean.
PINNED = {"v1": "f17c9c6e026529f3", "v2": "e0c55307bb8b42e8", "v3": "da7d91281d6dde8e"}


def absolute(value: float = 70.0, tolerance: float = 0.0, std: float | None = None, **kw) -> Claim:
    return Claim(PAPER, "abs", "absolute", "reaches 70%", "accuracy", "linear probe", "Table 1, p. 5",
                 task="digits-views", value=value, unit="%", arm=M, tolerance=tolerance, std=std, **kw)


def relative(sign: str = "+", value: float | None = None, **kw) -> Claim:
    return Claim(PAPER, "rel", "relative", "a beats b", "accuracy", "linear probe", "Table 2, p. 6",
                 task="digits-views", value=value, unit="%", a=Arm("a"), b=Arm("b"), sign=sign, **kw)


def evidence(report: dict[int, float], select: dict[int, float] | None = None, **kw) -> Evidence:
    return Evidence({M: ArmValues(report, select or {})}, **kw)


def best_of(n: int, **kw) -> Protocol:
    return Protocol(aggregation="best-of-n", n=n, selection=Selection("dev", "accuracy"), **kw)


def test_rules_are_versioned_and_pinned() -> None:
    assert RULES == {"v1": 1, "v2": 2, "v3": 3} and RULES_VERSION == 3
    assert {name: rules_fingerprint(name) for name in RULES} == PINNED, (
        "a verdict rule changed: add a rules version instead of editing one in place, then pin its fingerprint")


def test_the_fingerprint_follows_every_rule_function_and_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.claims import verdict

    before = rules_fingerprint("v2")
    functions = verdict._RULE_SETS["v2"]
    monkeypatch.setitem(verdict._RULE_SETS, "v2", (*functions[:-1], test_rules_are_versioned_and_pinned))
    assert rules_fingerprint("v2") != before
    monkeypatch.setitem(verdict._RULE_SETS, "v2", functions)
    monkeypatch.setitem(verdict._CONSTANTS, "v2", (*verdict._CONSTANTS["v2"][:1], 0.6))
    assert rules_fingerprint("v2") != before


def test_every_verdict_carries_its_rules_version() -> None:
    claim, ev = absolute(70.0, tolerance=0.5), evidence({0: 0.70, 1: 0.70})
    assert judge(claim, ev, "v1").rules_version == 1 and judge(claim, ev, "v2").rules_version == 2
    assert judge(claim, ev, "v3").rules_version == 3 == judge(claim, ev).rules_version
    with pytest.raises(UserError, match="unknown verdict rules 'v9'; choose one of v1, v2, v3"):
        judge(claim, ev, "v9")


# ---- v1 absolute: |mean - claimed| <= max(tolerance, CI half-width, reported std) -----------------------------

def test_absolute_within_tolerance_is_reproduced() -> None:
    v = absolute_verdict(absolute(70.0, tolerance=0.5), [0.703, 0.703])
    assert v.outcome == REPRODUCED and v.achieved == pytest.approx(70.3) and v.delta == pytest.approx(0.3)


def test_absolute_within_ci_half_width_is_reproduced() -> None:
    # mean 71, values 69..73: the t half-width (~2.8 points over 3 seeds) covers the 1-point gap
    v = absolute_verdict(absolute(70.0), [0.69, 0.71, 0.73])
    assert v.outcome == REPRODUCED and v.ci_low < 70.0 < v.ci_high and v.n == 3


def test_absolute_gap_between_half_and_full_ci_width_is_not_reproduced() -> None:
    # values 70, 71, 72: half-width 2.48, full width 4.97; a gap of 3 lies between them
    v = absolute_verdict(absolute(74.0), [0.70, 0.71, 0.72])
    assert (v.ci_high - v.ci_low) / 2 < 3.0 < v.ci_high - v.ci_low and v.outcome == BELOW


def test_absolute_within_reported_std_is_reproduced() -> None:
    assert absolute_verdict(absolute(70.0, std=1.5), [0.71, 0.71]).outcome == REPRODUCED


@pytest.mark.parametrize("rules", ["v1", "v2"])
def test_gap_exactly_at_the_tolerance_is_reproduced_and_just_beyond_is_not(rules: str) -> None:
    # 0.75 x 100 and 74.5 are exact in binary: the gap is exactly 0.5
    assert judge(absolute(74.5, tolerance=0.5), evidence({0: 0.75, 1: 0.75}), rules).outcome == REPRODUCED
    assert judge(absolute(74.25, tolerance=0.5), evidence({0: 0.75, 1: 0.75}), rules).outcome == ABOVE


def test_absolute_above_and_below() -> None:
    assert absolute_verdict(absolute(70.0, tolerance=0.5), [0.72, 0.72]).outcome == ABOVE
    v = absolute_verdict(absolute(70.0, tolerance=0.5), [0.60, 0.61, 0.62])
    assert v.outcome == BELOW and v.delta == pytest.approx(-9.0)


def test_absolute_single_seed_has_no_ci_and_uses_tolerance_only() -> None:
    v = absolute_verdict(absolute(70.0, tolerance=0.5), [0.706])
    assert v.outcome == ABOVE and math.isnan(v.ci_low) and v.n == 1


def test_absolute_without_runs_is_no_records() -> None:
    assert absolute_verdict(absolute(), []).outcome == NO_RECORDS


# ---- relative: paired 95% CI of a - b over common seeds -----------------------------------------------------

def test_relative_supported_when_ci_excludes_zero_on_claimed_side() -> None:
    a = {0: 0.80, 1: 0.82, 2: 0.81, 3: 0.83, 4: 0.80}
    b = {0: 0.78, 1: 0.79, 2: 0.79, 3: 0.80, 4: 0.78}
    v = relative_verdict(relative("+"), a, b)
    assert v.outcome == SUPPORTED and v.ci_low > 0 and v.achieved == pytest.approx(2.4) and v.n == 5


def test_relative_negative_claim_supported() -> None:
    a = {s: 0.70 + 0.001 * s for s in range(5)}
    b = {s: 0.75 + 0.002 * s for s in range(5)}
    assert relative_verdict(relative("-"), a, b).outcome == SUPPORTED


def test_relative_contradicted_by_data() -> None:
    # the claim says a > b; over five paired seeds a is clearly below b
    a = {0: 0.70, 1: 0.71, 2: 0.69, 3: 0.70, 4: 0.72}
    b = {0: 0.75, 1: 0.77, 2: 0.74, 3: 0.76, 4: 0.76}
    v = relative_verdict(relative("+", value=0.6), a, b)
    assert v.outcome == CONTRADICTED and v.ci_high < 0
    assert v.delta == pytest.approx(v.achieved - 0.6)


def test_relative_inconclusive_when_ci_spans_zero() -> None:
    a = {0: 0.80, 1: 0.78, 2: 0.81, 3: 0.77, 4: 0.80}
    b = {0: 0.79, 1: 0.80, 2: 0.79, 3: 0.79, 4: 0.79}
    v = relative_verdict(relative("+"), a, b)
    assert v.outcome == INCONCLUSIVE and v.ci_low < 0 < v.ci_high


def test_relative_ci_touching_zero_does_not_exclude_it() -> None:
    # identical arms: every paired difference is 0, the CI is [0, 0] and touches 0 on both sides
    same = {0: 0.5, 1: 0.625, 2: 0.75}
    v = relative_verdict(relative("+"), same, dict(same))
    assert v.ci_low == 0.0 == v.ci_high and v.outcome == INCONCLUSIVE


def test_relative_equal_nonzero_paired_differences_are_decisive() -> None:
    # every seed a - b = +12.5 points: zero spread, so the CI is that single point and excludes 0
    a, b = {0: 0.625, 1: 0.75, 2: 0.875}, {0: 0.5, 1: 0.625, 2: 0.75}
    v = relative_verdict(relative("+"), a, b)
    assert v.outcome == SUPPORTED and v.std == 0.0 and v.ci_low == pytest.approx(12.5)
    assert relative_verdict(relative("-"), a, b).outcome == CONTRADICTED


def test_relative_pairs_by_seed_and_ignores_unpaired_seeds() -> None:
    a = {0: 0.9, 1: 0.9, 7: 0.0}
    b = {0: 0.8, 1: 0.8, 9: 1.0}
    v = relative_verdict(relative("+"), a, b)
    assert v.n == 2 and v.achieved == pytest.approx(10.0) and v.outcome == SUPPORTED


def test_relative_one_paired_seed_is_inconclusive_and_no_shared_seed_is_no_records() -> None:
    v = relative_verdict(relative("+"), {0: 0.9}, {0: 0.1})
    assert v.outcome == INCONCLUSIVE and v.n == 1 and math.isnan(v.ci_low)
    assert relative_verdict(relative("+"), {0: 0.9}, {1: 0.1}).outcome == NO_RECORDS


# ---- the states before any comparison, every version --------------------------------------------------------

@pytest.mark.parametrize("rules", ["v1", "v2", "v3"])
def test_unavailable_data_missing_task_and_missing_runs(rules: str) -> None:
    assert judge(absolute(), Evidence(unavailable="Run: mmrepro data prepare x"), rules).outcome == DATA_UNAVAILABLE
    no_task = judge(dataclasses.replace(absolute(), task=None, dataset="imagenet"), Evidence(), rules)
    assert no_task.outcome == NO_RECORDS and "no task runs this claim on 'imagenet'" in no_task.detail
    none = judge(absolute(), Evidence({M: ArmValues({})}), rules)
    assert none.outcome == NO_RECORDS and "no finished runs of m; run `mmrepro reproduce p`" in none.detail


def test_not_comparable_states_why() -> None:
    claim = absolute(differs="the paper fine-tunes; we probe frozen features")
    assert judge(claim, evidence({0: 0.7}), "v1").outcome == NOT_COMPARABLE
    v2 = judge(claim, evidence({0: 0.7}), "v2")
    assert v2.outcome == "not comparable (the paper fine-tunes; we probe frozen features)"


# ---- v2: best of n under the same selection rule ------------------------------------------------------------

# Ten seeds: mean 70.0 (sample std 1.53); seed 7 is best on the selection split and scores 73.0 on the report split
TEN_REPORT = {s: v / 100 for s, v in enumerate([68.0, 69.0, 70.0, 71.0, 68.5, 69.5, 70.5, 73.0, 71.5, 69.0])}
TEN_SELECT = {s: 0.60 + (0.05 if s == 7 else 0.01 * (s % 3)) for s in range(10)}


def test_best_of_10_claim_reproduced_under_v2_and_below_under_v1_on_the_same_records() -> None:
    claim = absolute(73.0, tolerance=0.5, protocol=best_of(10))
    ev = evidence(TEN_REPORT, TEN_SELECT)
    v1, v2 = judge(claim, ev, "v1"), judge(claim, ev, "v2")
    assert v1.outcome == BELOW and v1.achieved == pytest.approx(70.0)
    assert v2.outcome == REPRODUCED and v2.achieved == pytest.approx(73.0) and v2.compared == "best of 10"
    assert v2.mean == pytest.approx(70.0) and v2.n == 10
    assert v2.std == pytest.approx(statistics.stdev(v * 100 for v in TEN_REPORT.values()))
    assert "seed 7" in v2.detail and "mean 70 ± 1.5 over 10 seeds" in v2.detail


def test_best_of_n_picks_by_the_selection_split_not_the_report_split() -> None:
    # seed 1 has the best report value but seed 0 the best selection value: the claim is judged on seed 0
    claim = absolute(80.0, tolerance=0.5, protocol=best_of(2))
    v = judge(claim, evidence({0: 0.70, 1: 0.80}, {0: 0.9, 1: 0.1}), "v2")
    assert v.achieved == pytest.approx(70.0) and v.outcome == BELOW


def test_best_of_n_selected_on_test_picks_by_the_report_split_and_excuses_a_shortfall() -> None:
    protocol = Protocol(aggregation="best-of-n", n=2, selection=Selection("test"))
    claim = absolute(80.0, tolerance=0.5, protocol=protocol)
    v = judge(claim, evidence({0: 0.70, 1: 0.80}, {0: 0.9, 1: 0.1}), "v2")
    assert v.achieved == pytest.approx(80.0) and v.outcome == REPRODUCED
    short = judge(dataclasses.replace(claim, value=85.0), evidence({0: 0.70, 1: 0.80}), "v2")
    assert short.outcome == "inconclusive (protocol differs: the claim was selected on the test split)"


def test_best_of_more_runs_than_ours_excuses_only_a_shortfall() -> None:
    claim = absolute(75.0, tolerance=0.5, protocol=best_of(10))
    three = evidence({0: 0.70, 1: 0.71, 2: 0.72}, {0: 0.1, 1: 0.2, 2: 0.3})
    assert judge(claim, three, "v2").outcome == "inconclusive (protocol differs: best of 10 claimed, best of 3 here)"
    assert judge(dataclasses.replace(claim, value=65.0), three, "v2").outcome == ABOVE


def test_best_of_n_for_a_lower_is_better_metric_takes_the_lowest() -> None:
    claim = dataclasses.replace(absolute(0.70, tolerance=0.01, protocol=best_of(2)), metric="MAE", unit="")
    v = judge(claim, evidence({0: 0.70, 1: 0.90}, {0: 0.5, 1: 0.9}, higher_is_better=False), "v2")
    assert v.achieved == pytest.approx(0.70) and v.outcome == REPRODUCED


def test_best_of_n_without_selection_values_is_refused() -> None:
    with pytest.raises(ValueError, match="needs our selection-split values"):
        judge(absolute(70.0, protocol=best_of(2)), evidence({0: 0.7, 1: 0.7}), "v2")


# ---- v2: single runs, medians, recorded protocol differences ---------------------------------------------------

def test_single_run_claim_is_read_against_the_prediction_interval_of_one_run() -> None:
    # values 70, 71, 72 (s = 1): the CI half-width is t(2) / sqrt(3) = 2.48, the prediction half-width of one
    # new run t(2) * sqrt(1 + 1/3) = 4.97; a gap of 3.7 lies between them
    claim = absolute(73.7, protocol=Protocol(aggregation="single-run", n=1))
    v = judge(claim, evidence({0: 0.70, 1: 0.71, 2: 0.72}), "v2")
    assert v.outcome == REPRODUCED and "prediction interval of one run ±4.97" in v.detail
    assert judge(absolute(73.7), evidence({0: 0.70, 1: 0.71, 2: 0.72}), "v2").outcome == BELOW


def test_single_run_with_one_seed_uses_the_tolerance_only() -> None:
    claim = absolute(70.0, tolerance=0.5, protocol=Protocol(aggregation="single-run", n=1))
    assert judge(claim, evidence({0: 0.706}), "v2").outcome == ABOVE


def test_median_claim_compares_our_median() -> None:
    claim = absolute(70.0, tolerance=0.1, protocol=Protocol(aggregation="median", n=3))
    v = judge(claim, evidence({0: 0.70, 1: 0.70, 2: 0.76}), "v2")
    assert v.achieved == pytest.approx(70.0) and v.compared == "median" and v.mean == pytest.approx(72.0)


def test_recorded_protocol_difference_makes_a_gap_inconclusive_in_either_direction() -> None:
    claim = absolute(70.0, tolerance=0.5, protocol_differs=("GloVe text features there, BERT here",))
    for values in ({0: 0.60, 1: 0.60}, {0: 0.80, 1: 0.80}):
        v = judge(claim, evidence(values), "v2")
        assert v.outcome == "inconclusive (protocol differs: GloVe text features there, BERT here)"
        assert judge(claim, evidence(values), "v1").outcome in (ABOVE, BELOW)
    assert judge(claim, evidence({0: 0.70, 1: 0.70}), "v2").outcome == REPRODUCED


def test_test_selection_excuses_a_shortfall_but_not_an_excess() -> None:
    claim = absolute(70.0, tolerance=0.5, protocol=Protocol(aggregation="mean", selection=Selection("test")))
    assert judge(claim, evidence({0: 0.60, 1: 0.60}), "v2").outcome.startswith("inconclusive (protocol differs")
    assert judge(claim, evidence({0: 0.80, 1: 0.80}), "v2").outcome == ABOVE


def test_relative_contradiction_with_recorded_protocol_difference_is_inconclusive() -> None:
    a = {0: 0.70, 1: 0.71, 2: 0.69, 3: 0.70, 4: 0.72}
    b = {0: 0.75, 1: 0.77, 2: 0.74, 3: 0.76, 4: 0.76}
    claim = relative("+", protocol_differs=("the paper tunes each arm separately",))
    ev = Evidence({Arm("a"): ArmValues(a), Arm("b"): ArmValues(b)})
    assert judge(claim, ev, "v1").outcome == CONTRADICTED
    assert judge(claim, ev, "v2").outcome == "inconclusive (protocol differs: the paper tunes each arm separately)"
    plain = judge(relative("+"), ev, "v2")
    assert plain.outcome == CONTRADICTED and plain.rules_version == 2


# ---- v2: implausible claims are flagged, not tested -------------------------------------------------------------

def test_claim_above_the_metric_maximum_is_implausible_even_without_data() -> None:
    v = judge(absolute(101.0), Evidence(unavailable="Run: mmrepro data prepare x"), "v2")
    assert v.outcome == "implausible (above the metric's maximum 100%)" and v.outcome.startswith(IMPLAUSIBLE)
    assert judge(absolute(101.0), evidence({0: 0.7}), "v1").outcome == BELOW
    assert judge(absolute(100.0, tolerance=1.0), evidence({0: 0.995}), "v2").outcome == REPRODUCED


def test_claim_below_a_metric_minimum() -> None:
    claim = dataclasses.replace(absolute(-0.1), metric="MAE", unit="")
    assert judge(claim, evidence({0: 0.7}, higher_is_better=False), "v2").outcome == (
        "implausible (below the metric's minimum 0)")


def test_claim_worse_than_the_chance_floor_is_implausible_beyond_the_tolerance_only() -> None:
    ev = evidence({0: 0.5}, chance=0.25)
    assert judge(absolute(20.0, tolerance=1.0), ev, "v2").outcome.startswith(
        "implausible (worse than the chance floor 25%")
    # exact in binary: a claim at exactly floor - tolerance is still tested (ours, 0.5, is far above it)
    at_edge = dataclasses.replace(absolute(0.125, tolerance=0.125), unit="")
    assert judge(at_edge, ev, "v2").outcome == ABOVE
    assert judge(dataclasses.replace(at_edge, value=0.124), ev, "v2").outcome.startswith("implausible")
    mae = dataclasses.replace(absolute(1.5, tolerance=0.05), metric="MAE", unit="")
    assert judge(mae, evidence({0: 0.7}, chance=1.4, higher_is_better=False), "v2").outcome.startswith(
        "implausible (worse than the chance floor 1.4")


def test_claim_far_beyond_every_registered_system_is_implausible() -> None:
    # registered best 80%: 20 points of error left; 91% removes more than half of it, 89% does not
    registered = (0.78, 0.80, 0.75)
    far = judge(absolute(91.0), evidence({0: 0.8}, registered=registered), "v2")
    assert far.outcome.startswith("implausible (far beyond every registered system on digits-views: best of 3 "
                                  "is 80%") and math.isnan(far.achieved)
    assert judge(absolute(89.0), evidence({0: 0.8}, registered=registered), "v2").outcome == BELOW
    assert judge(absolute(91.0), evidence({0: 0.8}, registered=registered[:2]), "v2").outcome == BELOW
    mae = dataclasses.replace(absolute(0.30), metric="MAE", unit="")
    lower = evidence({0: 0.9}, registered=(0.72, 0.95, 0.88), higher_is_better=False)
    assert judge(mae, lower, "v2").outcome.startswith("implausible (far beyond")


def test_far_beyond_boundary_exactly_half_the_remaining_error_is_still_tested() -> None:
    # exact in binary: best system 0.5 leaves 0.5 of error; a claim of 0.75 removes exactly half of it
    claim = dataclasses.replace(absolute(0.75), unit="")
    registered = evidence({0: 0.75}, registered=(0.5, 0.25, 0.375))
    assert judge(claim, registered, "v2").outcome == REPRODUCED
    assert judge(dataclasses.replace(claim, value=0.76), registered, "v2").outcome.startswith("implausible (far")


@pytest.mark.parametrize("protocol", [Protocol(), Protocol(aggregation="single-run", n=1), best_of(1)])
def test_v2_allows_the_reported_std_under_every_aggregation(protocol: Protocol) -> None:
    # one seed (no CI, no prediction interval): only the reported std of 1.5 covers the 1-point gap
    claim = absolute(70.0, std=1.5, protocol=protocol)
    assert judge(claim, evidence({0: 0.71}, {0: 0.5}), "v2").outcome == REPRODUCED
    assert judge(dataclasses.replace(claim, std=None), evidence({0: 0.71}, {0: 0.5}), "v2").outcome == ABOVE


# ---- v1 absolute down to the numbers it reports (mutants of absolute_verdict that survived `make mutate`) --------

def test_v1_absolute_reports_its_numbers_and_why() -> None:
    claim = absolute(70.0, tolerance=0.5)
    v = absolute_verdict(claim, [0.70, 0.71, 0.72])
    half = (v.ci_high - v.ci_low) / 2
    assert v.claim is claim and v.rules_version == 1 and v.n == 3 and v.outcome == REPRODUCED
    assert v.achieved == pytest.approx(71.0) and v.mean == pytest.approx(71.0)
    assert v.std == pytest.approx(statistics.stdev([70.0, 71.0, 72.0]))
    assert v.detail == f"|delta| 1 <= {half:.3g} allowed"
    v = absolute_verdict(absolute(75.0, tolerance=0.5), [0.70, 0.71, 0.72])
    assert v.outcome == BELOW and v.detail == f"|delta| 4 > {half:.3g} allowed"


def test_v1_gap_inside_the_half_width_but_beyond_a_third_of_the_width_is_reproduced() -> None:
    # values 70, 71, 72: half-width 2.48, a third of the width 1.66; the gap is 2
    v = absolute_verdict(absolute(73.0), [0.70, 0.71, 0.72])
    assert (v.ci_high - v.ci_low) / 3 < 2.0 < (v.ci_high - v.ci_low) / 2 and v.outcome == REPRODUCED


def test_v1_two_seeds_already_have_a_ci() -> None:
    # values 70, 72: t(0.975, 1) = 12.7, so the half-width 12.7 covers a 4-point gap
    assert absolute_verdict(absolute(75.0), [0.70, 0.72]).outcome == REPRODUCED


def test_v1_without_runs_keeps_the_claim_and_rules_version_and_a_claim_without_value_is_refused() -> None:
    claim = absolute()
    v = absolute_verdict(claim, [])
    assert v.claim is claim and v.outcome == NO_RECORDS and v.rules_version == 1
    with pytest.raises(ValueError, match="claim 'abs' is absolute but states no value"):
        absolute_verdict(absolute(value=None), [0.7])


def test_rules_fingerprints_are_16_hex_digits() -> None:
    assert all(len(rules_fingerprint(name)) == 16 and int(rules_fingerprint(name), 16) >= 0 for name in RULES)


# ---- v3: items x seeds intervals (harness/metrics/bootstrap.py) --------------------------------------------

def _items(values: dict[int, float], spread: float, n_draws: int = 1000) -> dict:
    """Per-seed item replicates: the seed's value plus the same item noise for every seed (shared resamples)."""
    import numpy as np

    noise = np.random.default_rng(0).normal(0, spread, n_draws)
    return {seed: value + noise for seed, value in values.items()}


def test_v3_a_deterministic_arm_is_judged_with_its_item_interval() -> None:
    report = {0: 0.71, 1: 0.71, 2: 0.71}  # identical seeds: the seed-only interval has zero width
    claim = absolute(70.0)
    assert judge(claim, evidence(report), "v2").outcome == ABOVE
    with_items = judge(claim, Evidence({M: ArmValues(report, {}, _items(report, 0.02), "items (n=300)")}), "v3")
    assert with_items.outcome == REPRODUCED and with_items.ci_high - with_items.ci_low > 4.0
    assert "items x seeds interval" in with_items.detail and "items (n=300)" in with_items.detail
    tight = judge(claim, Evidence({M: ArmValues(report, {}, _items(report, 0.001), "items (n=300)")}), "v3")
    assert tight.outcome == ABOVE


def test_v3_without_predictions_says_so_and_keeps_the_v2_allowance() -> None:
    report = {0: 0.69, 1: 0.71, 2: 0.73}
    v2, v3 = judge(absolute(70.0), evidence(report), "v2"), judge(absolute(70.0), evidence(report), "v3")
    assert v2.outcome == v3.outcome == REPRODUCED and (v2.ci_low, v2.ci_high) == pytest.approx((v3.ci_low, v3.ci_high))
    assert "seed-only: no per-item predictions" in v3.detail


def test_v3_equal_paired_differences_without_predictions_are_inconclusive_not_supported() -> None:
    a, b = {0: 0.625, 1: 0.75, 2: 0.875}, {0: 0.5, 1: 0.625, 2: 0.75}
    ev = Evidence({Arm("a"): ArmValues(a), Arm("b"): ArmValues(b)})
    assert judge(relative("+"), ev, "v2").outcome == SUPPORTED  # v2 as recorded: a zero-width CI
    v3 = judge(relative("+"), ev, "v3")
    assert v3.outcome == INCONCLUSIVE and "zero variance" in v3.detail and "seed-only" in v3.detail


def test_v3_relative_uses_the_paired_item_bootstrap() -> None:
    import numpy as np

    a, b = {0: 0.80, 1: 0.80}, {0: 0.70, 1: 0.70}
    rng = np.random.default_rng(1)
    shared = rng.normal(0, 0.05, 1000)  # item difficulty: both arms move together on a resample
    items_a = {s: a[s] + shared + rng.normal(0, 0.01, 1000) for s in a}
    items_b = {s: b[s] + shared + rng.normal(0, 0.01, 1000) for s in b}
    ev = Evidence({Arm("a"): ArmValues(a, {}, items_a, "items"), Arm("b"): ArmValues(b, {}, items_b, "items")})
    v = judge(relative("+"), ev, "v3")
    assert v.outcome == SUPPORTED and 0 < v.ci_low < 10 < v.ci_high and "paired bootstrap" in v.detail
    assert judge(relative("-"), ev, "v3").outcome == CONTRADICTED
    noisy = {s: a[s] + rng.normal(0, 0.2, 1000) for s in a}
    ev = Evidence({Arm("a"): ArmValues(a, {}, noisy, "items"), Arm("b"): ArmValues(b, {}, items_b, "items")})
    assert judge(relative("+"), ev, "v3").outcome == INCONCLUSIVE


def test_v3_names_why_an_arm_was_not_bootstrapped() -> None:
    from harness.report.uncertainty import skip_reason

    assert skip_reason("accuracy") == "" and "class-level retrieval" in skip_reason("class_mAP_q2g")
    why = f"seed-only: {skip_reason('class_mAP_q2g')}"
    v = judge(absolute(70.0), Evidence({M: ArmValues({0: 0.69, 1: 0.71}, {}, None, why)}), "v3")
    assert why in v.detail and "no per-item predictions" not in v.detail
