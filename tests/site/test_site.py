"""The static site: a page per paper and per task, a claims row and a figure row per registered claim, links that
resolve, byte-identical rebuilds, and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.papers import REPRODUCTIONS
from tests.site.links import broken_references, parse
from tests.site.records import NEWEST


def _claims_rows(page: Path) -> list[str]:
    """The ids of the claims table's body rows (one per claim: ``row-<key>``)."""
    table = re.search(r'<table id="claims-table">.*?</table>', page.read_text(), re.S)
    assert table, f"{page} has no claims table"
    return re.findall(r'<tr id="row-([^"]+)">', table.group(0))


def test_every_paper_and_task_with_records_has_a_page(built_site) -> None:
    out = built_site.out
    assert (out / "index.html").is_file()
    assert sorted(p.stem for p in (out / "papers").glob("*.html")) == sorted(REPRODUCTIONS.names())
    assert sorted(p.stem for p in (out / "tasks").glob("*.html")) == ["digits-ssl", "digits-views", "synth-msa"]
    assert "No finished runs of the current task definition" in (out / "tasks" / "synth-msa.html").read_text()
    index = (out / "index.html").read_text()
    for name in REPRODUCTIONS.names():
        assert f'href="papers/{name}.html"' in index


def test_claims_table_has_one_row_per_registered_claim(built_site) -> None:
    for name in REPRODUCTIONS.names():
        keys = [c.key for c in REPRODUCTIONS.get(name).claims()]
        assert _claims_rows(built_site.out / "papers" / f"{name}.html") == keys


def test_every_claim_appears_in_its_figure(built_site) -> None:
    for name in REPRODUCTIONS.names():
        text = (built_site.out / "papers" / f"{name}.html").read_text()
        svg = re.search(r"<svg .*?</svg>", text, re.S)
        assert svg, f"{name}: no inline figure"
        labels = set(re.findall(r">([^<>]+)</text>", svg.group(0)))
        missing = [c.key for c in REPRODUCTIONS.get(name).claims() if c.key not in labels]
        assert not missing, f"{name}: claims missing from the figure: {missing}"
        assert (built_site.out / "figures" / f"paper-{name}-claims.pdf").read_bytes().startswith(b"%PDF")


def test_achieved_claims_are_drawn_with_their_interval(built_site) -> None:
    """E-SSL's digits claims have runs: the page shows a supported/inconclusive/... badge, not only 'not run'."""
    paper = next(p for p in built_site.papers if p.name == "essl")
    judged = [v for v in paper.verdicts if v.n > 0]
    assert judged, "the written records should give E-SSL's digits claims a verdict"
    page = (built_site.out / "papers" / "essl.html").read_text()
    for v in judged:
        assert f'id="claim-{v.claim.key}"' in page
        assert f"{v.ci_low:.2f}" in page  # the CI column of the claims table


def test_task_page_has_leaderboard_figures_and_run_links(built_site) -> None:
    page = built_site.out / "tasks" / "digits-views.html"
    text = page.read_text()
    for figure in ("leaderboard", "efficiency", "robustness"):
        assert f'id="task-digits-views-{figure}"' in text
        assert (built_site.out / "figures" / f"task-digits-views-{figure}.png").read_bytes()[:4] == b"\x89PNG"
    assert "failed: fusion-token" in text
    runs = [ref for ref in parse(page).refs if ref.endswith(".json")]
    assert len(runs) == 10  # 3 models x 3 seeds, and the failed run


def test_every_internal_link_and_image_resolves(built_site) -> None:
    assert broken_references(built_site.out) == []


def test_footer_as_of_comes_from_the_records(built_site) -> None:
    from harness.site.provenance import footer

    assert f"<dt>as of</dt><dd>{NEWEST}" in (built_site.out / "index.html").read_text()
    assert footer([], as_of="2027-01-01").as_of == "2027-01-01"
    assert footer([]).as_of == "no records"


def test_report_command_rebuilds_the_same_bytes_in_workers(built_site, site_results: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI with 2 worker processes, into a folder holding a stale page: same bytes as the first build, the
    stale page gone, the path and every paper's verdict summary printed."""
    out = site_results.parent / "site-again"
    (out / "tasks").mkdir(parents=True)
    (out / "tasks" / "gone.html").write_text("a task whose records were removed")
    (out / ".mmrepro-site").write_text("an earlier site")
    assert main(["-q", "-j", "2", "--results", str(site_results), "report", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"site: {(out / 'index.html').resolve()}" in printed
    assert re.search(r"^essl: 9 claims: .*\d+ not run", printed, re.M)
    first = {p.relative_to(built_site.out): p.read_bytes() for p in built_site.out.rglob("*") if p.is_file()}
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    assert [str(k) for k in first if first[k] != second[k]] == []
    assert not list(out.parent.glob(".site*")), "temporary folders left behind"



def test_report_refuses_to_replace_a_folder_it_did_not_write(site_results: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from harness.site.build import MARKER, check_replaceable

    home = tmp_path / "home"
    home.mkdir()
    check_replaceable(home)  # empty: fine
    check_replaceable(tmp_path / "new")
    (home / "notes.txt").write_text("mine")
    assert main(["-q", "--results", str(site_results), "report", "--out", str(home)]) == 2
    assert "not a site written by mmrepro report" in capsys.readouterr().err
    assert (home / "notes.txt").read_text() == "mine"
    (home / MARKER).write_text("")
    check_replaceable(home)  # an earlier site: replaced


def test_a_rebuild_keeps_screenshots_only_while_their_pages_are_unchanged(site_results: Path) -> None:
    """Screenshots are taken by chromium (``--screenshots``); a plain rebuild keeps them when every page they show
    is byte-identical, and drops them once a page changed (here: a different ``as of`` in the footer)."""
    from harness.site.browser import SHOTS_MANIFEST, page_hashes
    from harness.site.build import build_site

    out = site_results.parent / "site-shots"
    build_site(site_results, out, as_of="2027-01-01")
    shots = out / "screenshots"
    shots.mkdir()
    (shots / "index.png").write_bytes(b"\x89PNG stand-in")
    (shots / SHOTS_MANIFEST).write_text(json.dumps(page_hashes(out, ["index.html", "papers/essl.html"])))
    build_site(site_results, out, as_of="2027-01-01")
    assert (out / "screenshots" / "index.png").read_bytes() == b"\x89PNG stand-in"
    build_site(site_results, out, as_of="2027-02-01")
    assert not (out / "screenshots").exists(), "a screenshot of a page that changed must not be kept"
