"""claims.toml refusals that no other test reached (issue 20): each names the file, the claim and what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.claim import load_claims
from harness.errors import UserError
from tests.claims.test_claim_loader import ABSOLUTE, HEAD, RELATIVE


@pytest.mark.parametrize("body, message", [
    (HEAD + ABSOLUTE.replace('arm = "linear-early"', "arm = 3"),
     "claim 'abs'.*an arm is a model name or {model = \"...\", set = {...}}, got 3"),
    (HEAD + ABSOLUTE.replace('statement = "reaches 70%"\n', ""), "claim 'abs'.*missing 'statement'"),
    (HEAD + RELATIVE.replace("value = 0.6", 'value = 0.6\nsign = "x"'), r"sign 'x' must be '\+' \(a > b\) or '-'"),
    (HEAD + ABSOLUTE + 'protocol_differs = ["", "crop"]\n', "protocol_differs is a list of non-empty strings"),
    (HEAD + ABSOLUTE + 'reports = "their repo"\n', r"reports is a list of tables \(\[\[claim.reports\]\]\)"),
    (HEAD.replace("year = 2022\n", "") + ABSOLUTE, r"\[paper\] lacks 'year'"),
])
def test_malformed_claims_file_is_refused_with_where_and_what(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(body)
    with pytest.raises(UserError, match=message) as err:
        load_claims(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
