"""The browser the tests and tasks drive: Debian's chromium, headless."""

from __future__ import annotations

import os

# As DEVELOPERS.md asks: no background traffic, no first-run work, no sandbox
# (the tests run as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """``KILAS_CHROMIUM`` when set (e.g. a CI runner's Chrome), else Debian's."""
    return os.environ.get("KILAS_CHROMIUM", "/usr/bin/chromium")


def launch(playwright):
    """A headless Chromium through Playwright, never a downloaded browser."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
