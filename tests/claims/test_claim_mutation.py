"""claims.toml as a contract (issue 20): what a file loads to, field by field, and each refusal's exact message.

A refusal names the file and the claim (``<path>: claim 'abs': ...``; a report adds ``, report <i>``) so that the
author can find the line; the messages below are what a user reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.claim import Arm, Claim, Paper, Protocol, Report, Selection, Source, load_claims
from harness.errors import UserError
from tests.claims.test_claim_loader import ABSOLUTE, HEAD, RELATIVE

PAPER = Paper("p", "A paper", "ICLR", 2022, "https://example.org")
ARM = 'an arm is a model name or {model = "...", set = {...}}'
QUALITIES = "primary-table, primary-text, official-repository, secondary, figure-by-eye, quoted, unknown"
SEEDS = "seeds is a positive count or a list of integer seeds"
REPORT = "a report needs who, where and value"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(body)
    return path


def _refusal(tmp_path: Path, body: str) -> str:
    """The message a malformed file is refused with, its path replaced by ``<path>``."""
    path = _write(tmp_path, body)
    with pytest.raises(UserError) as err:
        load_claims(path)
    return str(err.value).replace(str(path), "<path>")


def _report(fields: str) -> str:
    return ABSOLUTE + '\n[[claim.reports]]\nwho = "R"\nwhere = "Table 3"\nvalue = 1.0\n' + fields


@pytest.mark.parametrize("body, message", [
    (HEAD + ABSOLUTE.replace('source = "Table 1, p. 5"\n', ""),
     "<path>: claim 'abs' has no source. Give the table/figure and page, or the repository file the number was read "
     "from; a claim nobody can look up is refused"),
    (HEAD + ABSOLUTE + 'seed = 3\nurl = "x"\n',
     "<path>: claim 'abs': unknown field(s) seed, url; valid: a, aggregation, arm, b, data_version, dataset, differs, "
     "key, kind, metric, metric_variant, n, notes, protocol_differs, reports, seeds, selection, set, sign, source, "
     "source_quality, sources, spread, statement, std, task, tolerance, unit, value, variant"),
    (HEAD + ABSOLUTE + "seeds = 0\n", f"<path>: claim 'abs': {SEEDS}, got 0"),
    (HEAD + ABSOLUTE.replace("value = 70.0", 'value = "high"'),
     "<path>: claim 'abs': value must be a number, got 'high'"),
    (HEAD + ABSOLUTE + 'std = "0.4"\n', "<path>: claim 'abs': std must be a number, got '0.4'"),
    (HEAD + RELATIVE.replace('a = { model = "linear-early", set = { max_iter = 50 } }', "a = 3"),
     f"<path>: claim 'rel': {ARM}, got 3"),
    (HEAD + RELATIVE.replace('b = "linear-late"', "b = 3"), f"<path>: claim 'rel': {ARM}, got 3"),
    (HEAD.replace('floor = "prior"', "floor = 3") + ABSOLUTE, f"<path>: claim 'abs': {ARM}, got 3"),
    (HEAD + RELATIVE.replace("value = 0.6", 'value = 1.0\nsign = "-"'),
     "<path>: claim 'rel': value 1.0 contradicts sign '-'"),
    (HEAD + ABSOLUTE + 'sources = "x"\n',
     '<path>: claim \'abs\': sources is a list of {where = "...", quality = "...", value = ...}'),
    (HEAD + ABSOLUTE + 'source_quality = "blog"\n',
     f"<path>: claim 'abs': source_quality 'blog' must be one of {QUALITIES}"),
    (HEAD + ABSOLUTE + 'sources = [{ where = "x", quality = "blog" }]\n',
     f"<path>: claim 'abs': quality 'blog' must be one of {QUALITIES}"),
    (HEAD + ABSOLUTE + 'sources = [{ where = "x", value = "high" }]\n',
     "<path>: claim 'abs': value must be a number, got 'high'"),
    (HEAD + ABSOLUTE + 'selection = { split = "dev", by = "loss" }\n',
     '<path>: claim \'abs\': selection is "test", "none", "unknown" or {split = "...", criterion = "..."}, '
     "got {'split': 'dev', 'by': 'loss'}"),
    (HEAD + ABSOLUTE + 'spread = "iqr"\n',
     "<path>: claim 'abs': spread 'iqr' must be one of population std, sample std, std, none"),
    (HEAD + ABSOLUTE + "n = 1.5\n", "<path>: claim 'abs': n (runs aggregated) must be a positive integer, got 1.5"),
    (HEAD + ABSOLUTE + "n = true\n", "<path>: claim 'abs': n (runs aggregated) must be a positive integer, got True"),
    (HEAD + ABSOLUTE + RELATIVE.replace('key = "rel"', ""),
     "<path>: claim '#2': missing 'key'"),  # a claim without a key is named by its position, from 1
    (HEAD + ABSOLUTE + RELATIVE + ABSOLUTE + RELATIVE, "<path>: duplicate claim key(s) abs, rel"),
    # a report's refusal adds its position, from 1
    (HEAD + _report('\n[[claim.reports]]\nwho = "S"\nvalue = 2.0\n'),
     f"<path>: claim 'abs', report 2: {REPORT} (missing 'where')"),
    (HEAD + _report("").replace('who = "R"', 'who = ""'), f"<path>: claim 'abs', report 1: {REPORT} (missing 'who')"),
    (HEAD + _report('url = "z"\nyear = 2024\n'),
     "<path>: claim 'abs', report 1: unknown report field(s) url, year; valid: aggregation, data_version, "
     "metric_variant, n, notes, seeds, selection, source_quality, spread, std, value, where, who"),
    (HEAD + _report("seeds = 0\n"), f"<path>: claim 'abs', report 1: {SEEDS}, got 0"),
    (HEAD + _report("").replace("value = 1.0", 'value = "high"'),
     "<path>: claim 'abs', report 1: value must be a number, got 'high'"),
    (HEAD + _report('std = "x"\n'), "<path>: claim 'abs', report 1: std must be a number, got 'x'"),
    (HEAD + _report('aggregation = "best"\n'),
     "<path>: claim 'abs', report 1: aggregation 'best' must be one of mean, median, best-of-n, single-run, unknown"),
    (HEAD + _report('source_quality = "blog"\n'),
     f"<path>: claim 'abs', report 1: source_quality 'blog' must be one of {QUALITIES}"),
])
def test_each_refusal_names_file_claim_and_what_to_write(tmp_path: Path, body: str, message: str) -> None:
    assert _refusal(tmp_path, body) == message


def test_a_full_v2_claim_loads_to_exactly_these_values(tmp_path: Path) -> None:
    body = ABSOLUTE.replace('arm = "linear-early"', 'arm = { model = "linear-early" }') + """tolerance = 0.5
notes = "read off the bar chart"
differs = "they fine-tune"
protocol_differs = "crop size"
aggregation = "median"
seeds = 5
selection = { split = "dev" }
sources = [{ where = "repo README.md" }, { where = "Fig. 2", quality = "unknown", value = 70.0 }]

[[claim.reports]]
who = "R"
where = "Table 3"
value = 69.0
notes = "their rerun"

[[claim.reports]]
who = "S"
where = "Table 4"
value = 68.0
"""
    path = _write(tmp_path, HEAD + body)
    (claim,) = load_claims(path)
    assert claim == Claim(
        PAPER, "abs", "absolute", "reaches 70%", "accuracy", "linear probe", "Table 1, p. 5", task="digits-views",
        value=70.0, unit="%", arm=Arm("linear-early"), seeds=5, tolerance=0.5, notes="read off the bar chart",
        differs="they fine-tune", floor=Arm("prior"),
        protocol=Protocol("median", 5, Selection("dev", "")),
        sources=(Source("Table 1, p. 5"), Source("repo README.md"), Source("Fig. 2", "unknown", 70.0)),
        reports=(Report("R", "Table 3", 69.0, notes="their rerun"), Report("S", "Table 4", 68.0)),
        protocol_differs=("crop size",))
    assert claim.origin == str(path) and claim.protocol.aggregation_label == "median of 5"
    assert str(claim.protocol.selection) == "dev" and claim.protocol.spread == ""  # no std: no spread to name


def test_a_v1_claim_has_no_tolerance_notes_or_differences(tmp_path: Path) -> None:
    (claim,) = load_claims(_write(tmp_path, HEAD + ABSOLUTE))
    assert (claim.tolerance, claim.notes, claim.differs, claim.seeds, claim.std) == (0.0, "", "", None, None)
    assert claim.protocol == Protocol() and claim.protocol.spread == ""


@pytest.mark.parametrize("extra, protocol, seeds", [
    ('aggregation = "mean"\nn = 1\n', Protocol("mean", 1), None),  # one run aggregated is allowed
    ('aggregation = "single-run"\nn = 1\n', Protocol("single-run", 1), None),
    ('aggregation = "mean"\nseeds = 4\n', Protocol("mean", 4), 4),  # a mean over the stated seeds
    ("seeds = 3\n", Protocol(), 3),  # the seeds say nothing about how they were aggregated
    ("seeds = 1\n", Protocol(), 1),
    ('selection = "unknown"\n', Protocol(), None),
])
def test_protocol_fields_as_loaded(tmp_path: Path, extra: str, protocol: Protocol, seeds: int | None) -> None:
    (claim,) = load_claims(_write(tmp_path, HEAD + ABSOLUTE + extra))
    assert claim.protocol == protocol and claim.seeds == seeds


@pytest.mark.parametrize("value, sign", [("", "+"), ("value = 0.0\n", "+"), ("value = -0.5\n", "-")])
def test_a_relative_claims_sign_follows_its_value(tmp_path: Path, value: str, sign: str) -> None:
    (claim,) = load_claims(_write(tmp_path, HEAD + RELATIVE.replace("value = 0.6\n", value)))
    assert claim.sign == sign
