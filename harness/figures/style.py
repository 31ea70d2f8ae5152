"""One look for every figure, and byte-stable output: same figure -> same SVG/PDF/PNG bytes.

Determinism needs what matplotlib leaves open: the SVG id salt (otherwise random per process) and the ids it
hashes from float coordinates (renumbered, :func:`stable_svg_ids`), the date stamped into SVG/PDF metadata, and
PNG metadata (the PNG is encoded by Pillow from the layout drawing, with none). Text in SVG stays text
(``svg.fonttype = none``): smaller, searchable, and testable by claim key. PDF fonts are embedded as Type 3: the
same glyphs as Type 42, at half its cost to write (font subsetting dominated the site's build time).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FORMATS = ("svg", "pdf", "png")
PNG_DPI = 120
# Verdict families (:func:`verdict_family`) -> colour; the site's CSS badges use the same values.
VERDICT_COLOURS = {"good": "#1a7f37", "bad": "#cf222e", "mixed": "#bf8700", "flag": "#8250df", "none": "#6e7781"}
CLAIMED = "#24292f"
OTHERS = "#0969da"
SEED_POINTS = "#8c959f"
MEAN = "#24292f"
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {}}
_RC = {"svg.fonttype": "none", "svg.hashsalt": "mmrepro", "font.size": 8, "axes.titlesize": 9,
       "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7,
       "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
       "grid.linewidth": 0.5, "pdf.fonttype": 3, "figure.dpi": 100, "savefig.bbox": "standard",
       "savefig.pad_inches": 0.05}


@contextmanager
def figure_style() -> Iterator[Any]:
    """The Agg backend and the shared rc settings, for drawing and saving; yields ``matplotlib.pyplot``."""
    import matplotlib

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every font subset at INFO when a PDF is saved
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with plt.rc_context(_RC):
        yield plt


def render(fig: Any, fmt: str) -> bytes:
    """The figure as ``fmt`` bytes, with no time in its metadata."""
    buffer = io.BytesIO()
    with figure_style():  # the SVG salt and font type are read when saving
        fig.savefig(buffer, format=fmt, metadata=_METADATA[fmt], dpi=PNG_DPI if fmt == "png" else None)
    return stable_svg_ids(buffer.getvalue()) if fmt == "svg" else buffer.getvalue()


_HASHED_ID = re.compile(r'(?<=id=")([a-zA-Z])([0-9a-f]{10})(?=")|(?<=#)([a-zA-Z])([0-9a-f]{10})(?=[")])')


def stable_svg_ids(svg: bytes) -> bytes:
    """Number matplotlib's hashed SVG ids (clip paths, markers) in order of first use.

    They hash the clip rectangle's coordinates at full float precision, and constrained layout can differ in
    the last bits between processes: the drawing is identical to the printed precision, the ids would not be."""
    names: dict[str, str] = {}

    def number(m: re.Match[str]) -> str:
        kind, digest = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return names.setdefault(kind + digest, f"{kind}{len(names) + 1}")

    return _HASHED_ID.sub(number, svg.decode()).encode()


def freeze_layout(fig: Any) -> bytes:
    """Lay the figure out once and keep it (otherwise every format saved lays it out again, slow with many axes);
    returns the PNG of that drawing, so that the raster is not drawn a second time."""
    from PIL import Image

    fig.set_dpi(PNG_DPI)
    with figure_style():
        fig.canvas.draw()
    fig.set_layout_engine("none")
    width, height = fig.canvas.get_width_height()
    buffer = io.BytesIO()
    Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(buffer, "png")
    return buffer.getvalue()


def save(fig: Any, stem: Path, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write ``stem.<fmt>`` for each format (atomically) and close the figure; returns format -> path."""
    from harness.runs.store import atomic_write

    written = {}
    try:
        png = freeze_layout(fig)
        for fmt in formats:
            data = png if fmt == "png" else render(fig, fmt)
            path = Path(f"{stem}.{fmt}")
            atomic_write(path, lambda f, data=data: f.write(data))
            written[fmt] = path
    finally:
        close(fig)
    return written


def close(fig: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_META = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: bytes | str, prefix: str, title: str) -> str:
    """An SVG file as markup to paste into HTML: no XML prologue or metadata, every id prefixed.

    matplotlib numbers its ids per figure (``figure_1``, ``axes_1``, clip paths by content hash), so two figures
    inlined in one page would share ids and one figure's ``url(#...)`` could point into the other."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = _META.sub("", _PROLOGUE.sub("", text, count=1), count=1)
    ids = set(_ID.findall(text))
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r'(url\(#|href="#)([^")]+)', lambda m: m.group(1) + (f"{prefix}-{m.group(2)}"
                                                                       if m.group(2) in ids else m.group(2)), text)
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" class="figure" ', 1).strip()


def verdict_family(outcome: str) -> str:
    """A verdict's colour family: good (reproduced, supported), bad (not reproduced, contradicted), mixed
    (inconclusive), flag (implausible) or none (not run, not comparable: nothing was tested)."""
    if outcome.startswith(("reproduced", "supported")):
        return "good"
    if outcome.startswith(("not reproduced", "contradicted")):
        return "bad"
    if outcome.startswith("inconclusive"):
        return "mixed"
    if outcome.startswith("implausible"):
        return "flag"
    return "none"


def short_outcome(outcome: str) -> str:
    """The verdict without its explanation: ``inconclusive (protocol differs: ...)`` -> ``inconclusive``; the
    side of a ``not reproduced`` and what a ``not run`` lacks are kept."""
    if outcome.startswith(("inconclusive", "implausible", "not comparable")):
        return outcome.split(" (", 1)[0]
    return outcome


def ci_errors(centres: list[float], lows: list[float], highs: list[float]) -> list[list[float]]:
    """matplotlib's asymmetric error bars for intervals [low, high] around ``centres``; no bar (0) where an
    interval is undefined (one seed)."""
    return [[0.0 if math.isnan(lo) else c - lo for c, lo in zip(centres, lows, strict=True)],
            [0.0 if math.isnan(hi) else hi - c for c, hi in zip(centres, highs, strict=True)]]
