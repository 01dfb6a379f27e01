"""Names, titles and notes with markup-like text, quotes, template syntax,
right-to-left and other scripts: every output shows them as they were
written (a reader sees the characters typed, never markup, never a lost
part), and no layout breaks on them."""

from __future__ import annotations

import itertools
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

# Names in Arabic (right to left), two of them side by side.
ARABIC_SOURCE = "الجزيرة"
ARABIC_REGIONS = ("مدينة عربية", "مدينة ثانية")
ARABIC_ITEM = "2024/08/berita-arab/"
ARABIC_TEXT = f"""\
Title: هل تنحسر الفيضانات؟
Date: 2024-08-06 10:00
Category: Internasional
Region: {ARABIC_REGIONS[0]}; {ARABIC_REGIONS[1]}
Source: Al Jazeera
Summary: Laporan dari sumber berbahasa Arab.

Isi singkat.
"""

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
            f"  - name: {ARABIC_SOURCE}\n"
            "    aliases: [Al Jazeera]\n"
            "    homepage: https://www.aljazeera.net/\n"
            "    kind: outlet\n"
        )
    with (content / "regions.yaml").open("a", encoding="utf-8") as regions:
        regions.write(
            "  - code: kota-tua\n"
            f"    name: {json.dumps(REGION)}\n"
            "    aliases: [Kota Tua Baru]\n"
            "    parent: ID\n"
        )
        for number, name in enumerate(ARABIC_REGIONS):
            regions.write(
                f"  - code: arab-{number}\n    name: {name}\n    parent: ID\n"
            )
    items = content / "items" / "2024" / "08"
    (items / "nama-nama-aneh.md").write_text(ITEM_TEXT, encoding="utf-8")
    (items / "berita-arab.md").write_text(ARABIC_TEXT, encoding="utf-8")
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


# (top, left, right) of the text of each ``selector`` element inside each
# element of ``within`` that holds one (a text's box, not its element's:
# an element whose text the bidirectional algorithm moved keeps its place).
TEXT_BOXES = """([within, selector]) => [...document.querySelectorAll(within)]
  .map((box) => [...box.querySelectorAll(selector)].map((e) => {
    const range = document.createRange(); range.selectNodeContents(e);
    const r = range.getBoundingClientRect();
    return [Math.round(r.top), r.left, r.right]; }))
  .filter((boxes) => boxes.length)"""

# The same for each of ``names`` found in the text of ``within``.
NAME_BOXES = """([within, names]) => [...document.querySelectorAll(within)]
  .map((box) => names.map((name) => {
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const at = walker.currentNode.data.indexOf(name);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(walker.currentNode, at);
      range.setEnd(walker.currentNode, at + name.length);
      const r = range.getBoundingClientRect();
      return [Math.round(r.top), r.left, r.right];
    }
  }).filter(Boolean)).filter((boxes) => boxes.length)"""


def test_names_in_arabic_keep_the_lists_order(hostile: Path, chromium):
    """Arabic names side by side in an Indonesian line (a source, then two
    regions) are shown in the list's order, left to right, each right to
    left inside: the bidirectional algorithm would otherwise join them into
    one right-to-left run and swap them, separators and all."""
    day = "linimasa/2024/08/06/"
    with browser.served(hostile) as base:
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base + ARABIC_ITEM, wait_until="load")
        facts = page.evaluate(TEXT_BOXES, ["dl.article-meta dd", ".term"])
        page.goto(base + day, wait_until="load")
        entry = f"article:has(a[href$='/{ARABIC_ITEM}'])"
        meta = page.evaluate(TEXT_BOXES, [f"{entry} .meta", ":scope > *"])
        regions = page.evaluate(NAME_BOXES, [f"{entry} .meta", ARABIC_REGIONS])
        page.close()
    lists = [*facts, *meta, *regions]
    assert [len(boxes) for boxes in regions] == [2], regions
    assert len([boxes for boxes in lists if len(boxes) > 1]) >= 3, lists
    for boxes in lists:
        assert len({top for top, _, _ in boxes}) == 1, boxes  # one line each
        for before, after in itertools.pairwise(boxes):
            assert before[2] <= after[1], boxes  # wholly to its left
