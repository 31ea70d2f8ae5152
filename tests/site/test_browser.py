"""The built site in a real browser (Debian's headless chromium): pages load without console errors, the claims
table has a row per claim, figures are laid out, and a screenshot is not blank. Skips when no chromium is found
(`.ci/run` installs it)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from harness.papers import REPRODUCTIONS
from harness.site.browser import Chromium, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no chromium on PATH (apt-get install chromium, or set MMREPRO_CHROMIUM)")

ROWS = "document.querySelectorAll('#claims-table tbody tr').length"
FIGURE_WIDTHS = "Array.from(document.querySelectorAll('svg.figure')).map(s => s.getBoundingClientRect().width)"
BROKEN_IMAGES = "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"


def _blank(png: bytes) -> bool:
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return pixels.std() < 5 or (pixels < 200).mean() < 0.01  # one colour, or almost no ink


@pytest.fixture(scope="module")
def browser():
    with Chromium(width=1280, height=900) as chromium:
        yield chromium


def test_index_and_paper_page_load_without_console_errors(built_site, browser) -> None:
    for page in ("index.html", "papers/essl.html", "tasks/digits-views.html"):
        loaded = browser.load(built_site.out / page, expressions={"broken": BROKEN_IMAGES, "figures": FIGURE_WIDTHS})
        assert loaded.errors == [], f"{page}: {loaded.errors}"
        assert loaded.values["broken"] == []
        if page != "index.html":
            assert loaded.values["figures"] and min(loaded.values["figures"]) > 300, f"{page}: figure not laid out"


def test_claims_table_has_a_row_per_registered_claim_in_the_browser(built_site, browser) -> None:
    for name in ("essl", "mmsa"):
        loaded = browser.load(built_site.out / "papers" / f"{name}.html", expressions={"rows": ROWS})
        assert loaded.values["rows"] == len(REPRODUCTIONS.get(name).claims())


def test_screenshot_is_not_blank(built_site, browser, tmp_path) -> None:
    loaded = browser.load(built_site.out / "papers" / "essl.html", screenshot=True, max_height=1600)
    assert loaded.screenshot is not None and loaded.screenshot.startswith(b"\x89PNG")
    assert not _blank(loaded.screenshot)


def test_the_check_catches_an_error(tmp_path, browser) -> None:
    """The console check is not vacuous: a page with a script error and a missing image is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png"><script>console.error("boom")</script>'
                    "</body></html>")
    errors = browser.load(page).errors
    assert any("boom" in e for e in errors) and any("missing.png" in e for e in errors)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    assert _blank(browser.load(blank, screenshot=True).screenshot)
