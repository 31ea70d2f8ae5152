"""Check a built site without a browser: every internal link, image and in-page reference resolves."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []  # href / src values of a, link, img, script

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if tag in ("a", "link", "img", "script", "source") and values.get(name):
                self.refs.append(values[name])


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def broken_references(site: Path) -> list[str]:
    """``page: reference`` for every internal link or image that does not resolve: a missing file, a missing
    ``#fragment`` in an HTML target, or an SVG ``url(#id)`` / ``href="#id"`` with no such id in its page."""
    pages = {p.resolve(): parse(p) for p in site.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        text = path.read_text()
        for ref in re.findall(r'url\(#([^)]+)\)|xlink:href="#([^"]+)"', text):
            target = ref[0] or ref[1]
            if target not in page.ids:
                broken.append(f"{path.name}: #{target} (SVG)")
        for ref in page.refs:
            url = urlparse(ref)
            if url.scheme or ref.startswith("//"):
                continue  # external: not the site's to check offline
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if not target.exists():
                broken.append(f"{path.name}: {ref} (no such file)")
            elif url.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if url.fragment not in ids:
                    broken.append(f"{path.name}: {ref} (no such id)")
    return broken
