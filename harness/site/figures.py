"""The site's figures: drawn once, inlined as SVG in the page and written beside it as PDF and PNG for papers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.figures.style import close, freeze_layout, inline_svg, render
from harness.runs.store import atomic_write

PRINT_FORMATS = ("pdf", "png")


@dataclass(frozen=True)
class SiteFigure:
    name: str  # file stem under figures/, also the prefix of its SVG ids
    title: str
    svg: str  # inline markup
    files: dict[str, str]  # format -> path relative to the site root


def place(fig: Any, name: str, title: str, folder: Path, formats: tuple[str, ...] = PRINT_FORMATS) -> SiteFigure:
    """Inline SVG of ``fig`` plus ``folder/<name>.<fmt>`` for each print format; closes the figure."""
    try:
        png = freeze_layout(fig)
        svg = inline_svg(render(fig, "svg"), name, title)
        files = {}
        for fmt in formats:
            data = png if fmt == "png" else render(fig, fmt)
            atomic_write(folder / f"{name}.{fmt}", lambda f, data=data: f.write(data))
            files[fmt] = f"{folder.name}/{name}.{fmt}"
    finally:
        close(fig)
    return SiteFigure(name, title, svg, files)
