"""Headless Chromium (Debian's, through Playwright) on a locally served site:
shared by the theme's tests (axe-core, page weight) and the `screenshots` task.

Playwright's own browser downloads are never used: ``CHROMIUM`` is the system
browser, and every flag that makes Chromium call home is off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from kilas.serve import make_server

logger = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")


def chromium_path() -> str:
    """``KILAS_CHROMIUM`` when set (e.g. a CI runner's Chrome), else Debian's."""
    if os.environ.get("KILAS_CHROMIUM"):
        return os.environ["KILAS_CHROMIUM"]
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Chromium is needed but was not found: install it with "
        "`sudo apt-get install chromium` (or run `invoke test --setup`)"
    )


@contextlib.contextmanager
def served(root: Path, prefix: str = "/") -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 in a thread; yields the base URL."""
    server = make_server(Path(root), 0, prefix)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Playwright browser: Debian's Chromium, headless."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, url: str, path: Path, width: int, scheme: str) -> None:
    """One full-page screenshot of ``url`` at ``width`` CSS pixels in ``scheme``."""
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.goto(url, wait_until="load")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def first_screen(page, url: str, path: Path, scheme: str = "light") -> None:
    """What a phone (375x667) shows of ``url`` before scrolling; on the
    search page, once the results are in."""
    page.set_viewport_size({"width": 375, "height": 667})
    page.emulate_media(color_scheme=scheme)
    page.goto(url, wait_until="load")
    if page.query_selector("#search-results"):
        page.wait_for_selector("#search-results li")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
