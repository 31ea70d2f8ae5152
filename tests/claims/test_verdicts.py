"""The verdict rules, version 1, one test per outcome (see harness/claims/verdict.py for the rules' text)."""

from __future__ import annotations

import math

import pytest

from harness.claims.claim import Arm, Claim, Paper
from harness.claims.verdict import (
    ABOVE,
    BELOW,
    CONTRADICTED,
    INCONCLUSIVE,
    NO_RECORDS,
    REPRODUCED,
    RULES_VERSION,
    SUPPORTED,
    absolute_verdict,
    relative_verdict,
)

PAPER = Paper("p", "A paper", "Venue", 2022, "https://example.org")


def absolute(value: float = 70.0, tolerance: float = 0.0, std: float | None = None) -> Claim:
    return Claim(PAPER, "abs", "absolute", "reaches 70%", "accuracy", "linear probe", "Table 1, p. 5",
                 task="digits-views", value=value, unit="%", arm=Arm("m"), tolerance=tolerance, std=std)


def relative(sign: str = "+", value: float | None = None) -> Claim:
    return Claim(PAPER, "rel", "relative", "a beats b", "accuracy", "linear probe", "Table 2, p. 6",
                 task="digits-views", value=value, unit="%", a=Arm("a"), b=Arm("b"), sign=sign)


def test_rules_are_versioned() -> None:
    assert RULES_VERSION == 1


# ---- absolute: |mean - claimed| <= max(tolerance, CI half-width, reported std) -------------------------------

def test_absolute_within_tolerance_is_reproduced() -> None:
    v = absolute_verdict(absolute(70.0, tolerance=0.5), [0.703, 0.703])
    assert v.outcome == REPRODUCED and v.achieved == pytest.approx(70.3) and v.delta == pytest.approx(0.3)


def test_absolute_within_ci_half_width_is_reproduced() -> None:
    # mean 71, values 69..73: the t half-width (~2.8 points over 3 seeds) covers the 1-point gap
    v = absolute_verdict(absolute(70.0), [0.69, 0.71, 0.73])
    assert v.outcome == REPRODUCED and v.ci_low < 70.0 < v.ci_high and v.n == 3


def test_absolute_within_reported_std_is_reproduced() -> None:
    assert absolute_verdict(absolute(70.0, std=1.5), [0.71, 0.71]).outcome == REPRODUCED


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


def test_relative_pairs_by_seed_and_ignores_unpaired_seeds() -> None:
    a = {0: 0.9, 1: 0.9, 7: 0.0}
    b = {0: 0.8, 1: 0.8, 9: 1.0}
    v = relative_verdict(relative("+"), a, b)
    assert v.n == 2 and v.achieved == pytest.approx(10.0) and v.outcome == SUPPORTED


def test_relative_one_paired_seed_is_inconclusive_and_no_shared_seed_is_no_records() -> None:
    v = relative_verdict(relative("+"), {0: 0.9}, {0: 0.1})
    assert v.outcome == INCONCLUSIVE and v.n == 1 and math.isnan(v.ci_low)
    assert relative_verdict(relative("+"), {0: 0.9}, {1: 0.1}).outcome == NO_RECORDS
