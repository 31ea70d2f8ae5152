"""Loading claims.toml: every field checked, and a claim without a source refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.claim import load_claims
from harness.errors import UserError

HEAD = """floor = "prior"

[paper]
key = "p"
title = "A paper"
venue = "ICLR"
year = 2022
link = "https://example.org"
"""

ABSOLUTE = """
[[claim]]
key = "abs"
kind = "absolute"
statement = "reaches 70%"
task = "digits-views"
metric = "accuracy"
variant = "linear probe"
value = 70.0
unit = "%"
arm = "linear-early"
source = "Table 1, p. 5"
"""

RELATIVE = """
[[claim]]
key = "rel"
kind = "relative"
statement = "a beats b"
dataset = "imagenet"
metric = "accuracy"
variant = "linear probe"
a = { model = "linear-early", set = { max_iter = 50 } }
b = "linear-late"
set = { grid = [1.0, 10.0] }
value = 0.6
unit = "%"
source = "repo README.md, table 'Results'"
"""


def _load(tmp_path: Path, body: str):
    path = tmp_path / "claims.toml"
    path.write_text(body)
    return load_claims(path)


def test_loads_absolute_and_relative_claims(tmp_path: Path) -> None:
    absolute, relative = _load(tmp_path, HEAD + ABSOLUTE + RELATIVE)
    assert absolute.kind == "absolute" and absolute.value == 70.0 and absolute.scale == 100.0
    assert absolute.arm.label == "linear-early" and absolute.floor.label == "prior"
    assert relative.sign == "+" and relative.dataset == "imagenet" and relative.floor is None
    assert relative.a.label == 'linear-early[grid=[1.0, 10.0],max_iter=50]'
    assert relative.b.label == 'linear-late[grid=[1.0, 10.0]]'


def test_claim_without_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"claims.toml: claim 'abs' has no source"):
        _load(tmp_path, HEAD + ABSOLUTE.replace('source = "Table 1, p. 5"', 'source = "  "'))
    with pytest.raises(UserError, match="has no source"):
        _load(tmp_path, HEAD + ABSOLUTE.replace('source = "Table 1, p. 5"\n', ""))


@pytest.mark.parametrize("old, new, message", [
    ('kind = "absolute"', 'kind = "ablation"', "must be 'absolute' or 'relative'"),
    ('arm = "linear-early"', "", "needs value and arm"),
    ('task = "digits-views"', "", "give task"),
    ('unit = "%"', 'unit = "pct"', "unit 'pct'"),
    ('variant = "linear probe"', 'variant = "linear probe"\nseed = 3', "unknown field"),
])
def test_malformed_absolute_claims_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        _load(tmp_path, HEAD + ABSOLUTE.replace(old, new))


def test_relative_claim_checks(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs arms a and b"):
        _load(tmp_path, HEAD + RELATIVE.replace('b = "linear-late"\n', ""))
    with pytest.raises(UserError, match="contradicts sign"):
        _load(tmp_path, HEAD + RELATIVE.replace("value = 0.6", 'value = 0.6\nsign = "-"'))
    (negative,) = _load(tmp_path, HEAD + RELATIVE.replace("value = 0.6", "value = -0.6"))
    assert negative.sign == "-"


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"missing \[paper\]"):
        _load(tmp_path, ABSOLUTE)
    with pytest.raises(UserError, match="no \\[\\[claim\\]\\]"):
        _load(tmp_path, HEAD)
    with pytest.raises(UserError, match="duplicate claim key"):
        _load(tmp_path, HEAD + ABSOLUTE + ABSOLUTE)
    with pytest.raises(UserError, match="cannot read claims file"):
        load_claims(tmp_path / "missing.toml")
