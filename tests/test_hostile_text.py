"""Names, titles and notes with markup-like text, quotes, template syntax,
right-to-left and other scripts: every output shows them as they were
written (a reader sees the characters typed, never markup, never a lost
part), and no layout breaks on them."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from conftest import copy_project

from kilas import browser
from kilas.build import build

# Text that looks like markup, entities, quotes and template syntax.
SOURCE = 'Koran <Pagi> & "Sore" {{ x }}'
REGION = "Kota <Tua> & 'Baru' {{ 7*7 }}"
STORY = "Banjir <Demak> & Kudus {% raw %}"
SUBTITLE = "Berita <singkat> & jujur"
# One word wider than a phone's screen (a pasted address, a German compound).
LONG_WORD = "Kesejahteraan" * 15
ITEM = "2024/08/nama-nama-aneh/"

ITEM_TEXT = f"""\
Title: Nama-nama Aneh di Laporan Banjir
Date: 2024-08-06 09:00
Category: Bencana
Region: Korea Utara; Kota Tua Baru
Source: Koran Pagi Sore
Story: {STORY}
Tags: banjir, {LONG_WORD}
Summary: Sebuah laporan dengan nama yang mirip kode.

Isi singkat.
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """The repository's content with a source, a region and a story whose
        names look like markup, built with the development settings (root-relative
    addresses: the pages work served from a local port)."""
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    content = project / "content"
    with (content / "sources.yaml").open("a", encoding="utf-8") as sources:
        sources.write(
            f"  - name: {json.dumps(SOURCE)}\n"
            "    aliases: [Koran Pagi Sore]\n"
            "    homepage: https://example.com/?a=1&b=2\n"
            "    kind: outlet\n"
        )
    with (content / "regions.yaml").open("a", encoding="utf-8") as regions:
        regions.write(
            "  - code: kota-tua\n"
            f"    name: {json.dumps(REGION)}\n"
            "    aliases: [Kota Tua Baru]\n"
            "    parent: ID\n"
        )
    (content / "items" / "2024" / "08" / "nama-nama-aneh.md").write_text(
        ITEM_TEXT, encoding="utf-8"
    )
    output = project / "output"
    build(
        settings_file=project / "pelicanconf.py",
        output=output,
        extra={"SEARCH_INDEX": False, "SITESUBTITLE": SUBTITLE},
    )
    return output


def _root(site: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / path / "index.html").read_bytes())


def _term_pages(site: Path) -> dict[str, Path]:
    """The page of each hostile name (source, region, story), found by its
    link on the item's page."""
    root = _root(site, ITEM)
    pages = {}
    for name in (SOURCE, REGION, STORY):
        (href,) = root.xpath("//dl[@class='article-meta']//a[.=$n]/@href", n=name)
        pages[name] = href.lstrip("/")
    return pages


def test_term_feeds_are_titled_with_the_whole_name(hostile: Path):
    """Pelican strips tags from a feed's title: a name is text, so a name
    with ``<...>`` in it keeps it."""
    for name, path in _term_pages(hostile).items():
        root = _root(hostile, path)
        (feed,) = root.xpath(
            "//link[@rel='alternate' and @title!='Kilas: semua berita']/@href"
        )
        parsed = feedparser.parse((hostile / feed.lstrip("/")).read_bytes())
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.feed.title == f"Kilas - {name}"


def test_term_share_cards_describe_the_whole_name(hostile: Path):
    """The card of a source's, region's or story's page says its name, as
    text (``og:image:alt``)."""
    for name, path in _term_pages(hostile).items():
        root = _root(hostile, path)
        assert root.xpath("//meta[@property='og:image:alt']/@content") == [name]


def test_site_subtitle_is_text_everywhere(hostile: Path):
    """SITESUBTITLE is text: the home page's JSON-LD, description, share
    card and header say it whole."""
    root = _root(hostile, "")
    (script,) = root.xpath("//script[@type='application/ld+json']/text()")
    website = next(d for d in json.loads(script) if d["@type"] == "WebSite")
    assert website["description"] == SUBTITLE
    assert root.xpath("//meta[@name='description']/@content") == [SUBTITLE]
    assert root.xpath("//meta[@property='og:image:alt']/@content") == [SUBTITLE]
    assert root.xpath("string(//*[@class='site-tagline'])") == SUBTITLE


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as instance:
        yield instance


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5)
  .map((e) => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""


@pytest.mark.parametrize("width", [375, 1280])
def test_long_names_wrap_inside_the_screen(hostile: Path, chromium, width: int):
    """A tag of one very long word wraps inside the page (item facts, tag
    index, tag page), at a phone's width and a desktop's: nothing is wider
    than the screen."""
    (tag,) = _root(hostile, ITEM).xpath(
        "//dl[@class='article-meta']//a[.=$n]/@href", n=LONG_WORD
    )
    pages = [ITEM, "tag/", tag.lstrip("/")]
    with browser.served(hostile) as base:
        page = chromium.new_page(viewport={"width": width, "height": 800})
        for path in pages:
            page.goto(base + path, wait_until="load")
            assert page.evaluate(WIDER_THAN_SCREEN) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") == width
        page.close()
