"""Verdicts from run records on disk, the states that need no runs, and the CLI that writes the tables."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.claims.claim import Arm, Claim, Paper, Report
from harness.claims.ledger import Ledger
from harness.claims.table import render_claims
from harness.claims.verdict import (
    CONTRADICTED,
    DATA_UNAVAILABLE,
    NO_RECORDS,
    NOT_COMPARABLE,
    RULES_VERSION,
    SUPPORTED,
)
from harness.cli import main
from harness.models import MODELS, register_model
from harness.papers import REPRODUCTIONS, Reproduction
from harness.runs.runner import execute, plan_run
from harness.tasks import get_task
from tests.claims.toy_models import Centroid

PAPER = Paper("toy", "A toy paper", "Venue", 2022, "https://example.org")
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class _CentroidConfig:
    shrink: float = 0.0


@pytest.fixture(scope="module", autouse=True)
def _centroid_model():
    register_model("test-centroid", config=_CentroidConfig, description="nearest class mean",
                   target_kinds=("single-label",))(lambda task, data, config, seed: Centroid())
    yield
    MODELS.remove("test-centroid")


def _claim(**kw) -> Claim:
    fields = dict(paper=PAPER, key="k", kind="relative", statement="s", metric="accuracy", variant="v",
                  source="Table 1, p. 2", task="digits-views", unit="%", a=Arm("test-centroid"), b=Arm("prior"))
    return Claim(**{**fields, **kw})


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real records: the prior (chance floor) and nearest class means on digits, three seeds each."""
    root = tmp_path_factory.mktemp("results")
    task = get_task("digits-views")
    for model in ("prior", "test-centroid"):
        for seed in SEEDS:
            assert execute(plan_run(task, model, seed), root).ok
    return root


def test_relative_claim_supported_and_contradicted_by_records(results: Path) -> None:
    ledger = Ledger(results)
    supported = ledger.judge(_claim(sign="+"))
    assert supported.outcome == SUPPORTED and supported.n == 3 and supported.achieved > 50
    contradicted = ledger.judge(_claim(key="floor-wins", a=Arm("prior"), b=Arm("test-centroid"), sign="+"))
    assert contradicted.outcome == CONTRADICTED and contradicted.ci_high < 0


def test_records_of_another_config_do_not_count(results: Path) -> None:
    verdict = Ledger(results).judge(_claim(a=Arm("test-centroid", (("shrink", "7"),))))
    assert verdict.outcome == NO_RECORDS
    assert "no finished runs of test-centroid[shrink=7]; run `mmrepro reproduce toy`" in verdict.detail


def test_absolute_claim_without_data_is_not_run_with_prepare_command(results: Path) -> None:
    claim = _claim(kind="absolute", task="mfeat", a=None, b=None, arm=Arm("test-centroid"), value=97.0)
    verdict = Ledger(results).judge(claim)
    assert verdict.outcome == DATA_UNAVAILABLE
    assert "mmrepro data prepare mfeat --from" in verdict.detail


def test_dataset_without_loader_is_not_run(results: Path) -> None:
    claim = _claim(kind="absolute", task=None, dataset="imagenet", a=None, b=None, arm=Arm("x"), value=72.5)
    verdict = Ledger(results).judge(claim)
    assert verdict.outcome == DATA_UNAVAILABLE and "no loader for dataset 'imagenet'" in verdict.detail


def test_declared_difference_is_not_comparable(results: Path) -> None:
    claim = _claim(differs="the paper fine-tunes; we probe frozen features")
    assert Ledger(results).judge(claim, "v1").outcome == NOT_COMPARABLE
    verdict = Ledger(results).judge(claim)
    assert verdict.outcome == "not comparable (the paper fine-tunes; we probe frozen features)"


def _absolute(value: float, **kw) -> Claim:
    return _claim(kind="absolute", a=None, b=None, arm=Arm("test-centroid"), value=value, **kw)


def test_evidence_holds_selection_values_chance_floor_and_other_systems(results: Path) -> None:
    ledger = Ledger(results)
    claim = _absolute(95.0)
    report = ledger.records("digits-views")[0].report_split
    prior = [r.metrics[report]["accuracy"] for r in ledger.records("digits-views") if r.spec.model == "prior"]
    centroid = {r.spec.seed: r for r in ledger.records("digits-views") if r.spec.model == "test-centroid"}
    other = Claim(Paper("q", "Q", "V", 2023, "https://example.org"), "o", "absolute", "s", "accuracy", "v",
                  "Table 9", task="digits-views", value=60.0, unit="%", arm=Arm("someone-else"),
                  reports=(Report("R", "Table 2", 62.0),))
    same_model = dataclasses.replace(other, key="same", arm=Arm("test-centroid"), value=99.0)
    ev = ledger.evidence(claim, others=[other, same_model, claim])
    values = ev.arms[Arm("test-centroid")]
    assert values.select == {s: r.metrics["valid"]["accuracy"] for s, r in centroid.items()}
    assert values.report == {s: r.metrics[report]["accuracy"] for s, r in centroid.items()}
    assert ev.chance == pytest.approx(sum(prior) / len(prior)) and len(prior) == 3
    assert ev.registered == pytest.approx([0.60, 0.62])  # published values of other models only
    assert ev.higher_is_better and not ev.unavailable


def test_implausible_claims_through_the_ledger(results: Path) -> None:
    ledger = Ledger(results)
    assert ledger.judge(_absolute(101.0), others=[]).outcome == "implausible (above the metric's maximum 100%)"
    below = ledger.judge(_absolute(1.0), others=[])
    assert below.outcome.startswith("implausible (worse than the chance floor") and below.n == 0
    assert ledger.judge(_absolute(1.0), "v1").outcome == "not reproduced (above)"


def test_table_renders_in_every_format(results: Path) -> None:
    ledger = Ledger(results)
    verdicts = [ledger.judge(_claim(sign="+", floor=Arm("prior"))),
                ledger.judge(_claim(key="abs", kind="absolute", a=None, b=None, arm=Arm("test-centroid"),
                                    value=95.0, tolerance=1.0))]
    md = render_claims(verdicts, ledger, "md")
    assert "| claim" in md and "supported" in md and "floor prior" in md and "Table 1, p. 2" in md
    assert render_claims(verdicts, ledger, "csv").splitlines()[0].startswith("paper,claim,kind")
    payload = json.loads(render_claims(verdicts, ledger, "json"))
    assert payload["rules_version"] == RULES_VERSION and payload["claims"][0]["verdict"] == SUPPORTED
    latex = render_claims(verdicts, ledger, "latex")
    assert latex.startswith(f"% verdict rules v{RULES_VERSION}") and "\\begin{tabular}" in latex and "$\\pm$" in latex


TOY_CLAIMS = """floor = "prior"
[paper]
key = "toy"
title = "A toy paper"
venue = "Venue"
year = 2022
link = "https://example.org"

[[claim]]
key = "centroid-beats-prior"
kind = "relative"
statement = "nearest class means beat the label prior"
task = "digits-views"
metric = "accuracy"
variant = "full labels"
a = "test-centroid"
b = "prior"
unit = "%"
value = 80.0
source = "Table 1, p. 2"
aggregation = "mean"
n = 5
selection = { split = "valid", criterion = "accuracy" }
sources = [{ where = "repo README", quality = "official-repository", value = 85.0 }]

[[claim.reports]]
who = "Someone et al."
where = "Table 4, p. 3"
value = 82.0
aggregation = "single-run"

[[claim]]
key = "imagenet-number"
kind = "absolute"
statement = "72.5% on ImageNet"
dataset = "imagenet"
metric = "accuracy"
variant = "linear probe"
value = 72.5
unit = "%"
arm = "test-centroid"
source = "README.md, table 'Results'"
"""

TOY_SUITE = """description = "toy"
seeds = [0, 1, 2]
[[group]]
tasks = ["digits-views"]
models = ["prior", "test-centroid"]
"""


@pytest.fixture
def toy(tmp_path: Path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "claims.toml").write_text(TOY_CLAIMS)
    (folder / "suite.toml").write_text(TOY_SUITE)
    REPRODUCTIONS.add("toy", Reproduction("toy", folder))
    yield folder
    REPRODUCTIONS.remove("toy")


def test_cli_reproduce_writes_tables_and_claims_lists_them(toy: Path, results: Path, capsys) -> None:
    out = results  # the suite's runs are already there: reproduce reuses them from the cache
    assert main(["-q", "--results", str(out), "reproduce", "toy"]) == 0
    for ext in ("md", "tex", "csv", "json"):
        assert (out / "reproductions" / f"toy.{ext}").is_file()
    md = (out / "reproductions" / "toy.md").read_text()
    assert "centroid-beats-prior" in md and "supported" in md and "All arms on digits-views" in md
    assert "Verdict rules v3" in md and "| protocol" in md and "| reported by others" in md
    assert "mean of 5; sel. valid (accuracy); unstated: metric variant, data version; sources disagree" in md
    assert "Someone et al.: 82% (single-run, sel. unknown)" in md  # between the paper's value and ours
    assert "reported by Someone et al. (Table 4, p. 3) [unknown]: 82%" in md
    assert "sources disagree: Table 1, p. 2 [unknown]; repo README [official-repository]: 85" in md
    assert "unknown; sel. unknown; unstated: metric variant, data version" in md  # a v1 claim: protocol unknown
    payload = json.loads((out / "reproductions" / "toy.json").read_text())
    assert payload["rules_version"] == 3 and payload["claims"][0]["reports"][0]["who"] == "Someone et al."
    assert payload["claims"][0]["sources_disagree"] and payload["claims"][0]["aggregation"] == "mean"
    capsys.readouterr()
    assert main(["--results", str(out), "claims", "--paper", "toy", "--verdict", "not run"]) == 0
    listed = capsys.readouterr().out
    assert "imagenet-number" in listed and "centroid-beats-prior" not in listed and "Verdict rules v3" in listed
    assert main(["--results", str(out), "claims", "--paper", "toy", "--rules", "v1"]) == 0
    assert "Verdict rules v1" in capsys.readouterr().out
    assert main(["--results", str(out), "claims", "--verdict", "nonsense"]) == 2
    with pytest.raises(SystemExit, match="2"):
        main(["--results", str(out), "claims", "--rules", "v0"])


def test_malformed_claims_file_is_refused_by_the_cli_with_exit_code_2(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "claims.toml").write_text(TOY_CLAIMS.replace('aggregation = "mean"', 'aggregation = "best"'))
    (folder / "suite.toml").write_text(TOY_SUITE)
    REPRODUCTIONS.add("bad", Reproduction("bad", folder))
    try:
        assert main(["--results", str(tmp_path), "claims", "--paper", "bad"]) == 2
    finally:
        REPRODUCTIONS.remove("bad")
    err = capsys.readouterr().err
    assert "claims.toml: claim 'centroid-beats-prior': aggregation 'best' must be one of mean, median" in err


def test_a_paper_whose_claims_do_not_load_cannot_stop_other_verdicts(tmp_path: Path, results: Path,
                                                                      caplog) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "claims.toml").write_text(TOY_CLAIMS.replace('metric = "accuracy"', 'metric = "acuracy"', 1))
    REPRODUCTIONS.add("broken", Reproduction("broken", folder))
    try:
        verdict = Ledger(results).judge(_absolute(95.0, tolerance=5.0))
    finally:
        REPRODUCTIONS.remove("broken")
    assert verdict.rules_version == 3 and not verdict.outcome.startswith("not run")
    assert "other systems' values: broken left out" in caplog.text


def test_a_dataset_claim_on_a_metric_we_do_not_register_reads_higher_as_better(results: Path) -> None:
    claim = _claim(kind="absolute", task=None, dataset="imagenet", metric="top-5", a=None, b=None, arm=Arm("x"),
                   value=90.0)
    evidence = Ledger(results).evidence(claim, others=[])
    assert evidence.higher_is_better and "no loader for dataset 'imagenet'" in evidence.unavailable
