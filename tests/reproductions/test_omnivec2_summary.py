"""OmniVec2's across-task summary: the sign rule and the standardised mean over tasks."""

from __future__ import annotations

import math

import pytest

from reproductions.omnivec2.summary import sign_rule, standardised_mean


@pytest.mark.parametrize(("outcomes", "expected"), [
    (["supported", "supported", "inconclusive"], "supported across tasks"),
    (["supported", "supported", "contradicted"], "mixed"),  # any opposite verdict vetoes
    (["supported", "inconclusive"], "mixed"),  # half is not a strict majority
    (["contradicted", "contradicted", "inconclusive", "inconclusive", "contradicted"], "contradicted across tasks"),
])
def test_sign_rule(outcomes: list[str], expected: str) -> None:
    assert sign_rule(outcomes) == expected


def test_standardised_mean_weighs_tasks_by_their_own_spread() -> None:
    seeds = range(5)
    # task x: a beats b by 1 everywhere with spread 1; task y: the same in units 100x larger
    a_x = {s: float(s) + 1.0 for s in seeds}
    b_x = {s: float(s) for s in seeds}
    a_y = {s: 100.0 * v for s, v in a_x.items()}
    b_y = {s: 100.0 * v for s, v in b_x.items()}
    mean, low, high, n = standardised_mean({"x": (a_x, b_x), "y": (a_y, b_y)})
    assert n == 5 and mean == pytest.approx(1 / math.sqrt(2.5)) and low == pytest.approx(high)
    flipped = standardised_mean({"x": (a_x, b_x), "y": (b_y, a_y)})
    assert flipped[0] == pytest.approx(0.0)  # equal and opposite effects cancel, whatever the units
    assert math.isnan(standardised_mean({"x": ({0: 1.0}, {0: 0.0})})[0])  # one seed: no CI
