"""Headless Chromium for the site: load a page, collect its console errors, take a screenshot.

Talks the DevTools protocol over a pipe (``--remote-debugging-pipe``: JSON messages ended by NUL on fds 3 and 4), so
it needs no websocket library and no browser download: only Debian's ``chromium`` (or ``$MMREPRO_CHROMIUM``).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 60.0


def find_chromium() -> str | None:
    """The browser binary: ``$MMREPRO_CHROMIUM`` if set, else the first of :data:`BROWSERS` on the PATH."""
    named = os.environ.get("MMREPRO_CHROMIUM")
    if named:
        return named if shutil.which(named) else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@dataclass
class PageLoad:
    """What a page did while loading: console errors, uncaught exceptions and failed loads (one line each)."""

    url: str
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # every console message, any level
    screenshot: bytes | None = None
    values: dict[str, Any] = field(default_factory=dict)  # name -> value of each expression evaluated after load


class Chromium:
    """One headless browser process; use as a context manager."""

    def __init__(self, binary: str | None = None, width: int = 1280, height: int = 900) -> None:
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise UserError("no chromium found; install Debian's chromium (apt-get install chromium) or set "
                            "MMREPRO_CHROMIUM to a Chromium/Chrome binary")
        self.width, self.height = width, height
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="mmrepro-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire() -> None:  # the protocol's fixed descriptors: the browser reads fd 3 and writes fd 4
            # moved above 10 first: a pipe end may already be fd 3 or 4, and dup2 onto itself would keep its
            # close-on-exec flag
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire,
            close_fds=False)
        os.close(to_child)
        os.close(from_child)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._send("Browser.close")
        except (OSError, UserError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise UserError(f"chromium did not answer within {TIMEOUT_S:.0f} s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise UserError("chromium closed the DevTools pipe (crashed or refused to start)")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and wait for its result; events that arrive meanwhile are kept for :meth:`wait_for`."""
        wanted, deadline = self._send(method, params, session), time.monotonic() + TIMEOUT_S
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise UserError(f"chromium: {method} failed: {message['error'].get('message')}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, method: str) -> list[dict[str, Any]]:
        """Every event received until ``method`` arrives (inclusive), oldest first."""
        deadline, seen = time.monotonic() + TIMEOUT_S, []
        while True:
            message = self._events.pop(0) if self._events else self._receive(deadline)
            seen.append(message)
            if message.get("method") == method:
                return seen

    def load(self, page: Path, screenshot: bool = False, max_height: int = 4000,
             expressions: dict[str, str] | None = None) -> PageLoad:
        """Open ``page`` (a file) in a new tab; console errors, exceptions and failed loads are gathered until the
        load event and one round-trip after it; ``expressions`` (name -> JavaScript) are evaluated in the loaded
        page; the screenshot is the whole page up to ``max_height`` pixels."""
        url = Path(page).resolve().as_uri()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height,
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
        self._events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        events = self.wait_for("Page.loadEventFired")
        self.call("Runtime.evaluate", {"expression": "1"}, session=session)  # flush messages logged at load
        events += self._events
        self._events = []
        result = PageLoad(url)
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                result.console.append(f"{params.get('type')}: {text}")
                if params.get("type") in ("error", "assert"):
                    result.errors.append(f"console.{params.get('type')}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                what = details.get("exception", {}).get("description") or details.get("text")
                result.errors.append(f"exception: {what}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                result.errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
        for name, expression in (expressions or {}).items():
            answer = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            result.values[name] = answer.get("result", {}).get("value")
        if screenshot:
            size = self.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": self.width, "height": min(int(size["height"]), max_height), "scale": 1}
            shot = self.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                             session=session)
            result.screenshot = base64.b64decode(shot["data"])
        self.call("Target.closeTarget", {"targetId": target})
        return result


def take_screenshots(site: Any, pages: list[str] | None = None) -> list[Path]:
    """``screenshots/<name>.png`` of the index and every paper page (``pages``: names relative to the site,
    e.g. ``papers/essl.html``); refuses, naming the page, if one logs a console error."""
    from harness.runs.store import atomic_write, write_text_atomic

    out = Path(site.out)
    wanted = pages or ["index.html", *(f"papers/{p.name}.html" for p in site.papers)]
    written = []
    with Chromium() as browser:
        for relative in wanted:
            loaded = browser.load(out / relative, screenshot=True, max_height=2400)
            if loaded.errors:
                raise UserError(f"{out / relative}: {len(loaded.errors)} console errors, first: {loaded.errors[0]}")
            path = out / "screenshots" / f"{Path(relative).stem}.png"
            data = loaded.screenshot or b""
            atomic_write(path, lambda f, data=data: f.write(data))
            path.chmod(0o644)  # as the rest of the site
            written.append(path)
    write_text_atomic(out / "screenshots" / SHOTS_MANIFEST, json.dumps(page_hashes(out, wanted), indent=1) + "\n")
    return written


SHOTS_MANIFEST = "pages.json"


def page_hashes(site: Path, pages: list[str]) -> dict[str, str]:
    """sha256 of each screenshotted page: the pages are self-contained (figures inline), so equal hashes mean a
    screenshot still shows its page and a rebuild without ``--screenshots`` may keep it."""
    return {page: hashlib.sha256((site / page).read_bytes()).hexdigest() for page in pages}
