"""Screenshots of shared links: how a page's share card looks in a chat.

    python -m kilas.sharepreview [--output docs/screenshots]

Builds the repository's site with the publish settings (its SITEURL), serves
it locally, reads each chosen page's OpenGraph tags as a chat app does
(``og:url``, ``og:image``, ``og:title``, ``og:description``), draws a link
preview with them in headless Chromium (the card loaded from the local
copy), and saves ``share-<name>.png``: the photo card of the sample item and
the drawn card of an item without a photo.
"""

from __future__ import annotations

import argparse
import html
import logging
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html

from kilas import browser
from kilas.build import BuildFailed, build

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent
PAGES = {
    "photo-card": "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/",
    "generated-card": "2024/08/banjir-hancurkan-4000-rumah/",
}
# A chat bubble with a link preview: picture on top, site, title, text.
PREVIEW = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>preview</title><style>
body {{ margin: 0; padding: 24px; background: #e5ddd5; font: 15px/1.35 system-ui, sans-serif; }}
.bubble {{ width: 420px; background: #dcf8c6; border-radius: 10px; padding: 6px;
  box-shadow: 0 1px 1px rgba(0,0,0,.15); }}
.card {{ background: #f0f0f0; border-radius: 8px; overflow: hidden; }}
.card img {{ display: block; width: 100%; aspect-ratio: 1200 / 630; object-fit: cover; }}
.text {{ padding: 8px 10px; }}
.site {{ color: #667; font-size: 12px; text-transform: lowercase; }}
.title {{ font-weight: 600; margin: 2px 0; }}
.desc {{ color: #445; font-size: 13px; display: -webkit-box; -webkit-line-clamp: 2;
  -webkit-box-orient: vertical; overflow: hidden; }}
.link {{ color: #039be5; padding: 6px 4px 2px; word-break: break-all; }}
</style></head><body><div class="bubble"><div class="card">
<img src="{image}" alt="{alt}"><div class="text"><div class="site">{host}</div>
<div class="title">{title}</div><div class="desc">{description}</div></div></div>
<div class="link">{url}</div></div></body></html>
"""


def _meta(tree, name: str) -> str:
    found = tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content")
    return found[0] if found else ""


def preview_html(page: Path, siteurl: str, base: str) -> str:
    """The preview of ``page``; its card is read from ``base`` (the local
    copy of the site published at ``siteurl``)."""
    tree = lxml.html.fromstring(page.read_bytes())
    url = _meta(tree, "og:url")
    fields = {
        "image": base + _meta(tree, "og:image").removeprefix(siteurl + "/"),
        "alt": _meta(tree, "og:image:alt"),
        "title": _meta(tree, "og:title"),
        "description": _meta(tree, "og:description"),
        "host": urlsplit(url).netloc,
        "url": url,
    }
    return PREVIEW.format(**{k: html.escape(v) for k, v in fields.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kilas.sharepreview")
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="kilas-share-") as folder:
        site = Path(folder) / "site"
        site.mkdir()
        with browser.served(site) as base, browser.chromium() as chromium:
            try:
                settings = build(PROJECT / "publishconf.py", output=site)
            except BuildFailed as exc:
                print(f"kilas: {exc}", file=sys.stderr)
                return 1
            page = chromium.new_page(
                viewport={"width": 470, "height": 400}, device_scale_factor=2
            )
            for name, path in PAGES.items():
                preview = site / f"_preview-{name}.html"
                preview.write_text(
                    preview_html(site / path / "index.html", settings["SITEURL"], base),
                    encoding="utf-8",
                )
                page.goto(f"{base}_preview-{name}.html", wait_until="networkidle")
                target = args.output / f"share-{name}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                page.locator(".bubble").screenshot(path=str(target))
                print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
