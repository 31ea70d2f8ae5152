"""``mmrepro reproduce`` and ``mmrepro claims`` as a user drives them: which runs a reproduction makes or reuses,
the tables it writes (also into a results folder that does not exist yet), what it logs, its exit code when a run
fails, the ``--seeds``/``--rules``/``--force``/``--executor`` flags, and the ``claims`` listing with its filters.
Runs are of two instant models (nearest class mean and the label prior) on the embedded digits task."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.claims.verdict import OUTCOMES
from harness.cli import main
from harness.models import MODELS, FitInfo, register_model
from harness.papers import REPRODUCTIONS, Reproduction
from tests.claims.toy_models import Centroid

PAPER = "aaa-ctoy"  # sorts first, so `mmrepro claims` lists it before every real paper
LOGGER = "harness.claims.commands"


@dataclass(frozen=True)
class _NoConfig:
    pass


class _Broken:
    info = FitInfo()

    def fit(self, train, valid) -> None:
        raise RuntimeError("this model always fails")


@pytest.fixture(scope="module", autouse=True)
def _models():
    register_model("ctest-centroid", config=_NoConfig, description="nearest class mean",
                   target_kinds=("single-label",))(lambda task, data, config, seed: Centroid())
    register_model("ctest-broken", config=_NoConfig, description="fails in fit",
                   target_kinds=("single-label",))(lambda task, data, config, seed: _Broken())
    yield
    MODELS.remove("ctest-centroid")
    MODELS.remove("ctest-broken")


CLAIMS = """[paper]
key = "{name}"
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
a = "ctest-centroid"
b = "prior"
unit = "%"
value = 90.0
source = "Table 1"

[[claim]]
key = "centroid-on-mfeat"
kind = "absolute"
statement = "97% on mfeat"
task = "mfeat"
metric = "accuracy"
variant = "v"
value = 97.0
unit = "%"
arm = "ctest-centroid"
source = "Table 2"
"""

SUITE = """description = "toy"
seeds = [0, 1, 2]
[[group]]
tasks = ["digits-views"]
models = ["prior", "ctest-centroid", "ctest-broken"]
[[group]]
tasks = ["mfeat"]
models = ["ctest-centroid"]
"""

SUMMARY = '''def summarize(verdicts, ledger):
    return f"## Summary\\n\\n{len(verdicts)} claims judged from {ledger.results.name}\\n"
'''


def _paper(root: Path, name: str, suite: str, summary: bool = False) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "claims.toml").write_text(CLAIMS.format(name=name))
    (folder / "suite.toml").write_text(suite)
    if summary:
        (folder / "summary.py").write_text(SUMMARY)
    REPRODUCTIONS.add(name, Reproduction(name, folder))
    return folder


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory):
    folder = _paper(tmp_path_factory.mktemp("papers"), PAPER, SUITE, summary=True)
    yield folder
    REPRODUCTIONS.remove(PAPER)


@pytest.fixture(scope="module")
def results(paper: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The paper reproduced with seeds 0 and 1 (its failed runs make the exit code 1)."""
    root = tmp_path_factory.mktemp("out") / "results"
    assert main(["-q", "--results", str(root), "reproduce", PAPER, "--seeds", "0,1"]) == 1
    return root


PREPARE_MFEAT = "Run: mmrepro data prepare mfeat --from DIR_WITH_mfeat-fou...mfeat-mor"


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def test_reproduce_runs_the_suite_writes_the_tables_and_fails_on_a_failed_run(paper: Path, tmp_path: Path, caplog,
                                                                               capsys) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    results = tmp_path / "results"
    assert main(["--results", str(results), "reproduce", PAPER, "--seeds", "0,1"]) == 1  # ctest-broken failed
    folder = results / "reproductions"
    assert _messages(caplog) == [
        f"mfeat: not run: data unavailable. {PREPARE_MFEAT}",
        *[f"wrote {folder / f'{PAPER}.{ext}'}" for ext in ("md", "tex", "csv", "json")],
        "6 runs: 0 cached, 6 run now, 2 failed"]
    captured = capsys.readouterr()
    assert "runs: 100%" in captured.err  # the progress bar, as the user is not quiet
    md = (folder / f"{PAPER}.md").read_text()
    assert captured.out == md  # what is printed is what is written
    assert f"package notes: {paper.parent.name}/{PAPER}/README.md." in md
    assert "Verdict rules v3 (harness/claims/verdict.py)" in md
    assert md.endswith("\n## Summary\n\n2 claims judged from results\n")  # the package's own section, last
    payload = json.loads((folder / f"{PAPER}.json").read_text())
    assert payload["rules_version"] == 3
    assert [(c["claim"], c["n"]) for c in payload["claims"]] == [("centroid-beats-prior", 2), ("centroid-on-mfeat", 0)]
    assert (folder / f"{PAPER}.tex").read_text().startswith("% verdict rules v3")
    assert (folder / f"{PAPER}.csv").read_text().startswith("paper,claim,kind")


def test_a_second_reproduce_reuses_the_records_and_rewrites_the_tables(paper: Path, results: Path, caplog,
                                                                       capsys) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert main(["-q", "--results", str(results), "reproduce", PAPER, "--seeds", "0,1", "--rules", "v1"]) == 1
    assert _messages(caplog)[-1] == "6 runs: 4 cached, 2 run now, 2 failed"  # failed runs are retried
    captured = capsys.readouterr()
    assert "runs:" not in captured.err  # -q: no progress bar
    assert "Verdict rules v1 (harness/claims/verdict.py)" in captured.out
    assert json.loads((results / "reproductions" / f"{PAPER}.json").read_text())["rules_version"] == 1
    caplog.clear()
    assert main(["-q", "--results", str(results), "reproduce", PAPER, "--seeds", "0", "--force"]) == 1
    assert _messages(caplog)[-1] == "3 runs: 0 cached, 3 run now, 1 failed"


def test_a_paper_without_runnable_data_still_gets_its_tables(tmp_path: Path, caplog, capsys) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    _paper(tmp_path, "aab-nodata", '[[group]]\ntasks = ["mfeat"]\nmodels = ["ctest-centroid"]\nseeds = [0]\n')
    results = tmp_path / "new" / "results"
    try:
        assert main(["--results", str(results), "reproduce", "aab-nodata"]) == 0
    finally:
        REPRODUCTIONS.remove("aab-nodata")
    assert _messages(caplog)[-1] == "0 runs: 0 cached, 0 run now, 0 failed"
    md = (results / "reproductions" / "aab-nodata.md").read_text()
    assert capsys.readouterr().out == md
    assert md.endswith(f"— *not run: data unavailable*; {PREPARE_MFEAT}\n")  # no summary section: nothing after


def test_reproduce_honours_the_executor_flag(paper: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from harness.errors import UserError
    from harness.sweep import ray_executor

    def refuse() -> None:
        raise UserError("no Ray here")

    monkeypatch.setattr(ray_executor, "require_ray", refuse)
    assert main(["-q", "--results", str(tmp_path), "--executor", "ray", "reproduce", PAPER, "--seeds", "0"]) == 2
    assert capsys.readouterr().err == "mmrepro: error: no Ray here\n"


def test_reproduce_refuses_bad_flags_before_running(paper: Path, tmp_path: Path, capsys) -> None:
    for flags, message in ((["--rules", "v0"], "argument --rules: invalid choice: 'v0' (choose from 'v1', 'v2', 'v3')"),
                           (["--seeds", "x"], "argument --seeds: --seeds 'x': expected integers like 0,1,2")):
        with pytest.raises(SystemExit) as exit_:
            main(["--results", str(tmp_path), "reproduce", PAPER, *flags])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_claims_lists_the_verdicts_of_one_paper(paper: Path, results: Path, capsys) -> None:
    assert main(["--results", str(results), "claims", "--paper", PAPER]) == 0
    assert capsys.readouterr().out == f"""\
| paper    | claim                | setting                                           | protocol                                                      | claimed   | reported by others   | achieved (n)      | delta   | 95% CI         | verdict                   | source   |
|----------|----------------------|---------------------------------------------------|---------------------------------------------------------------|-----------|----------------------|-------------------|---------|----------------|---------------------------|----------|
| {PAPER} | centroid-beats-prior | digits-views: ctest-centroid − prior; full labels | unknown; sel. unknown; unstated: metric variant, data version | +90 pts   | –                    | +79.72 ± 0.00 (2) | -10.28  | [75.55, 83.89] | supported                 | Table 1  |
| {PAPER} | centroid-on-mfeat    | mfeat: ctest-centroid; v                          | unknown; sel. unknown; unstated: metric variant, data version | 97%       | –                    | –                 | –       | –              | not run: data unavailable | Table 2  |

Verdict rules v3 (harness/claims/verdict.py).
"""  # noqa: E501


def test_claims_filters_by_verdict_across_papers(paper: Path, results: Path, capsys) -> None:
    assert main(["--results", str(results), "claims", "--verdict", "supported", "--rules", "v1"]) == 0
    assert capsys.readouterr().out == f"""\
| paper    | claim                | setting                                           | protocol                                                      | claimed   | reported by others   | achieved (n)      | delta   | 95% CI         | verdict   | source   |
|----------|----------------------|---------------------------------------------------|---------------------------------------------------------------|-----------|----------------------|-------------------|---------|----------------|-----------|----------|
| {PAPER} | centroid-beats-prior | digits-views: ctest-centroid − prior; full labels | unknown; sel. unknown; unstated: metric variant, data version | +90 pts   | –                    | +79.72 ± 0.00 (2) | -10.28  | [79.72, 79.72] | supported | Table 1  |

Verdict rules v1 (harness/claims/verdict.py).
"""  # noqa: E501  (every real paper is judged too; none of their claims has records here)
    assert main(["--results", str(results), "claims", "--paper", PAPER, "--verdict", "implausible"]) == 0
    assert capsys.readouterr().out == "no claims match\n"
    assert main(["--results", str(results), "claims", "--verdict", "maybe"]) == 2
    assert capsys.readouterr().err == (f"mmrepro: error: --verdict 'maybe' matches no outcome; outcomes: "
                                       f"{'; '.join(OUTCOMES)}\n")


def test_help_documents_both_commands(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    helps = []
    for command in ("reproduce", "claims"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps.append(capsys.readouterr().out)
    assert helps == ["""\
usage: mmrepro reproduce [-h] [--seeds SEEDS] [--force] [--rules {v1,v2,v3}] paper

positional arguments:
  paper               reproduction package name, e.g. essl

options:
  -h, --help          show this help message and exit
  --seeds SEEDS       override the suite's seeds, e.g. 0,1,2,3,4
  --force             rerun even if finished records exist
  --rules {v1,v2,v3}  verdict rules version (default v3; see harness/claims/verdict.py)
""", """\
usage: mmrepro claims [-h] [--paper PAPER] [--verdict VERDICT] [--rules {v1,v2,v3}]

options:
  -h, --help          show this help message and exit
  --paper PAPER       only this reproduction package
  --verdict VERDICT   only claims whose verdict starts with this, e.g. 'supported', 'not run'
  --rules {v1,v2,v3}  verdict rules version (default v3; see harness/claims/verdict.py)
"""]
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "    reproduce           run a paper's reproduction suite (cached) and judge its claims\n" in top
    assert "    claims              list every claim of every paper with its current verdict\n" in top
