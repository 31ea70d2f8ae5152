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


# ---- schema v2: the protocol behind the number, several sources, third-party reports ------------------------

PROTOCOL = """aggregation = "best-of-n"
n = 10
selection = { split = "dev", criterion = "weighted F1" }
metric_variant = "weighted F1 over 6 classes"
data_version = "IEMOCAP 6-way"
seeds = [0, 1, 2]
std = 0.4
spread = "population std"
source_quality = "primary-table"
sources = [{ where = "repo README.md", quality = "official-repository", value = 70.5 }]
protocol_differs = ["text features: GloVe there, ours pooled"]

[[claim.reports]]
who = "Someone et al. 2024"
where = "Table 3, p. 7"
value = 68.9
std = 0.7
aggregation = "mean"
seeds = 5
selection = "test"
source_quality = "quoted"
"""


def test_v1_claim_loads_with_every_protocol_field_unknown(tmp_path: Path) -> None:
    (claim,) = _load(tmp_path, HEAD + ABSOLUTE)
    p = claim.protocol
    assert p.aggregation == "unknown" and not p.selection.known and str(p.selection) == "unknown"
    assert p.missing() == ["aggregation", "selection", "metric variant", "data version"]
    assert claim.sources[0].where == claim.source == "Table 1, p. 5" and claim.source_quality == "unknown"
    assert claim.reports == () and claim.protocol_differs == () and not claim.sources_disagree


def test_v2_protocol_sources_and_reports_load(tmp_path: Path) -> None:
    (claim,) = _load(tmp_path, HEAD + ABSOLUTE + PROTOCOL)
    p = claim.protocol
    assert (p.aggregation, p.n, p.aggregation_label) == ("best-of-n", 10, "best of 10")
    assert (p.selection.split, p.selection.criterion, p.selection.hazard) == ("dev", "weighted F1", False)
    assert p.seed_values == (0, 1, 2) and claim.seeds == 3 and claim.std == 0.4 and p.spread == "population std"
    assert p.missing() == [] and claim.source_quality == "primary-table"
    assert [s.quality for s in claim.sources] == ["primary-table", "official-repository"]
    assert claim.sources_disagree  # the repository says 70.5, the table 70.0
    assert claim.protocol_differs == ("text features: GloVe there, ours pooled",)
    (report,) = claim.reports
    assert (report.who, report.value, report.std, report.seeds) == ("Someone et al. 2024", 68.9, 0.7, 5)
    assert report.protocol.aggregation_label == "mean of 5" and report.protocol.selection.hazard
    assert report.quality == "quoted" and "hazard" in str(report.protocol.selection)


def test_sources_that_agree_are_not_flagged(tmp_path: Path) -> None:
    (claim,) = _load(tmp_path, HEAD + ABSOLUTE + PROTOCOL.replace("value = 70.5", "value = 70.0"))
    assert not claim.sources_disagree


def test_single_run_means_one_run_and_a_plain_std_has_unstated_ddof(tmp_path: Path) -> None:
    (claim,) = _load(tmp_path, HEAD + ABSOLUTE + 'aggregation = "single-run"\nselection = "none"\nstd = 0.3\n')
    assert claim.protocol.n == 1 and claim.protocol.spread == "std"
    assert str(claim.protocol.selection) == "none (fixed schedule)"


@pytest.mark.parametrize("extra, message", [
    ('aggregation = "best-of-n"\n', "needs n"),
    ('aggregation = "best"\n', "aggregation 'best' must be one of"),
    ('aggregation = "single-run"\nn = 3\n', "contradicts n = 3"),
    ("n = 0\n", "n \\(runs aggregated\\) must be a positive integer"),
    ('selection = { split = "dev", by = "loss" }\n', "selection is"),
    ("seeds = [1, 1.5]\n", "seeds is a positive count or a list"),
    ('spread = "iqr"\n', "spread 'iqr' must be one of"),
    ('spread = "none"\nstd = 0.2\n', "contradicts std"),
    ('source_quality = "blog"\n', "source_quality 'blog' must be one of"),
    ('sources = [{ quality = "secondary" }]\n', "where required"),
    ('sources = "x"\n', "sources is a list"),
    ('std = "0.4"\n', "std must be a number"),
    ('protocol_differs = [""]\n', "protocol_differs is a list of non-empty strings"),
    ("reports = 3\n", "reports is a list"),
    ("reports = [1]\n", "a report is a table"),
    ('[[claim.reports]]\nwho = "x"\nvalue = 1.0\n', "missing 'where'"),
    ('[[claim.reports]]\nwho = "x"\nwhere = "y"\nvalue = 1.0\nurl = "z"\n', "unknown report field"),
    ('[[claim.reports]]\nwho = "x"\nwhere = "y"\nvalue = "high"\n', "value must be a number"),
])
def test_malformed_protocol_fields_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        _load(tmp_path, HEAD + ABSOLUTE + extra)


def test_a_claim_may_be_sourced_only_by_a_sources_list(tmp_path: Path) -> None:
    body = ABSOLUTE.replace('source = "Table 1, p. 5"\n', 'sources = [{ where = "Fig. 2, p. 4", '
                                                           'quality = "figure-by-eye" }]\n')
    (claim,) = _load(tmp_path, HEAD + body)
    assert claim.source == "Fig. 2, p. 4" and claim.source_quality == "figure-by-eye"
