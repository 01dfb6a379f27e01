"""Discovery as machines see it, at the edges: a site published under a
GitHub Pages project path, items whose text links relatively, and what feed
readers and search engines make of the feeds and sitemaps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import build_published, copy_project

from kilas.build import BuildFailed

SITE_URL = "https://user.github.io/kilas-demo"
NOW = "2024-08-05T12:00:00+07:00"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

# An item whose text links the way editors write links: to a heading of its
# own page, to another item relative to its own address, and to a file.
LINKING = """\
Title: Uji Tautan Relatif & "Kutip" di Umpan
Date: 2024-08-05 09:30
Category: Bencana
Region: KP
Source: SinarHarapan.id
Summary: Ringkasan dengan [tautan ke bagian](#rincian) dan
    [butir sebelumnya](../banjir-hancurkan-4000-rumah/).

Lihat [rinciannya](#rincian), [butir sebelumnya](../banjir-hancurkan-4000-rumah/)
dan [fotonya]({static}/images/banjir-korea-utara.jpg).

![Warga mengungsi]({static}/images/banjir-korea-utara.jpg)

## Rincian {#rincian}

A & B < C "kutip" menenggelamkan; tulis `<a href="/x/">` di HTML.
"""


@pytest.fixture(scope="module")
def project_site(tmp_path_factory) -> Path:
    """The project with LINKING, published under SITE_URL's path."""
    base = tmp_path_factory.mktemp("extremes")
    project = copy_project(base / "project")
    item = project / "content" / "items" / "2024" / "08" / "uji-tautan-relatif.md"
    item.write_text(LINKING, encoding="utf-8")
    output = base / "output"
    build_published(project, output, SITE_URL, KILAS_NOW=NOW)
    return output


def _file_of(site: Path, url: str) -> Path | None:
    """The file of ``site`` that ``url`` (under SITE_URL) is served from."""
    if not url.startswith(SITE_URL + "/"):
        return None
    path = site / url.removeprefix(SITE_URL + "/")
    return path / "index.html" if url.endswith("/") else path


def _anchor_exists(page: Path, fragment: str) -> bool:
    return bool(lxml.html.parse(str(page)).xpath(f"//*[@id='{fragment}']"))


def test_links_in_feed_entries_lead_where_the_page_links_lead(project_site: Path):
    """A feed reader resolves an entry's relative links against the feed's
    address (feedparser does, as readers do), not the item's: "#rincian"
    and "../banjir.../" led into the feeds folder. Every link and image of
    every entry must reach the file and heading the item's page reaches."""
    checked = 0
    for feed_file in sorted((project_site / "feeds").rglob("*.xml")):
        feed_url = f"{SITE_URL}/{feed_file.relative_to(project_site).as_posix()}"
        parsed = feedparser.parse(
            feed_file.read_bytes(),
            response_headers={
                "content-location": feed_url,
                "content-type": "application/atom+xml",
            },
        )
        assert not parsed.bozo, (feed_file, parsed.bozo_exception)
        for entry in parsed.entries:
            page = _file_of(project_site, entry.link)
            assert page is not None and page.is_file(), entry.link
            texts = [c.value for c in entry.get("content", [])]
            texts.append(entry.get("summary", ""))
            for text in texts:
                if not text:
                    continue
                tree = lxml.html.fragment_fromstring(text, create_parent="div")
                for url in tree.xpath("//a/@href | //img/@src"):
                    target, fragment = urldefrag(url)
                    assert urlsplit(target).scheme == "https", (feed_file, url)
                    found = _file_of(project_site, target)
                    assert found is not None and found.is_file(), (feed_file, url)
                    if fragment:
                        assert _anchor_exists(found, fragment), (feed_file, url)
                    checked += 1
    assert checked >= 10  # the item is in several feeds, with five links each


def test_content_is_escaped_once_in_feeds(project_site: Path):
    feed = feedparser.parse((project_site / "feeds/semua.atom.xml").read_bytes())
    entry = next(e for e in feed.entries if "uji-tautan-relatif" in e.link)
    # the title as text (typogrify joins its last two words)
    assert entry.title.replace("\xa0", " ") == "Uji Tautan Relatif & “Kutip” di Umpan"
    text = entry.content[0].value
    assert "&lt;" in text and "&amp;lt;" not in text  # "<" as text, once
    assert "menenggelamkan" in text
    # A code sample's text is left as it is (only real links are resolved).
    assert '<code>&lt;a href="/x/"&gt;</code>' in text


def test_a_term_feed_links_its_terms_page(project_site: Path):
    """A feed reader shows a feed's alternate link as the site it follows:
    a category's, region's, source's or story's feed links that page (it
    linked the home page); the all-items feed links the home page."""
    checked = 0
    for feed_file in sorted((project_site / "feeds").glob("*/*.xml")):
        parsed = feedparser.parse(feed_file.read_bytes())
        page = _file_of(project_site, parsed.feed.link)
        assert page is not None and page.is_file(), (feed_file, parsed.feed.link)
        # The page offers this very feed.
        feed_url = f"{SITE_URL}/{feed_file.relative_to(project_site).as_posix()}"
        offered = lxml.html.parse(str(page)).xpath(
            "//link[@rel='alternate'][@type='application/atom+xml']/@href"
        )
        assert feed_url in offered, (feed_file, parsed.feed.link, offered)
        checked += 1
    assert checked >= 8  # categories, regions, sources and the story
    everything = feedparser.parse((project_site / "feeds/semua.atom.xml").read_bytes())
    assert everything.feed.link == f"{SITE_URL}/"


def _lastmods(site: Path) -> dict[str, str | None]:
    root = lxml.etree.parse(str(site / "sitemap.xml")).getroot()
    return {
        url.findtext(f"{{{SITEMAP_NS}}}loc"): url.findtext(f"{{{SITEMAP_NS}}}lastmod")
        for url in root.iter(f"{{{SITEMAP_NS}}}url")
    }


def test_every_term_page_has_its_own_lastmod(project_site: Path):
    """A region's, source's or story's page changes when one of its items
    does, not whenever any item of the site does (they all had the site's
    newest): its lastmod is the newest change among the items its feed
    holds, as for a category's page."""
    lastmods = _lastmods(project_site)
    checked = set()
    for feed_file in sorted((project_site / "feeds").glob("*/*.xml")):
        parsed = feedparser.parse(feed_file.read_bytes())
        assert len(parsed.entries) < 25  # the feed holds every item of the term
        newest = max(entry.updated for entry in parsed.entries)
        assert lastmods[parsed.feed.link] == newest, (feed_file, parsed.feed.link)
        checked.add(feed_file.parent.name)
    assert checked == {"kategori", "wilayah", "sumber", "cerita"}
    # Korea Selatan's one item is older than the site's newest.
    korea_selatan = lastmods[f"{SITE_URL}/wilayah/korea-selatan/"]
    assert korea_selatan < lastmods[f"{SITE_URL}/"]


def test_a_page_without_a_date_claims_no_change(project_site: Path):
    """The about page (no Date, no Modified) had the newest item's time as
    its lastmod, moving with every new item: a false one. It has none; an
    item and a list keep theirs."""
    lastmods = _lastmods(project_site)
    assert lastmods[f"{SITE_URL}/tentang/"] is None
    assert lastmods[f"{SITE_URL}/"] is not None
    assert lastmods[f"{SITE_URL}/2024/08/uji-tautan-relatif/"] is not None


def test_a_sitemap_too_big_for_one_file_becomes_an_index(tmp_path: Path):
    """A sitemap holds at most 50,000 URLs (the protocol's limit; a site of
    many years' items passes it with its day and term pages): beyond
    SEO_SITEMAP_MAX_URLS, sitemap.xml is an index of parts that list every
    page once, each within the limit; robots.txt names the index. A smaller
    build later removes the parts."""
    project = copy_project(tmp_path / "project")
    output = tmp_path / "output"
    build_published(project, output, SITE_URL, KILAS_NOW=NOW, SEO_SITEMAP_MAX_URLS=10)
    index = lxml.etree.parse(str(output / "sitemap.xml")).getroot()
    assert index.tag == f"{{{SITEMAP_NS}}}sitemapindex"
    parts = [s.findtext(f"{{{SITEMAP_NS}}}loc") for s in index]
    assert len(parts) >= 3
    locs = []
    for number, part in enumerate(parts, start=1):
        assert part == f"{SITE_URL}/sitemap-{number}.xml"
        file = _file_of(output, part)
        root = lxml.etree.parse(str(file)).getroot()
        assert root.tag == f"{{{SITEMAP_NS}}}urlset"
        urls = root.findall(f"{{{SITEMAP_NS}}}url")
        assert 1 <= len(urls) <= 10
        locs += [url.findtext(f"{{{SITEMAP_NS}}}loc") for url in urls]
        # The part's lastmod is its newest page's.
        dates = [u.findtext(f"{{{SITEMAP_NS}}}lastmod") for u in urls]
        newest = max(filter(None, dates), key=datetime.fromisoformat)
        assert index[number - 1].findtext(f"{{{SITEMAP_NS}}}lastmod") == newest
    pages = {
        f"{SITE_URL}/{p.relative_to(output).as_posix().removesuffix('index.html')}"
        for p in output.rglob("*.html")
        if p.name != "404.html"
    }
    assert sorted(locs) == sorted(pages)
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {SITE_URL}/sitemap.xml\n" in robots
    assert "sitemap-1.xml" not in robots

    build_published(project, output, SITE_URL, KILAS_NOW=NOW)
    root = lxml.etree.parse(str(output / "sitemap.xml")).getroot()
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    assert list(output.glob("sitemap-*.xml")) == []


@pytest.mark.parametrize("value", [0, 50001, "many", True])
def test_a_sitemap_size_beyond_the_protocol_is_refused(
    tmp_path: Path, value, caplog: pytest.LogCaptureFixture
):
    project = copy_project(tmp_path / "project")
    with pytest.raises(BuildFailed):
        build_published(
            project, tmp_path / "output", SITE_URL, SEO_SITEMAP_MAX_URLS=value
        )
    assert f"SEO_SITEMAP_MAX_URLS = {value!r} is not allowed" in caplog.text
    assert "from 1 to 50000" in caplog.text


def test_feed_entry_ids_survive_a_move_to_a_custom_domain(tmp_path: Path):
    """With SEO_FEED_ID_AUTHORITY set, moving the site from a project path
    (user.github.io/kilas-demo) to a custom domain at the root keeps every
    entry id, so readers do not show every item again as new."""
    project = copy_project(tmp_path / "project")
    ids = []
    for site_url in (SITE_URL, "https://berita.example.org"):
        output = tmp_path / urlsplit(site_url).hostname
        build_published(
            project,
            output,
            site_url,
            KILAS_NOW=NOW,
            SEO_FEED_ID_AUTHORITY="kilas.example",
        )
        feed = feedparser.parse((output / "feeds/semua.atom.xml").read_bytes())
        ids.append(sorted(entry.id for entry in feed.entries))
        assert all(i.startswith("tag:kilas.example,2024-") for i in ids[-1])
    assert ids[0] == ids[1]


def test_feed_entry_ids_of_a_root_site_are_unchanged(tmp_path: Path):
    """Entry ids of a site at the root stay what they were (tag URIs with
    the item's path), so no subscriber sees items again."""
    project = copy_project(tmp_path / "project")
    output = tmp_path / "output"
    build_published(project, output, "https://kilas.github.io", KILAS_NOW=NOW)
    feed = feedparser.parse((output / "feeds/semua.atom.xml").read_bytes())
    sample = next(e for e in feed.entries if "banjir-hancurkan" in e.link)
    assert sample.id == (
        "tag:kilas.github.io,2024-08-04:/2024/08/banjir-hancurkan-4000-rumah/"
    )
    assert urljoin(sample.link, "/") == "https://kilas.github.io/"
