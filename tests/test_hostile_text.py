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
from conftest import build_published, copy_project

SITE_URL = "https://example.org/kilas"
# Text that looks like markup, entities, quotes and template syntax.
SOURCE = 'Koran <Pagi> & "Sore" {{ x }}'
REGION = "Kota <Tua> & 'Baru' {{ 7*7 }}"
STORY = "Banjir <Demak> & Kudus {% raw %}"
SUBTITLE = "Berita <singkat> & jujur"
ITEM = "2024/08/nama-nama-aneh/"

ITEM_TEXT = f"""\
Title: Nama-nama Aneh di Laporan Banjir
Date: 2024-08-06 09:00
Category: Bencana
Region: Korea Utara; Kota Tua Baru
Source: Koran Pagi Sore
Story: {STORY}
Summary: Sebuah laporan dengan nama yang mirip kode.

Isi singkat.
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """The repository's content with a source, a region and a story whose
    names look like markup, built with the publish settings."""
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
    build_published(project, output, SITE_URL, SITESUBTITLE=SUBTITLE)
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
        pages[name] = href.removeprefix(SITE_URL + "/")
    return pages


def test_term_feeds_are_titled_with_the_whole_name(hostile: Path):
    """Pelican strips tags from a feed's title: a name is text, so a name
    with ``<...>`` in it keeps it."""
    for name, path in _term_pages(hostile).items():
        root = _root(hostile, path)
        (feed,) = root.xpath(
            "//link[@rel='alternate' and @title!='Kilas: semua berita']/@href"
        )
        parsed = feedparser.parse(
            (hostile / feed.removeprefix(SITE_URL + "/")).read_bytes()
        )
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
