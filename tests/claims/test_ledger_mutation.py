"""Which records count for a claim, and what the ledger hands the verdict rules (issue 20).

The records are real runs (``tests/claims/test_ledger.py``'s fixture: the prior and nearest class means on
digits-views, seeds 0-2); edited copies of them stand for the runs that must never count.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.claims.claim import Arm, Claim, Paper, Report, load_claims
from harness.claims.ledger import Ledger
from harness.claims.verdict import SUPPORTED, ArmValues
from harness.errors import UserError
from harness.metrics.bootstrap import N_RESAMPLES
from harness.papers import REPRODUCTIONS, Reproduction
from harness.report import uncertainty
from harness.runs.record import dump_record
from harness.runs.store import record_path
from tests.claims import test_ledger
from tests.claims.test_ledger import _absolute, _claim

_centroid_model = test_ledger._centroid_model  # the fixtures: registered here too (module scope)
results = test_ledger.results

CENTROID = Arm("test-centroid")
OTHER = Paper("q", "Q", "V", 2023, "https://example.org")


def _copy(results: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture's records, to edit."""
    return Path(shutil.copytree(results, tmp_path / "results"))


def _expected(ledger: Ledger, model: str, split: str) -> dict[int, float]:
    return {r.spec.seed: r.metrics[split]["accuracy"] for r in ledger.records("digits-views") if r.spec.model == model}


def test_failed_stale_and_other_version_records_never_count(results: Path, tmp_path: Path) -> None:
    root = _copy(results, tmp_path)
    ledger = Ledger(root)
    (run, *_) = ledger.runs(_absolute(95.0), CENTROID)
    spec = run.spec
    variants = {3: dict(status="failed", reason="diverged", metrics={}),
                4: dict(spec=dataclasses.replace(spec, data_fingerprint="0" * 16)),  # other data
                5: dict(spec=dataclasses.replace(spec, task_version=spec.task_version + 1)),
                6: dict(spec=dataclasses.replace(spec, task_hash="f" * 16))}  # e.g. another split definition
    for seed, change in variants.items():
        new = dataclasses.replace(change.pop("spec", spec), seed=seed)
        record = dataclasses.replace(run, spec=new, run_id=new.run_id, predictions=None, **change)
        path = record_path(root, new)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dump_record(record))
    report = run.report_split
    assert Ledger(root).values(_absolute(95.0), CENTROID) == _expected(Ledger(results), "test-centroid", report)
    assert sorted(Ledger(root).values(_absolute(95.0), CENTROID)) == [0, 1, 2]
    assert len(list((root / "runs" / "digits-views" / "test-centroid").glob("*.json"))) == 7  # all 7 are there


def test_values_summary_and_chance_floor(results: Path) -> None:
    ledger = Ledger(results)
    claim = _absolute(95.0)
    report = ledger.records("digits-views")[0].report_split
    ours = _expected(ledger, "test-centroid", report)
    assert ledger.values(claim, CENTROID) == ours and sorted(ours) == [0, 1, 2]
    summary = ledger.summary(claim, CENTROID)  # in the claim's unit: percent
    assert summary.n == 3 and summary.mean == pytest.approx(100 * np.mean(list(ours.values())))
    prior = _expected(ledger, "prior", report)
    assert ledger.chance(claim) == pytest.approx(np.mean(list(prior.values())))


def test_a_prior_run_without_the_report_split_is_left_out_of_the_chance_floor(results: Path,
                                                                             tmp_path: Path) -> None:
    root = _copy(results, tmp_path)
    ledger = Ledger(root)
    report = ledger.records("digits-views")[0].report_split
    first, *rest = [r for r in ledger.records("digits-views") if r.spec.model == "prior"]
    record_path(root, first.spec).write_bytes(dump_record(dataclasses.replace(
        first, metrics={k: v for k, v in first.metrics.items() if k != report})))
    assert Ledger(root).chance(_absolute(95.0)) == pytest.approx(np.mean([r.metrics[report]["accuracy"]
                                                                         for r in rest]))


def test_item_replicates_by_default_and_only_when_asked(results: Path) -> None:
    ledger = Ledger(results)
    claim = _absolute(95.0)
    report = ledger.records("digits-views")[0].report_split
    report_values, select_values = (_expected(ledger, "test-centroid", s) for s in (report, "valid"))
    n = len(ledger.scorer.predictions(ledger.runs(claim, CENTROID)[0]))
    for values in (ledger.evidence(claim, others=[]).arms[CENTROID], ledger.arm_values(claim, CENTROID, "valid")):
        assert (values.report, values.select, values.unit) == (report_values, select_values, f"items (n={n})")
        assert sorted(values.items) == [0, 1, 2] and {v.shape for v in values.items.values()} == {(N_RESAMPLES,)}
    plain = ledger.evidence(claim, others=[], items=False).arms[CENTROID]
    assert plain == ArmValues(report_values, select_values)  # no replicates, no unit


def test_a_metric_kind_that_is_not_bootstrapped_is_seed_only_and_says_why(results: Path, monkeypatch) -> None:
    monkeypatch.setitem(uncertainty.NOT_BOOTSTRAPPED, "single-label", "not bootstrapped: too slow")
    ledger = Ledger(results)
    claim = _absolute(95.0)
    report = ledger.records("digits-views")[0].report_split
    expected = (_expected(ledger, "test-centroid", report), _expected(ledger, "test-centroid", "valid"))
    assert ledger.arm_values(claim, CENTROID, "valid") == ArmValues(*expected, None,
                                                                    "seed-only: not bootstrapped: too slow")
    assert ledger.arm_values(claim, CENTROID, "valid", items=False) == ArmValues(*expected)


def test_rules_v1_and_v2_need_no_predictions_files_v3_does(results: Path, tmp_path: Path) -> None:
    root = _copy(results, tmp_path)
    for path in (root / "runs" / "digits-views" / "test-centroid").glob("*.pred.npz"):
        path.unlink()
    claim = _claim(sign="+")
    for rules in ("v1", "v2"):
        assert Ledger(root).judge(claim, rules, others=[]).outcome == SUPPORTED
    with pytest.raises(UserError, match="pred.npz"):
        Ledger(root).judge(claim, "v3", others=[])


def test_judge_reads_the_other_systems_it_is_given(results: Path) -> None:
    others = [Claim(OTHER, f"o{i}", "absolute", "s", "accuracy", "v", "Table 9", task="digits-views", value=v,
                    unit="%", arm=Arm(f"system-{i}")) for i, v in enumerate((90.0, 91.0, 92.0))]
    verdict = Ledger(results).judge(_absolute(99.9), others=others)
    assert verdict.outcome.startswith("implausible (far beyond every registered system on digits-views: best of 3 "
                                      "is 92%")
    assert not Ledger(results).judge(_absolute(99.9), others=[]).outcome.startswith("implausible")


def test_registered_values_of_every_other_system_and_report() -> None:
    claim = _claim(kind="absolute", a=None, b=None, arm=CENTROID, value=95.0)
    first = Claim(OTHER, "o1", "absolute", "s", "accuracy", "v", "Table 9", task="digits-views", value=60.0,
                  unit="%", arm=Arm("x"), reports=(Report("R", "Table 2", 62.0),))
    second = dataclasses.replace(first, key="o2", value=0.7, unit="", arm=Arm("y"), reports=())
    assert Ledger.registered(claim, [first, second]) == pytest.approx([0.60, 0.62, 0.7])


TOY = """[paper]
key = "{key}"
title = "T"
venue = "V"
year = 2024
link = "https://example.org"

[[claim]]
key = "c"
kind = "absolute"
statement = "s"
dataset = "toy_unloadable"
metric = "MAE"
variant = "v"
value = {value}
arm = "{model}"
source = "Table 1"
"""


@pytest.fixture
def two_papers(tmp_path: Path):
    names = []
    for key, value, model in (("toy-one", 0.5, "m1"), ("toy-two", 0.7, "m2")):
        folder = tmp_path / key
        folder.mkdir()
        (folder / "claims.toml").write_text(TOY.format(key=key, value=value, model=model))
        REPRODUCTIONS.add(key, Reproduction(key, folder))
        names.append(key)
    yield
    for key in names:
        REPRODUCTIONS.remove(key)


def test_evidence_without_data_still_holds_every_papers_values_and_direction(results: Path, two_papers) -> None:
    claim = _claim(kind="absolute", task=None, dataset="toy_unloadable", metric="MAE", a=None, b=None,
                   arm=Arm("ours"), value=0.4, unit="")
    evidence = Ledger(results).evidence(claim)  # others: every registered paper's claims
    assert sorted(evidence.registered) == pytest.approx([0.5, 0.7])
    assert not evidence.higher_is_better and not evidence.arms
    assert evidence.unavailable == ("mmrepro has no loader for dataset 'toy_unloadable'; the claim is listed so "
                                    "that it is not forgotten")


def test_a_paper_that_does_not_load_is_named_with_its_error(results: Path, tmp_path: Path, caplog) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    text = TOY.format(key="broken", value=0.5, model="m")
    (folder / "claims.toml").write_text(text.replace('dataset = "toy_unloadable"', 'task = "digits-views"')
                                        .replace("MAE", "acuracy"))
    REPRODUCTIONS.add("broken", Reproduction("broken", folder))
    try:
        with pytest.raises(UserError) as err:
            REPRODUCTIONS.get("broken").claims()
        with caplog.at_level(logging.WARNING, logger="harness.claims.ledger"):
            Ledger(results).evidence(_absolute(95.0))
    finally:
        REPRODUCTIONS.remove("broken")
    assert f"other systems' values: broken left out ({err.value})" in [r.getMessage() for r in caplog.records]
    assert load_claims(folder / "claims.toml")[0].metric == "acuracy"  # it parses: the metric check refuses it
