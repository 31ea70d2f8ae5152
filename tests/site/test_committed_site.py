"""The site built from the committed ``results/`` (slow: about 37 s of CPU; run with ``-m slow``): every paper and
every registered task with records has its page, every claim its table row, and no reference is broken."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from harness.papers import REPRODUCTIONS
from harness.site.collect import task_names
from tests.site.links import broken_references

RESULTS = Path(__file__).resolve().parents[2] / "results"


@pytest.mark.slow
def test_committed_results_build_a_complete_site(tmp_path: Path) -> None:
    from harness.site.build import build_site

    if not (RESULTS / "runs").is_dir():
        pytest.skip(f"no committed run records under {RESULTS}")
    start = time.perf_counter()
    site = build_site(RESULTS, tmp_path / "site", jobs=2)
    print(f"built {len(site.pages)} pages in {time.perf_counter() - start:.1f} s")
    assert sorted(p.stem for p in (site.out / "papers").glob("*.html")) == sorted(REPRODUCTIONS.names())
    shown = {p.stem for p in (site.out / "tasks").glob("*.html")}
    assert shown == set(task_names(RESULTS))
    for name in REPRODUCTIONS.names():
        rows = re.findall(r'<tr id="row-', (site.out / "papers" / f"{name}.html").read_text())
        assert len(rows) == len(REPRODUCTIONS.get(name).claims())
    assert broken_references(site.out) == []
