"""Feeds, sitemaps and robots.txt of a publish build under a path prefix."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import PROJECT, add_item, build_published, search_shards

from kilas.build import BuildFailed

SITE_URL = "https://example.org/kilas"
NOW = "2024-08-05T12:00:00+07:00"
EVER = "9999-12-31T00:00:00+07:00"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")
JAKARTA = ZoneInfo("Asia/Jakarta")


def publish(output: Path, **extra) -> dict:
    """The publish settings for SITE_URL, built in this process."""
    return build_published(PROJECT, output, SITE_URL, **extra)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("published") / "output"
    publish(output, KILAS_NOW=NOW)
    return output


def _content_dates(until: str = NOW) -> list[tuple[datetime, str]]:
    """(date, lang) of every repository item published by ``until`` (the
    build's "now": later items are scheduled), read from the headers here."""
    found = []
    for path in sorted((PROJECT / "content" / "items").rglob("*.md")):
        header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        fields = dict(
            line.split(":", 1) for line in header.splitlines() if ":" in line[:20]
        )
        if fields.get("Status", "published").strip() != "published":
            continue
        date = datetime.fromisoformat(fields["Date"].strip()).replace(tzinfo=JAKARTA)
        if date <= datetime.fromisoformat(until):
            found.append((date, fields.get("Lang", "id").strip()))
    return found


# -- feeds ------------------------------------------------------------------
def _feeds(site: Path) -> list[Path]:
    return sorted((site / "feeds").rglob("*.xml"))


def test_every_feed_parses_with_absolute_links(published: Path):
    feeds = _feeds(published)
    names = {p.relative_to(published).as_posix() for p in feeds}
    assert "feeds/semua.atom.xml" in names
    assert "feeds/kategori/internasional.atom.xml" in names
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        root = lxml.etree.parse(str(path)).getroot()
        assert root.get(XML_LANG) == "id", path
        self_link = root.find(f"{{{ATOM_NS}}}link[@rel='self']").get("href")
        assert self_link == f"{SITE_URL}/{path.relative_to(published).as_posix()}"
        # The page the feed follows (a term's feed, its term's page: see
        # test_discovery_extremes.py), under the site.
        assert parsed.feed.link.startswith(f"{SITE_URL}/"), path
        assert parsed.entries, path
        for entry in parsed.entries:
            assert entry.link.startswith(f"{SITE_URL}/"), entry.link
            assert entry.id.startswith("tag:example.org,2024-"), entry.id
            # the path from the site's root ("/kilas" left out: ids survive
            # a move to a domain of its own; test_discovery_extremes.py)
            assert entry.id.endswith(":" + entry.link.removeprefix(SITE_URL))
            assert entry.summary and entry.content[0].value
            assert entry.summary != entry.content[0].value
            assert OFFSET.search(entry.published) or entry.published.endswith("Z")


def test_all_items_feed_has_every_item_and_its_language(published: Path):
    path = published / "feeds" / "semua.atom.xml"
    parsed = feedparser.parse(path.read_bytes())
    assert len(parsed.entries) == len(_content_dates())
    root = lxml.etree.parse(str(path)).getroot()
    langs = {
        entry.findtext(f"{{{ATOM_NS}}}id"): entry.get(XML_LANG, root.get(XML_LANG))
        for entry in root.iter(f"{{{ATOM_NS}}}entry")
    }
    english = [i for i, lang in langs.items() if lang == "en"]
    assert len(english) == 1 and english[0].startswith(
        "tag:example.org,2024-08-04:/en/2024/"
    )
    assert sorted(lang for _, lang in _content_dates()) == sorted(langs.values())
    sample = next(e for e in parsed.entries if "putin-tawarkan" in e.link)
    assert sample.title.startswith("Putin Tawarkan Bantuan Kemanusiaan")
    assert sample.updated.startswith("2024-08-05T08:00:00+07:00")
    assert "Kim Jong Un berterima kasih" in sample.content[0].value
    assert "Putin menawarkan bantuan kemanusiaan" in sample.summary


def test_every_feed_has_its_own_id(published: Path):
    ids = {}
    for path in _feeds(published):
        root = lxml.etree.parse(str(path)).getroot()
        ids[path] = root.findtext(f"{{{ATOM_NS}}}id")
        assert ids[path] == f"{SITE_URL}/{path.relative_to(published).as_posix()}"
    assert len(set(ids.values())) == len(ids) >= 10


# RFC 4151: tag:<domain or email>,<date>:<specific>
TAG_URI = re.compile(
    r"^tag:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?:@[A-Za-z0-9.-]+)?"
    r",\d{4}(?:-\d{2}(?:-\d{2})?)?:[\x21-\x7e]+$"
)


def test_feed_ids_are_valid_without_siteurl(site: Path):
    """A development build (no SITEURL) writes valid, distinct ids too."""
    feed_ids, entry_ids = [], []
    for path in _feeds(site):
        root = lxml.etree.parse(str(path)).getroot()
        feed_ids.append(root.findtext(f"{{{ATOM_NS}}}id"))
        entry_ids += [
            (path, entry.findtext(f"{{{ATOM_NS}}}id"))
            for entry in root.iter(f"{{{ATOM_NS}}}entry")
        ]
    assert len(set(feed_ids)) == len(feed_ids)
    for value in feed_ids + [i for _, i in entry_ids]:
        assert TAG_URI.match(value), value
        assert "None" not in value
    all_items = [i for p, i in entry_ids if p.name == "semua.atom.xml"]
    # the site fixture is built at the clock's "now": every item is out
    assert len(set(all_items)) == len(all_items) == len(_content_dates(EVER))


# A copy of https://github.com/w3c/feedvalidator (its src/ folder at least).
FEEDVALIDATOR = Path(
    os.environ.get("KILAS_FEEDVALIDATOR")
    or Path.home() / ".cache" / "kilas" / "feedvalidator"
)


def test_w3c_feed_validator_finds_nothing(published: Path):
    """The W3C feed validator (w3c/feedvalidator, not on PyPI: see the
    README's "Checking feeds with the W3C validator") on every feed."""
    source = FEEDVALIDATOR / "src"
    if not (source / "feedvalidator" / "__init__.py").is_file():
        pytest.skip(
            f"no W3C feed validator checkout at {FEEDVALIDATOR} (set "
            "KILAS_FEEDVALIDATOR; README: Checking feeds with the W3C validator)"
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(source))
        import feedvalidator
        from feedvalidator import compatibility
        from feedvalidator.formatter.text_plain import Formatter
    problems = []
    for path in _feeds(published):
        address = f"{SITE_URL}/{path.relative_to(published).as_posix()}"
        try:
            events = feedvalidator.validateString(
                path.read_bytes(), firstOccurrenceOnly=1, base=address
            )["loggedEvents"]
        except feedvalidator.logging.ValidationFailure as failure:
            events = [failure.event]
        problems += [
            f"{address}: {line}" for line in Formatter(compatibility.AA(events))
        ]
    assert problems == []


def test_feed_ids_are_stable_across_builds(published: Path, tmp_path: Path):
    again = tmp_path / "again"
    # Later: the items scheduled after NOW are published too (new entries).
    publish(again, KILAS_NOW="2031-01-01T00:00:00+07:00")
    for path in _feeds(published):
        first = [e.id for e in feedparser.parse(path.read_bytes()).entries]
        other = again / path.relative_to(published)
        second = [e.id for e in feedparser.parse(other.read_bytes()).entries]
        assert first == [i for i in second if i in first], path
        assert len(second) >= len(first)


def test_pages_link_the_feed_absolutely(published: Path):
    root = lxml.html.parse(str(published / "index.html")).getroot()
    hrefs = root.xpath("//link[@type='application/atom+xml']/@href")
    assert f"{SITE_URL}/feeds/semua.atom.xml" in hrefs


# -- sitemap.xml -------------------------------------------------------------
def test_sitemap_lists_every_page_but_404(published: Path):
    tree = lxml.etree.parse(str(published / "sitemap.xml"))
    root = tree.getroot()
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    urls = root.findall(f"{{{SITEMAP_NS}}}url")
    locs = [u.findtext(f"{{{SITEMAP_NS}}}loc") for u in urls]
    pages = set()
    for path in published.rglob("*.html"):
        relative = path.relative_to(published).as_posix()
        if relative != "404.html":
            pages.add(f"{SITE_URL}/{relative.removesuffix('index.html')}")
    assert set(locs) == pages
    assert len(locs) == len(set(locs))
    assert f"{SITE_URL}/cari/" in locs
    for url in urls:
        lastmod = url.findtext(f"{{{SITEMAP_NS}}}lastmod")
        if url.findtext(f"{{{SITEMAP_NS}}}loc") == f"{SITE_URL}/tentang/":
            assert lastmod is None  # a page without a date claims no change
            continue
        assert lastmod and OFFSET.search(lastmod), lastmod
        datetime.fromisoformat(lastmod)
    by_loc = {
        u.findtext(f"{{{SITEMAP_NS}}}loc"): u.findtext(f"{{{SITEMAP_NS}}}lastmod")
        for u in urls
    }
    sample = f"{SITE_URL}/2024/08/putin-tawarkan-bantuan-banjir-korea-utara/"
    assert by_loc[sample] == "2024-08-05T08:00:00+07:00"  # its Modified
    newest = max(date for date, _ in _content_dates())
    assert by_loc[f"{SITE_URL}/"] == newest.isoformat()


def test_drafts_stay_out_of_sitemap_and_search(project: Path, tmp_path: Path):
    add_item(project, "draf-banjir", "Draf Banjir Susulan", "draft", "Isi draf banjir.")
    output = tmp_path / "output"
    build_published(project, output, SITE_URL, KILAS_NOW=NOW, SEARCH_INDEX=True)
    # A publish build leaves drafts out entirely (issue 12: they were
    # published under draf/ before).
    assert not (output / "draf").exists()
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    news = (output / "news-sitemap.xml").read_text(encoding="utf-8")
    assert "/draf/" not in sitemap and "/draf/" not in news
    # the items published by NOW and the translation
    assert search_shards(output) == {"2024": len(_content_dates())}


def test_hidden_items_stay_out_of_the_sitemap(project: Path, tmp_path: Path):
    """A hidden item is built at its address but not listed: the sitemap,
    a list for search engines, listed it."""
    add_item(project, "tersembunyi", "Butir Tersembunyi", "hidden", "Isi tersembunyi.")
    output = tmp_path / "output"
    build_published(project, output, SITE_URL, KILAS_NOW=NOW)
    hidden = next(output.rglob("tersembunyi/index.html"))
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    address = hidden.parent.relative_to(output).as_posix()
    assert f"/{address}/" not in sitemap
    assert f"{SITE_URL}/tentang/" in sitemap  # the listed ones stay


# -- news-sitemap.xml ----------------------------------------------------------
def _news(site: Path) -> list[lxml.etree._Element]:
    root = lxml.etree.parse(str(site / "news-sitemap.xml")).getroot()
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    return root.findall(f"{{{SITEMAP_NS}}}url")


def test_news_sitemap_window_with_fixed_now(published: Path):
    now = datetime.fromisoformat(NOW)
    expected = sorted(
        (
            date
            for date, _ in _content_dates()
            if now - timedelta(days=2) <= date <= now
        ),
        reverse=True,
    )
    urls = _news(published)
    assert len(urls) == len(expected) == 5  # two items after "now" are left out
    dates = []
    for url in urls:
        assert url.findtext(f"{{{SITEMAP_NS}}}loc").startswith(f"{SITE_URL}/")
        news = url.find(f"{{{NEWS_NS}}}news")
        publication = news.find(f"{{{NEWS_NS}}}publication")
        assert publication.findtext(f"{{{NEWS_NS}}}name") == "Kilas"
        assert publication.findtext(f"{{{NEWS_NS}}}language") in {"id", "en"}
        assert news.findtext(f"{{{NEWS_NS}}}title")
        published_at = news.findtext(f"{{{NEWS_NS}}}publication_date")
        assert OFFSET.search(published_at)
        dates.append(datetime.fromisoformat(published_at))
    assert dates == expected  # newest first
    languages = [
        u.find(f"{{{NEWS_NS}}}news/{{{NEWS_NS}}}publication/{{{NEWS_NS}}}language").text
        for u in urls
    ]
    assert sorted(languages) == ["en", "id", "id", "id", "id"]


def test_news_sitemap_empty_and_capped(tmp_path: Path):
    # No item in the window: no news sitemap at all (an empty urlset is
    # invalid against the schema), and robots.txt does not name one; a
    # file an earlier build wrote goes away.
    empty = tmp_path / "empty"
    publish(empty, KILAS_NOW=NOW)
    assert len(_news(empty)) == 5
    publish(empty, KILAS_NOW="2030-01-01T00:00:00+07:00")
    assert not (empty / "news-sitemap.xml").exists()
    robots = (empty / "robots.txt").read_text(encoding="utf-8")
    assert "news-sitemap" not in robots
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in robots
    capped = tmp_path / "capped"
    publish(capped, KILAS_NOW=NOW, SEO_NEWS_MAX_ITEMS=2)
    urls = _news(capped)
    assert [u.findtext(f"{{{SITEMAP_NS}}}loc") for u in urls] == [
        f"{SITE_URL}/2024/08/korea-selatan-siap-bahas-bantuan-banjir/",
        f"{SITE_URL}/2024/08/kim-jong-un-tanggapi-tawaran-putin/",
    ]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("KILAS_NOW", "kemarin"), ("SEO_NEWS_MAX_ITEMS", 0), ("SEO_OG_LOCALES", "id")],
)
def test_bad_settings_fail_the_build(tmp_path: Path, setting: str, value):
    output = tmp_path / "output"
    with pytest.raises(BuildFailed):
        publish(output, **{setting: value})
    assert not output.exists()


# -- robots.txt ----------------------------------------------------------------
def test_robots_names_both_sitemaps(published: Path):
    lines = (published / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /kilas/draf/" in lines
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in lines
    assert f"Sitemap: {SITE_URL}/news-sitemap.xml" in lines
    assert not (PROJECT / "content" / "extra" / "robots.txt").exists()
