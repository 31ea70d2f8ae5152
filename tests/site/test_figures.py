"""``mmrepro figure`` and the figure helpers: every format, byte-stable output, ids safe to inline together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cli import main


@pytest.mark.parametrize("kind", ["leaderboard", "efficiency", "robustness"])
def test_task_figure_writes_pdf_png_svg_deterministically(site_results: Path, tmp_path: Path, kind: str) -> None:
    written = []
    for out in (tmp_path / "a", tmp_path / "b"):
        assert main(["-q", "--results", str(site_results), "figure", "--task", "digits-views", "--kind", kind,
                     "--out", str(out)]) == 0
        written.append({p.name: p.read_bytes() for p in out.iterdir()})
    a, b = written
    stem = f"task-digits-views-{kind}"
    assert sorted(a) == [f"{stem}.pdf", f"{stem}.png", f"{stem}.svg"]
    assert a[f"{stem}.pdf"].startswith(b"%PDF") and a[f"{stem}.png"].startswith(b"\x89PNG")
    assert a == b


def test_claims_figure_names_every_claim(site_results: Path, tmp_path: Path) -> None:
    from harness.papers import REPRODUCTIONS

    assert main(["-q", "--results", str(site_results), "figure", "--paper", "essl", "--kind", "claims",
                 "--out", str(tmp_path), "--format", "svg"]) == 0
    svg = (tmp_path / "paper-essl-claims.svg").read_text()
    for claim in REPRODUCTIONS.get("essl").claims():
        assert f">{claim.key}</text>" in svg


@pytest.mark.parametrize("argv, message", [
    (["--task", "digits-views", "--kind", "claims"], "not a task figure"),
    (["--paper", "essl", "--kind", "leaderboard"], "not a paper figure"),
    (["--task", "digits-views", "--paper", "essl", "--kind", "claims"], "exactly one of"),
    (["--task", "synth-msa", "--kind", "leaderboard"], "no finished runs"),
])
def test_figure_refusals(site_results: Path, tmp_path: Path, argv: list[str], message: str,
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "--results", str(site_results), "figure", *argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_inlined_figures_share_no_ids_and_keep_their_references() -> None:
    from harness.figures.style import figure_style, inline_svg, render

    with figure_style() as plt:
        figures = []
        for _ in range(2):
            fig, ax = plt.subplots()
            ax.errorbar([1, 2], [1, 2], yerr=[0.1, 0.2], fmt="o")
            figures.append(fig)
    a, b = (inline_svg(render(fig, "svg"), name, "t") for fig, name in zip(figures, ("one", "two"), strict=True))
    ids_a, ids_b = set(re.findall(r'id="([^"]+)"', a)), set(re.findall(r'id="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b
    for text, ids in ((a, ids_a), (b, ids_b)):
        assert not text.startswith("<?xml") and "<metadata>" not in text
        for ref in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', text):
            assert (ref[0] or ref[1]) in ids
