"""``mmrepro diff``: two real runs that differ in one setting name exactly that setting; a claim against our runs
names the protocol fields that differ; both render as text and Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.claims.claim import Arm, Claim, Paper, Protocol, Report, Selection
from harness.claims.diff import diff_claim, diff_runs, run_fields
from harness.claims.verdict import Verdict
from harness.cli import main
from harness.errors import UserError
from harness.runs.runner import execute, plan_run
from harness.tasks import get_task

TINY = {"epochs": "1", "hidden": "8"}


def _run(results: Path, seed: int, **overrides: str):
    record = execute(plan_run(get_task("digits-views"), "late-fusion", seed, {**TINY, **overrides}), results)
    assert record["status"] == "ok" if isinstance(record, dict) else record.ok
    return record


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("results")
    return root, _run(root, 0), _run(root, 1), _run(root, 0, precision="bf16")


def _id(record) -> str:
    return record["run_id"] if isinstance(record, dict) else record.run_id


def test_runs_differing_in_seed_name_only_the_seed(runs) -> None:
    _, base, other_seed, _ = runs
    difference = diff_runs(base, other_seed)
    assert difference.fields == ["seed"] and difference.rows == [("seed", "0", "1")]
    assert difference.same == len(run_fields(base)) - 1
    assert any(row[0] == "accuracy (test)" for row in difference.gap)


def test_runs_differing_in_precision_name_only_precision_fields(runs) -> None:
    _, base, _, bf16 = runs
    fields = diff_runs(base, bf16).fields
    assert "config.precision" in fields and "precision" in fields
    assert all("precision" in name for name in fields), fields


def test_identical_settings_say_so(runs) -> None:
    _, base, _, _ = runs
    text = diff_runs(base, base).render()
    assert "no field differs" in text and "0 field(s) differ" in text


def test_cli_diff_prints_text_and_markdown(runs, capsys) -> None:
    root, base, other_seed, _ = runs
    assert main(["--results", str(root), "diff", _id(base)[:8], _id(other_seed)[:8]]) == 0
    text = capsys.readouterr().out
    assert "seed" in text and "1 field(s) differ" in text and "B − A" in text
    assert main(["--results", str(root), "diff", _id(base), _id(other_seed), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## Diff: run ") and "| seed " in md
    assert main(["--results", str(root), "diff", "nonexistent-claim"]) == 2
    assert main(["--results", str(root), "diff", "ffffffff", _id(base)]) == 2


PAPER = Paper("toy", "A toy paper", "Venue", 2022, "https://example.org")


def test_claim_against_our_runs_names_the_protocol_fields_that_differ(runs) -> None:
    _, base, other_seed, _ = runs
    claim = Claim(PAPER, "k", "absolute", "s", "accuracy", "full labels", "Table 1, p. 2", task="digits-views",
                  value=90.0, unit="%", arm=Arm("late-fusion"), seeds=10,
                  protocol=Protocol(aggregation="best-of-n", n=10, selection=Selection("test")),
                  reports=(Report("Someone", "Table 4", 88.0),), protocol_differs=("fewer epochs here",))
    difference = diff_claim(claim, {"late-fusion": [base, other_seed]})
    fields = dict((name, (a, b)) for name, a, b in difference.rows)
    assert fields["aggregation"] == ("best of 10", "mean of 2 (sample std)")
    assert fields["selection"][0].startswith("test [hazard") and fields["selection"][1] == "valid (accuracy)"
    assert fields["seeds"] == ("10 (not listed)", "0, 1") and "task" not in fields
    assert fields["data version / fingerprint"][0] == "unknown"
    (gap,) = difference.gap
    assert gap[0] == "accuracy (test, %)" and gap[1] == "90"
    text = difference.render("md")
    assert "fewer epochs here" in text and "Someone (Table 4): 88" in text and "does not state: metric variant" in text
    with pytest.raises(UserError, match="no finished runs of late-fusion"):
        diff_claim(claim, {"late-fusion": []})


def test_claim_diff_shows_the_value_the_rules_compared(runs) -> None:
    _, base, other_seed, _ = runs
    claim = Claim(PAPER, "k", "absolute", "s", "accuracy", "v", "Table 1", task="digits-views", value=90.0,
                  unit="%", arm=Arm("late-fusion"), protocol=Protocol(aggregation="best-of-n", n=2,
                                                                     selection=Selection("valid", "accuracy")))
    verdict = Verdict(claim, "not reproduced (below)", 20.0, 1.0, 2, rules_version=2, mean=19.5,
                      compared="best of 2")
    difference = diff_claim(claim, {"late-fusion": [base, other_seed]}, verdict)
    assert difference.gap[-1] == ("as compared by rules v2: best of 2", "90", "20", "-70")
    assert "verdict (rules v2): not reproduced (below)" in difference.render()


def test_user_facing_refusals_name_the_problem(runs, capsys) -> None:
    root, base, _, _ = runs
    capsys.readouterr()
    assert main(["--results", str(root), "diff", "essl:esimclr-vs-simclr-imagenet-100ep"]) == 2
    assert "has no runs to compare: mmrepro has no loader for dataset 'imagenet'" in capsys.readouterr().err
    assert main(["--results", str(root), "diff", "essl:esimclr-vs-simclr-digits-probe", _id(base)]) == 2
    assert "is relative: compare it with our runs of both arms" in capsys.readouterr().err
    assert main(["--results", str(root), "diff", "essl:predict-vs-invariant-rotation-digits"]) == 2
    assert "no finished runs of essl-esimclr, essl-rot-invariant" in capsys.readouterr().err
    with pytest.raises(UserError, match="unknown format 'html'; choose one of text, md"):
        diff_runs(base, base).render("html")


def test_a_claim_key_in_two_papers_must_name_its_paper(tmp_path: Path, monkeypatch) -> None:
    from harness.claims import diff
    from harness.papers import REPRODUCTIONS, Reproduction

    body = ('[paper]\nkey = "{0}"\ntitle = "t"\nvenue = "v"\nyear = 2020\nlink = "l"\n\n[[claim]]\nkey = "same"\n'
            'kind = "absolute"\nstatement = "s"\ndataset = "imagenet"\nmetric = "accuracy"\nvariant = "v"\n'
            'value = 1.0\narm = "x"\nsource = "Table 1"\n')
    for name in ("pa", "pb"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "claims.toml").write_text(body.format(name))
        REPRODUCTIONS.add(name, Reproduction(name, tmp_path / name))
    try:
        with pytest.raises(UserError, match="claim key 'same' is in several papers \\(pa, pb\\); write paper:same"):
            diff.find_claim("same")
        assert diff.find_claim("pb:same").paper.key == "pb"
    finally:
        REPRODUCTIONS.remove("pa")
        REPRODUCTIONS.remove("pb")


def test_cli_diff_of_a_claim_and_our_runs(runs, tmp_path: Path, capsys) -> None:
    from harness.papers import REPRODUCTIONS, Reproduction

    root = runs[0]
    (tmp_path / "toy2").mkdir()
    (tmp_path / "toy2" / "claims.toml").write_text(
        '[paper]\nkey = "toy2"\ntitle = "t"\nvenue = "v"\nyear = 2020\nlink = "l"\n\n[[claim]]\nkey = "lf"\n'
        'kind = "absolute"\nstatement = "s"\ntask = "digits-views"\nmetric = "accuracy"\nvariant = "v"\n'
        'value = 50.0\nunit = "%"\narm = { model = "late-fusion", set = { epochs = 1, hidden = 8 } }\n'
        'source = "Table 1"\naggregation = "best-of-n"\nn = 10\nselection = "test"\n')
    REPRODUCTIONS.add("toy2", Reproduction("toy2", tmp_path / "toy2"))
    try:
        assert main(["--results", str(root), "diff", "toy2:lf", "--format", "md"]) == 0
    finally:
        REPRODUCTIONS.remove("toy2")
    md = capsys.readouterr().out
    assert md.startswith("## Diff: claim toy2:lf vs our runs of late-fusion[epochs=1,hidden=8]")
    assert "| aggregation" in md and "best of 10" in md and "as compared by rules v3: best of 2" in md
    assert "verdict (rules v3): " in md
