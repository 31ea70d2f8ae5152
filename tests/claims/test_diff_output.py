"""``mmrepro diff``'s printed output is its contract: exact text and Markdown over small hand-built records (no
training), the protocol rows of a claim beside our runs, the claimed value beside ours, and every refusal with
its message and exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.claim import Arm, Claim, Paper, Protocol, Report, Selection
from harness.claims.diff import arm_records, diff_claim, diff_runs, find_claim, run_fields
from harness.claims.verdict import Verdict
from harness.cli import main
from harness.errors import UserError
from harness.runs.record import RunRecord
from harness.runs.spec import RunSpec
from harness.runs.store import record_path, write_record

ACCURACY = "accuracy: Fraction of items whose argmax class is the true class."


def _record(seed: int = 0, *, model: str = "late-fusion", config: dict | None = None, test: dict | None = None,
            packages: dict | None = None, gpu: str | None = None, fold: int | None = None, **top) -> RunRecord:
    """A finished run as the runner writes it, with fixed provenance so the output is the same everywhere."""
    spec = RunSpec(task="digits-views", task_version=2, task_hash="aa11", model=model,
                   config={"hidden": 8, "lr": 0.001} if config is None else config, seed=seed,
                   data_fingerprint="fp-1", device_class="cpu", precision="fp32", fold=fold)
    fields = dict(schema_version=2, run_id=spec.run_id, spec=spec, status="ok", reason=None,
                  task_display="digits-views", synthetic=False, primary_metric="accuracy", report_split="test",
                  select_split="valid", started="2026-12-01T00:00:00Z", finished="2026-12-01T00:00:05Z",
                  wall_time_s=5.0, peak_rss_mb=100.0,
                  provenance={"git_commit": "abc123", "git_dirty": False,
                              "packages": {"numpy": "2.1.0", "torch": "2.13.0"} if packages is None else packages,
                              "python": "3.11.7", "platform": "Linux", "cpu": "Xeon", "gpu": gpu},
                  metrics={"valid": {"accuracy": 0.9},
                           "test": {"accuracy": 0.875, "macro_f1": 0.8} if test is None else test},
                  device="cpu", precision="fp32")
    return RunRecord(**{**fields, **top})


BASE = _record()
OTHER = _record(seed=1, config={"hidden": 8, "lr": 0.01}, test={"accuracy": 0.9, "macro_f1": 0.8512345})


def test_run_fields_are_the_settings_of_a_run_under_their_printed_names() -> None:
    expected = {"task": "digits-views", "task version": 2, "task hash": "aa11", "data fingerprint": "fp-1",
                "model": "late-fusion", "seed": 0, "device class (spec)": "cpu", "precision (spec)": "fp32",
                "config.hidden": 8, "config.lr": 0.001, "metric (primary)": "accuracy", "aggregation": "single-run",
                "selection": "valid (accuracy)", "report split": "test", "precision": "fp32", "device": "cpu",
                "code commit": "abc123", "code dirty": False, "packages.numpy": "2.1.0", "packages.torch": "2.13.0",
                "python": "3.11.7", "platform": "Linux", "cpu": "Xeon", "gpu": None}
    assert run_fields(BASE) == expected
    assert list(run_fields(BASE)) == list(expected)  # the order rows are printed in
    assert run_fields(BASE.to_dict()) == expected  # a record read as plain JSON gives the same fields


def test_two_runs_print_only_the_settings_that_differ_then_the_metric_gap() -> None:
    left = f"run {BASE.run_id} (digits-views/late-fusion, seed 0)"
    right = f"run {OTHER.run_id} (digits-views/late-fusion, seed 1)"
    assert diff_runs(BASE, OTHER).render() == f"""{left}  vs  {right}

field      A      B
---------  -----  ----
seed       0      1
config.lr  0.001  0.01

2 field(s) differ, 22 agree.

metric           A      B         B − A
---------------  -----  --------  ----------
accuracy (test)  0.875  0.9       +0.025
macro_f1 (test)  0.8    0.851235  +0.0512345
"""
    assert diff_runs(BASE.to_dict(), OTHER).render("md") == f"""## Diff: {left} vs {right}

| field     | A     | B    |
|-----------|-------|------|
| seed      | 0     | 1    |
| config.lr | 0.001 | 0.01 |

2 field(s) differ, 22 agree.

| metric          | A     | B        | B − A      |
|-----------------|-------|----------|------------|
| accuracy (test) | 0.875 | 0.9      | +0.025     |
| macro_f1 (test) | 0.8   | 0.851235 | +0.0512345 |
"""


def test_a_failed_run_shows_a_dash_for_what_it_lacks() -> None:
    failed = _record(seed=1, packages={"numpy": "2.1.0"}, gpu="H100", status="failed", reason="diverged", metrics={})
    assert diff_runs(BASE, failed).render() == f"""run {BASE.run_id} (digits-views/late-fusion, seed 0)  vs  \
run {failed.run_id} (digits-views/late-fusion, seed 1)

field           A       B
--------------  ------  ----
seed            0       1
packages.torch  2.13.0  –
gpu             –       H100

3 field(s) differ, 21 agree.

metric           A      B    B − A
---------------  -----  ---  -------
accuracy (test)  0.875  –    –
macro_f1 (test)  0.8    –    –
"""
    # the other way round: each side's metrics are read from its own report split
    assert [row[1:] for row in diff_runs(failed, BASE).gap] == [("–", "0.875", "–"), ("–", "0.8", "–")]


def test_runs_of_two_folds_differ_in_the_fold() -> None:
    difference = diff_runs(_record(fold=0), _record(fold=1, test={"accuracy": 0.8, "macro_f1": 0.8}))
    assert difference.rows == [("fold", "0", "1")] and difference.same == 24
    assert difference.gap[0] == ("accuracy (test)", "0.875", "0.8", "-0.075")
    assert "fold" not in run_fields(BASE)  # a task without folds has no fold row


def test_identical_runs_say_no_field_differs() -> None:
    lines = diff_runs(BASE, BASE).render().split("\n")
    assert lines[1:5] == ["", "no field differs", "", "0 field(s) differ, 24 agree."]


PAPER = Paper("dtoy", "A toy paper", "Venue", 2022, "https://example.org")
STATED = Protocol(aggregation="best-of-n", n=5, selection=Selection("valid", "accuracy"), metric_variant="top-1",
                  data_version="sklearn 1.4", seed_values=(0, 1, 2, 3, 4), spread="population std")


def _claim(**kw) -> Claim:
    fields = dict(paper=PAPER, key="abs", kind="absolute", statement="s", metric="accuracy", variant="full labels",
                  source="Table 1", task="digits-views", value=90.0, unit="%", arm=Arm("late-fusion"))
    return Claim(**{**fields, **kw})


def test_claim_with_a_stated_protocol_beside_two_of_our_runs() -> None:
    claim = _claim(protocol=STATED, reports=(Report("Someone", "Table 4", 88.0, protocol=Protocol("mean", 3)),),
                   protocol_differs=("fewer epochs",))
    verdict = Verdict(claim, "not reproduced (below)", 87.5, 1.0, 2, rules_version=3, mean=88.75,
                      compared="best of 2")
    text = diff_claim(claim, {"late-fusion": [BASE, OTHER]}, verdict).render()
    assert text == f"""claim dtoy:abs  vs  our runs of late-fusion

field                       claim           ours
--------------------------  --------------  -----------------------------------------------------------------
data version / fingerprint  sklearn 1.4     fp-1
metric variant              top-1           {ACCURACY}
aggregation                 best of 5       mean of 2 (sample std)
seeds                       0, 1, 2, 3, 4   0, 1
spread                      population std  sample std
setting                     full labels     late-fusion

6 field(s) differ, 2 agree.

metric                              claim    ours    ours − claim
----------------------------------  -------  ------  --------------
accuracy (test, %)                  90       88.75   -1.25
as compared by rules v3: best of 2  90       87.5    -2.5

verdict (rules v3): not reproduced (below)

protocol differs (recorded): fewer epochs

third-party report: Someone (Table 4): 88, mean of 3
"""
    # rules that compared our mean add no second row: it is the first
    mean = Verdict(claim, "not reproduced (below)", 88.75, 1.0, 2, rules_version=3, mean=88.75)
    assert diff_claim(claim, {"late-fusion": [BASE, OTHER]}, mean).gap == [("accuracy (test, %)", "90", "88.75",
                                                                             "-1.25")]


def test_relative_claim_without_value_or_protocol_compares_the_difference_of_the_arms() -> None:
    claim = _claim(key="rel", kind="relative", task=None, dataset="digits", value=None, unit="", arm=None,
                   a=Arm("late-fusion"), b=Arm("prior"))
    prior = [_record(s, model="prior", config={}, test={"accuracy": acc}) for s, acc in ((0, 0.5), (1, 0.25))]
    verdict = Verdict(claim, "supported", 0.5, n=2, compared="best of 2")
    difference = diff_claim(claim, {"late-fusion": [BASE, OTHER], "prior": prior}, verdict)
    assert difference.render("md") == f"""## Diff: claim dtoy:rel vs our runs of late-fusion and prior

| field                      | claim          | ours                                                              |
|----------------------------|----------------|-------------------------------------------------------------------|
| task                       | dataset digits | digits-views                                                      |
| data version / fingerprint | unknown        | fp-1                                                              |
| metric variant             | unknown        | {ACCURACY} |
| aggregation                | unknown        | mean of 2 (sample std)                                            |
| selection                  | unknown        | valid (accuracy)                                                  |
| seeds                      | unknown        | 0, 1                                                              |
| spread                     | unknown        | sample std                                                        |
| setting                    | full labels    | late-fusion − prior                                               |

8 field(s) differ, 0 agree.

| metric                             | claim   | ours   | ours − claim   |
|------------------------------------|---------|--------|----------------|
| accuracy, a − b (test, raw)        | –       | 0.5125 | –              |
| as compared by rules v3: best of 2 | –       | 0.5    | –              |

verdict (rules v3): supported

the claim does not state: aggregation, selection, metric variant, data version
"""


def test_a_claim_on_a_metric_we_do_not_compute_shows_no_value_of_ours() -> None:
    claim = _claim(key="top5", task=None, dataset="imagenet", metric="top-5", value=72.5, seeds=3,
                   protocol=Protocol("mean", 3, Selection("none"), "top-5", "ILSVRC-2012", spread="sample std"))
    difference = diff_claim(claim, {"late-fusion": [BASE]})
    assert difference.rows == [("task", "dataset imagenet", "digits-views"),
                               ("data version / fingerprint", "ILSVRC-2012", "fp-1"),
                               ("aggregation", "mean of 3", "mean of 1 (sample std)"),
                               ("selection", "none (fixed schedule)", "valid (accuracy)"),
                               ("seeds", "3 (not listed)", "0"), ("setting", "full labels", "late-fusion")]
    assert difference.same == 2 and difference.sides == ("claim", "ours") and difference.notes == []
    assert difference.gap == [("top-5 (test, %)", "72.5", "nan", "+nan")]


def test_a_claim_needs_runs_of_every_arm() -> None:
    with pytest.raises(UserError, match="^no finished runs of any arm for claim dtoy:abs; run `mmrepro reproduce "
                                        "dtoy` first$"):
        diff_claim(_claim(), {})
    with pytest.raises(UserError, match="^no finished runs of prior for claim dtoy:abs; "):
        diff_claim(_claim(), {"late-fusion": [BASE], "prior": []})


CLAIMS = """[paper]
key = "dtoy"
title = "t"
venue = "v"
year = 2020
link = "l"

[[claim]]
key = "abs"
kind = "absolute"
statement = "s"
task = "digits-views"
metric = "accuracy"
variant = "v"
value = 90.0
unit = "%"
arm = "late-fusion"
source = "Table 1"

[[claim]]
key = "v2:abs"
kind = "absolute"
statement = "a key may hold a colon"
task = "digits-views"
metric = "accuracy"
variant = "v"
value = 1.0
arm = "prior"
source = "Table 2"

[[claim]]
key = "rel"
kind = "relative"
statement = "s"
task = "digits-views"
metric = "accuracy"
variant = "v"
a = "late-fusion"
b = "prior"
source = "Table 3"

[[claim]]
key = "on-mfeat"
kind = "absolute"
statement = "s"
task = "mfeat"
metric = "accuracy"
variant = "v"
value = 97.0
arm = "prior"
source = "Table 4"

[[claim]]
key = "on-digits-data"
kind = "absolute"
statement = "s"
dataset = "digits"
metric = "accuracy"
variant = "v"
value = 97.0
arm = "prior"
source = "Table 5"
"""


@pytest.fixture
def dtoy(tmp_path: Path):
    from harness.papers import REPRODUCTIONS, Reproduction

    (tmp_path / "dtoy").mkdir()
    (tmp_path / "dtoy" / "claims.toml").write_text(CLAIMS)
    REPRODUCTIONS.add("dtoy", Reproduction("dtoy", tmp_path / "dtoy"))
    results = tmp_path / "results"
    for record in (BASE, OTHER):
        write_record(record_path(results, record.spec), record, None)
    yield results
    REPRODUCTIONS.remove("dtoy")


def test_claim_references(dtoy: Path) -> None:
    assert find_claim("dtoy:abs").statement == "s" and find_claim("abs").key == "abs"
    assert find_claim("dtoy:v2:abs").statement == "a key may hold a colon"  # split at the first colon
    assert find_claim("v2:abs") is None and find_claim("dtoy:nothing") is None


def test_claims_whose_data_cannot_be_run_have_no_runs_to_compare(dtoy: Path) -> None:
    with pytest.raises(UserError, match="^claim dtoy:on-mfeat has no runs to compare: Run: mmrepro data prepare "
                                        "mfeat --from"):
        arm_records(dtoy, find_claim("dtoy:on-mfeat"))
    with pytest.raises(UserError, match="^claim dtoy:on-digits-data has no runs to compare: no task runs 'digits' "
                                        "yet$"):
        arm_records(dtoy, find_claim("dtoy:on-digits-data"))


def test_cli_diff_of_an_absolute_claim_and_one_run(dtoy: Path, capsys) -> None:
    assert main(["--results", str(dtoy), "diff", "dtoy:abs", OTHER.run_id[:10]]) == 0
    assert capsys.readouterr().out == f"""claim dtoy:abs  vs  our runs of late-fusion

field                       claim    ours
--------------------------  -------  -----------------------------------------------------------------
data version / fingerprint  unknown  fp-1
metric variant              unknown  {ACCURACY}
aggregation                 unknown  mean of 1 (sample std)
selection                   unknown  valid (accuracy)
seeds                       unknown  1
spread                      unknown  sample std
setting                     v        late-fusion

7 field(s) differ, 1 agree.

metric              claim    ours    ours − claim
------------------  -------  ------  --------------
accuracy (test, %)  90       90      +0

the claim does not state: aggregation, selection, metric variant, data version
"""


def test_cli_refusals(dtoy: Path, capsys) -> None:
    assert main(["--results", str(dtoy), "diff", BASE.run_id]) == 2
    assert capsys.readouterr().err == (f"mmrepro: error: {BASE.run_id!r} is no claim (paper:key); to compare runs "
                                       "give two run ids\n")
    assert main(["--results", str(dtoy), "diff", "dtoy:rel", BASE.run_id]) == 2
    assert capsys.readouterr().err == ("mmrepro: error: claim dtoy:rel is relative: compare it with our runs of "
                                       "both arms (omit B)\n")
    with pytest.raises(SystemExit) as exit_:  # an unknown format is refused before anything is read
        main(["--results", str(dtoy), "diff", BASE.run_id, OTHER.run_id, "--format", "html"])
    assert exit_.value.code == 2
    assert "argument --format: invalid choice: 'html' (choose from 'text', 'md')" in capsys.readouterr().err


def test_cli_help_documents_the_arguments(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    assert capsys.readouterr().out == """usage: mmrepro diff [-h] [--format {text,md}] a [b]

positional arguments:
  a                   run id (prefix), or a claim as paper:key
  b                   run id (prefix); omit after a claim to use all our runs of its arms

options:
  -h, --help          show this help message and exit
  --format {text,md}
"""
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "    diff                every field that differs between two runs, or a claim and our runs\n" in \
        capsys.readouterr().out
