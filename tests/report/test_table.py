"""The one aggregator cell and the one table renderer shared by leaderboards, claims, robustness and extras."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from harness.errors import UserError
from harness.report.table import TABLE_FORMATS, aggregate, cell, mean_std, render_table


def test_aggregate_is_mean_sample_std_t_interval_and_n() -> None:
    s = aggregate([0.9, 1.0, 1.1])
    assert (s.mean, s.n) == (pytest.approx(1.0), 3)
    assert s.std == pytest.approx(np.std([0.9, 1.0, 1.1], ddof=1))
    half = 4.302652729911275 * s.std / math.sqrt(3)  # t_{0.975, 2}
    assert (s.ci_low, s.ci_high) == (pytest.approx(1.0 - half), pytest.approx(1.0 + half))
    assert aggregate([]) is None


def test_cells() -> None:
    assert cell([0.9, 1.0, 1.1]) == "1.0000 ± 0.1000"
    assert cell([0.5]) == "0.5000", "one seed: no std (undefined, not 0)"
    assert cell([]) == "–" and cell([], empty="n/a") == "n/a"
    assert mean_std(3.14159, 0.5, 2, signed=True) == "+3.14 ± 0.50"


FRAME = pd.DataFrame({"#": [1], "model": ["a_b"], "MAE ↓": ["0.5000 ± 0.0100"], "n": [3], "note": ["x − y"]})


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_every_format_renders_every_cell(fmt: str) -> None:
    text = render_table(FRAME, fmt)
    assert "0.5000" in text and ("a_b" in text or r"a\_b" in text)


def test_markdown_prints_cells_as_given() -> None:
    text = render_table(pd.DataFrame({"v": ["0.10", "0.2"]}), "md")
    assert "0.10" in text, "no number re-parsing: a formatted cell keeps its digits"


def test_latex_escapes_cells_and_headers_and_maps_symbols() -> None:
    tex = render_table(FRAME, "latex")
    assert r"\#" in tex and r"a\_b" in tex and r"MAE $\downarrow$" in tex
    assert r"0.5000 $\pm$ 0.0100" in tex and "x $-$ y" in tex


def test_json_rows_and_unknown_format() -> None:
    assert json.loads(render_table(FRAME, "json"))[0]["model"] == "a_b"
    with pytest.raises(UserError, match="unknown format 'xls'"):
        render_table(FRAME, "xls")
