"""Group axioms of every action: identity, inverse, closure of composition (checked against applying the
two maps in turn), associativity, and the orders of the generators (rot90^4 = flip^2 = id)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.equivariance import (
    CircularShift,
    Composed,
    Crop,
    Dihedral,
    Identity,
    NotInvertibleError,
    Permutation,
    Transform,
    hflip,
    rot90,
    vflip,
)

TOKENS = 5
CORE = settings(max_examples=200, deadline=None)

dihedral = st.builds(Dihedral, st.integers(-8, 8), st.booleans())
shifts = st.builds(CircularShift, st.integers(-20, 20), st.sampled_from([-1, -2]))
permutations = st.permutations(range(TOKENS)).map(lambda order: Permutation(tuple(order), dim=-2))
# one kind per strategy draw, so closed-form composition is exercised, plus mixtures via Composed
actions = st.one_of(dihedral, shifts, permutations)


def image() -> torch.Tensor:
    """(batch, channels, H = TOKENS, W = TOKENS) with distinct entries, so any wrong index shows."""
    return torch.arange(2 * 3 * TOKENS * TOKENS, dtype=torch.float64).reshape(2, 3, TOKENS, TOKENS)


def same(g: Transform, h: Transform) -> bool:
    x = image()
    return torch.equal(g(x), h(x))


@CORE
@given(g=actions, h=actions)
def test_composition_is_applying_one_after_the_other(g: Transform, h: Transform) -> None:
    x = image()
    assert torch.equal((g @ h)(x), g(h(x)))


@CORE
@given(g=actions, h=actions, k=actions)
def test_composition_is_associative(g: Transform, h: Transform, k: Transform) -> None:
    assert same((g @ h) @ k, g @ (h @ k))


@CORE
@given(g=actions)
def test_inverse_undoes_the_action(g: Transform) -> None:
    assert same(g.inverse() @ g, Identity())
    assert same(g @ g.inverse(), Identity())


@CORE
@given(g=actions)
def test_identity_is_neutral(g: Transform) -> None:
    assert same(Identity() @ g, g) and same(g @ Identity(), g)


@CORE
@given(g=actions, h=actions)
def test_inverse_of_a_composition_reverses_the_order(g: Transform, h: Transform) -> None:
    assert same((g @ h).inverse(), h.inverse() @ g.inverse())


def test_generator_orders() -> None:
    r, s = rot90(), hflip()
    assert r @ r @ r @ r == Dihedral(0, False)
    assert s @ s == Dihedral(0, False)
    assert s @ r @ s == r.inverse()  # the dihedral relation
    assert same(r @ r @ r @ r, Identity()) and same(s @ s, Identity())


def test_named_flips_act_as_torch_does() -> None:
    x = image()
    assert torch.equal(hflip()(x), torch.flip(x, (-1,)))
    assert torch.equal(vflip()(x), torch.flip(x, (-2,)))
    assert torch.equal(rot90(3)(x), torch.rot90(x, 3, (-2, -1)))


def test_same_kind_compositions_stay_in_closed_form() -> None:
    assert isinstance(rot90() @ hflip(), Dihedral)
    assert CircularShift(3) @ CircularShift(-5) == CircularShift(-2)
    assert isinstance(Permutation((1, 0, 2)) @ Permutation((2, 1, 0)), Permutation)
    assert isinstance(rot90() @ CircularShift(1), Composed)


def test_crops_compose_but_do_not_invert() -> None:
    x = torch.arange(20.0).reshape(2, 10)
    outer, inner = Crop(1, 3), Crop(2, 6)
    assert outer @ inner == Crop(3, 3)
    assert torch.equal((outer @ inner)(x), outer(inner(x)))
    with pytest.raises(NotInvertibleError):
        inner.inverse()
    with pytest.raises(NotInvertibleError):
        (rot90() @ inner).inverse()
    with pytest.raises(ValueError, match="does not fit"):
        Crop(5, 3) @ inner
    with pytest.raises(ValueError, match="does not fit"):
        Crop(8, 3)(x)


def test_invalid_permutation_is_refused() -> None:
    with pytest.raises(ValueError, match="not a permutation"):
        Permutation((0, 0, 1))
