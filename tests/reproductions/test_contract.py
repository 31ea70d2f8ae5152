"""The contract every reproduction package meets, checked for each one found by discovery.

Its claims load (each with a source); every claim that names a task is covered by a run of the package's suite
(same model, same resolved config), so ``mmrepro reproduce`` can judge it; the suite resolves; a smoke run of the
whole suite (the package's ``[smoke]`` settings, one seed) produces finished records; and the report renders.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.claims.document import paper_markdown
from harness.claims.ledger import Ledger
from harness.claims.table import TABLE_FORMATS, render_claims
from harness.claims.verdict import DATA_UNAVAILABLE, NO_RECORDS, NOT_COMPARABLE
from harness.data.store import dataset_available
from harness.models import get_model, resolve_config
from harness.papers import REPRODUCTIONS
from harness.runs.runner import execute, plan_run
from harness.runs.spec import plain_config
from harness.sweep.suite import plan_suite
from harness.tasks import get_task

NAMES = REPRODUCTIONS.names()


def test_discovery_finds_the_packages() -> None:
    assert "essl" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_claims_load_with_sources(name: str) -> None:
    claims = REPRODUCTIONS.get(name).claims()
    assert claims and all(c.source and c.paper.key == name for c in claims)


@pytest.mark.parametrize("name", NAMES)
def test_every_task_claim_is_covered_by_the_suite(name: str) -> None:
    reproduction = REPRODUCTIONS.get(name)
    planned = {(task, model, json.dumps(plain_config(resolve_config(get_model(model), group.overrides)),
                                         sort_keys=True))
               for group in reproduction.suite().groups for task in group.tasks for model in group.models}
    for claim in reproduction.claims():
        if claim.task is None:
            continue
        for arm in (*claim.arms, *([claim.floor] if claim.floor else [])):
            config = json.dumps(plain_config(resolve_config(get_model(arm.model), dict(arm.overrides))),
                                sort_keys=True)
            assert (claim.task, arm.model, config) in planned, f"{claim.key}: {arm.label} is not in the suite"


@pytest.mark.parametrize("name", NAMES)
def test_suite_resolves(name: str) -> None:
    suite = REPRODUCTIONS.get(name).suite()
    for group in suite.groups:
        for task in group.tasks:
            get_task(task)
    plan = plan_suite(suite, (0,))
    assert plan.specs or plan.unavailable


def _smoke(claim, smoke: dict[str, str]):
    def arm(a):
        return a if a is None else dataclasses.replace(a, overrides=tuple(sorted({**dict(a.overrides), **smoke}
                                                                                  .items())))

    return dataclasses.replace(claim, arm=arm(claim.arm), a=arm(claim.a), b=arm(claim.b), floor=arm(claim.floor))


@pytest.mark.parametrize("name", NAMES)
def test_smoke_run_produces_records_and_its_table_renders(name: str, tmp_path: Path) -> None:
    reproduction = REPRODUCTIONS.get(name)
    smoke = reproduction.smoke_overrides()
    suite = reproduction.suite()
    runs = [(task, model, {**group.overrides, **smoke}) for group in suite.groups for task in group.tasks
            for model in group.models if dataset_available(get_task(task).dataset)]
    if not runs:  # every task needs data not prepared here (a reference package): each claim must say so
        ledger = Ledger(tmp_path)  # (a context claim marked not comparable says that first)
        assert all(ledger.judge(c).outcome == DATA_UNAVAILABLE or ledger.judge(c).outcome.startswith(NOT_COMPARABLE)
                   for c in reproduction.claims())
        return
    run_ids = set()
    for task, model, overrides in runs:
        record = execute(plan_run(get_task(task), model, 0, overrides), tmp_path)
        assert record.ok, record.reason
        assert record.metrics[get_task(task).splits.report]
        run_ids.add(record.run_id)
    claims = [_smoke(c, smoke) for c in reproduction.claims()]
    ledger = Ledger(tmp_path)
    verdicts = [ledger.judge(c) for c in claims]
    runnable = [v for v in verdicts if v.claim.task and dataset_available(get_task(v.claim.task).dataset)]
    assert runnable and all(v.outcome != NO_RECORDS for v in runnable)
    markdown = paper_markdown(claims, verdicts, ledger, run_ids, "README.md")
    assert all(c.key in markdown for c in claims) and f"{len(run_ids)} records" in markdown
    for fmt in TABLE_FORMATS:
        assert render_claims(verdicts, ledger, fmt)
