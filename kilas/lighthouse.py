"""``invoke lighthouse``: Lighthouse's four scores for the home page and an
article, on a phone, from a publish build served locally.

Lighthouse comes from npm (``npm ci``, pinned in package-lock.json) and runs
Debian's Chromium (see kilas.browser).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

from kilas import browser

logger = logging.getLogger(__name__)

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


class LighthouseError(RuntimeError):
    """Lighthouse is missing or failed on a page."""


def binary(project: Path) -> Path:
    found = project / "node_modules" / ".bin" / "lighthouse"
    if not found.exists():
        raise LighthouseError("Lighthouse is missing: run `npm ci` first")
    return found


def scores(program: Path, url: str, name: str) -> tuple[dict[str, int], list[str]]:
    """The four scores (0 to 100) of ``url`` and a line per failed audit."""
    flags = " ".join(["--headless", *browser.CHROMIUM_FLAGS])
    run = subprocess.run(
        [
            str(program),
            url,
            "--quiet",
            "--output=json",
            "--output-path=stdout",
            f"--chrome-flags={flags}",
            f"--only-categories={','.join(CATEGORIES)}",
        ],
        env=dict(os.environ, CHROME_PATH=browser.chromium_path()),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise LighthouseError(f"Lighthouse failed on {name}:\n{run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    found = {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}
    failed = []
    for audit in report["audits"].values():
        score = audit.get("score")
        mode = audit.get("scoreDisplayMode")
        if score is not None and score < 1 and mode in ("binary", "numeric"):
            failed.append(f"{audit['id']}: {score} {audit['title']}")
    return found, failed
