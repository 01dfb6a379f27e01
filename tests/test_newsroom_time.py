"""Time in a newsroom's day, as outside testers try it: every date a reader
sees and every machine date (``<time datetime>``, feeds, sitemaps, JSON-LD)
of items near midnight, with other offsets, with Modified and Correction, a
hundred years old, in zones with summer time and in English.

Sites are built from a copy of the project with real Pelican and a fixed
``KILAS_NOW``; feeds are read with feedparser, sitemaps with lxml.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from conftest import copy_project, page, run_build

from kilas.build import build

NOW = "2024-08-06T12:00:00+07:00"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# A valid global date and time string of HTML (and W3C datetime, RFC 3339):
# the offset is Z or hours and minutes, never seconds.
MACHINE_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$"
)


def _write(project: Path, name: str, text: str, folder: str = "2024/08") -> Path:
    path = project / "content" / "items" / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _item(title: str, date: str, extra: str = "") -> str:
    return (
        f"Title: {title}\nDate: {date}\nCategory: Bencana\nRegion: Korea Utara\n"
        f"Source: SinarHarapan.id\n{extra}Summary: Ringkasan {title}.\n\n"
        f"Isi {title}.\n"
    )


def _build(project: Path, output: Path, **extra) -> dict:
    extra.setdefault("SEARCH_INDEX", False)
    extra.setdefault("KILAS_NOW", NOW)
    return build(settings_file=project / "pelicanconf.py", output=output, extra=extra)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _sitemap(site: Path, name: str = "sitemap.xml") -> dict[str, str]:
    """loc -> lastmod of a sitemap."""
    root = lxml.etree.parse(str(site / name)).getroot()
    return {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
        for url in root.iter(f"{SITEMAP_NS}url")
    }


def _news_dates(site: Path) -> dict[str, str]:
    """loc -> publication_date of the news sitemap ({} when none was written)."""
    if not (site / "news-sitemap.xml").exists():
        return {}
    root = lxml.etree.parse(str(site / "news-sitemap.xml")).getroot()
    return {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(
            f"{NEWS_NS}news/{NEWS_NS}publication_date"
        )
        for url in root.iter(f"{SITEMAP_NS}url")
    }


def _news_article(site: Path, path: str) -> dict:
    tree = page(site, path)
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        data = json.loads(script)
        for part in data if isinstance(data, list) else [data]:
            if part.get("@type") == "NewsArticle":
                return part
    raise AssertionError(f"{path} has no NewsArticle")


def _shown(tree, where: str = "//article//p[@class='meta']/time") -> tuple[str, str]:
    element = tree.xpath(where)[0]
    return element.get("datetime"), element.text_content().strip()


# -- one site, built once ---------------------------------------------------------
@pytest.fixture(scope="module")
def newsroom(tmp_path_factory) -> Path:
    """The repository's items and a newsroom's awkward ones, built once."""
    project = copy_project(tmp_path_factory.mktemp("newsroom") / "project")
    # Jakarta's clocks ran 7:07:12 ahead of UTC until 1924, 9 hours ahead
    # in 1943 (Tokyo time): neither is WIB (+07:00).
    _write(
        project, "seabad-lalu", _item("Kabar Seabad Lalu", "1923-08-04 10:30"), "1923"
    )
    _write(project, "masa-pendudukan", _item("Kabar 1943", "1943-08-04 10:30"), "1943")
    # Modified equal to Date (written with another offset): no update.
    sama = "Modified: 2024-07-30T03:00Z\n"
    _write(project, "tanpa-pembaruan", _item("Kabar Tanpa", "2024-07-30 10:00", sama))
    ralat = "Modified: 2024-07-31 09:00\nCorrection: Angka korban diperbaiki.\n"
    _write(project, "dengan-ralat", _item("Kabar Ralat", "2024-07-30 11:00", ralat))
    output = tmp_path_factory.mktemp("newsroom") / "output"
    _build(project, output, DEFAULT_PAGINATION=4)
    return output


# -- sitemap lastmod of the timeline's pages ---------------------------------------
def test_a_period_page_changes_with_its_own_items_not_the_sites_newest(newsroom):
    """A day, week, month or year page (its further pages too) is as new as
    the newest item it shows: the edition of 4 August 1923 did not change
    when today's news came in (it said 5 August 2024, 16.00)."""
    # (A page without a date, the about page, has no lastmod.)
    lastmod = {
        loc: _instant(value)
        for loc, value in _sitemap(newsroom).items()
        if value is not None
    }
    old = _instant("1923-08-04T03:22:48Z")  # 10.30 in Batavia, +07:07:12
    for path in ("linimasa/1923/08/04/", "linimasa/1923/08/", "linimasa/1923/"):
        assert lastmod[f"/{path}"] == old, path
    assert lastmod["/edisi/1923-w31/"] == old
    # 4 August 2024: its newest change is the sample item's Modified.
    assert lastmod["/linimasa/2024/08/04/"] == _instant("2024-08-05T08:00:00+07:00")
    # August 2024 has a second page (4 items a page): the month's newest item.
    august = _instant("2024-08-05T16:00:00+07:00")
    assert lastmod["/linimasa/2024/08/"] == august
    assert lastmod["/linimasa/2024/08/halaman/2/"] == august
    # The site's own pages follow its newest item.
    newest = max(lastmod.values())
    assert lastmod["/"] == lastmod["/linimasa/"] == newest


# -- Modified ------------------------------------------------------------------
def _updated(tree, slug: str | None = None) -> list[str]:
    """The "Diperbarui ..." texts of an item page, or of ``slug``'s entry in
    a list."""
    where = "//p[contains(@class, 'updated')]"
    if slug:
        where = (
            "//article[contains(@class, 'digest-item')]"
            f"[.//a[contains(@href, '/{slug}/')]]"
            "//span[@class='updated']"
        )
    return [" ".join(e.text_content().split()) for e in tree.xpath(where)]


def test_modified_equal_to_date_is_no_update(newsroom):
    """``Modified`` at the very time of ``Date`` (whatever offset it was
    written with) is the first version: no "Diperbarui" beside the same time
    on the item's page or in a list; a later Modified is shown."""
    assert _updated(page(newsroom, "2024/07/tanpa-pembaruan")) == []
    day = page(newsroom, "linimasa/2024/07/30")
    assert _updated(day, "tanpa-pembaruan") == []
    assert _updated(page(newsroom, "2024/07/dengan-ralat")) == [
        "Dikoreksi Rabu, 31 Juli 2024 · 09.00 WIB"
    ]
    assert _updated(day, "dengan-ralat") == ["Diperbarui 31 Jul 2024, 09.00 WIB"]
    same = _news_article(newsroom, "2024/07/tanpa-pembaruan")
    assert same["dateModified"] == same["datePublished"] == "2024-07-30T10:00:00+07:00"


# -- machine dates -------------------------------------------------------------------
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _machine_dates(site: Path) -> dict[str, list[str]]:
    """Every machine-readable date of a site, by the file that holds it:
    ``<time datetime>``, OpenGraph times, JSON-LD dates, the Atom feeds'
    ``<published>``/``<updated>``, the sitemaps' dates."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*.html")):
        tree = lxml.html.fromstring(path.read_bytes())
        dates = tree.xpath("//time/@datetime")
        dates += tree.xpath("//meta[contains(@property, '_time')]/@content")
        for script in tree.xpath("//script[@type='application/ld+json']/text()"):
            for key in ("datePublished", "dateModified"):
                dates += re.findall(rf'"{key}":"([^"]*)"', script)
        found[path.relative_to(site).as_posix()] = dates
    atom = "{http://www.w3.org/2005/Atom}"
    for path in sorted(site.rglob("*.atom.xml")):
        root = lxml.etree.parse(str(path)).getroot()
        found[path.relative_to(site).as_posix()] = [
            e.text for e in root.iter(f"{atom}published", f"{atom}updated")
        ]
    for name in ("sitemap.xml", "news-sitemap.xml"):
        if (site / name).exists():
            root = lxml.etree.parse(str(site / name)).getroot()
            found[name] = [
                e.text
                for e in root.iter(f"{SITEMAP_NS}lastmod", f"{NEWS_NS}publication_date")
            ]
    return found


def test_every_machine_date_is_valid(newsroom):
    """An offset in seconds (Jakarta's local mean time, +07:07:12, before
    1924) is in no standard: every machine date has Z or hours and minutes
    (a day, in a calendar or a heading, is a date alone)."""
    bad = {
        name: value
        for name, values in _machine_dates(newsroom).items()
        for value in values
        if not (MACHINE_DATE.match(value) or DATE_ONLY.match(value))
    }
    assert bad == {}
    assert sum(map(len, _machine_dates(newsroom).values())) > 500


@pytest.mark.parametrize(
    ("slug", "instant", "shown"),
    [
        # 10.30 in Batavia: +07:07:12 until 1924
        (
            "1923/08/seabad-lalu",
            "1923-08-04T03:22:48Z",
            "Sabtu, 4 Agustus 1923 · 10.30 GMT+07:07",
        ),
        # 10.30 in occupied Jakarta: Tokyo time, +09:00
        (
            "1943/08/masa-pendudukan",
            "1943-08-04T01:30:00Z",
            "Rabu, 4 Agustus 1943 · 10.30 GMT+09:00",
        ),
        ("2024/08/kim-jong-un-tanggapi-tawaran-putin", "2024-08-04T05:00Z", None),
    ],
)
def test_an_old_item_names_one_instant_everywhere(newsroom, slug, instant, shown):
    """The item's page, its feed entry, JSON-LD and the sitemaps name the
    same instant; the page names the offset of the day (WIB is +07:00 and
    dates from 1964: "10.30 WIB" in 1943 would be two hours off)."""
    when = _instant(instant)
    tree = page(newsroom, slug)
    datetime_, text = _shown(tree)
    assert _instant(datetime_) == when
    if shown:
        assert text == shown
    else:
        assert text.endswith(" WIB")
    data = _news_article(newsroom, slug)
    assert _instant(data["datePublished"]) == when
    url = f"/{slug}/"
    assert _instant(_sitemap(newsroom)[url]) >= when
    feed = feedparser.parse((newsroom / "feeds/semua.atom.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link == url)
    assert not feed.bozo
    assert _instant(entry.published) == when
    assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == when


# -- summer time ---------------------------------------------------------------------
def _zone_project(tmp_path: Path, zone: str) -> Path:
    project = copy_project(tmp_path / "project")
    settings = project / "pelicanconf.py"
    text = settings.read_text(encoding="utf-8")
    assert 'TIMEZONE = "Asia/Jakarta"' in text
    settings.write_text(text.replace("Asia/Jakarta", zone), encoding="utf-8")
    return project


def test_a_time_the_clocks_skip_or_repeat_is_named(tmp_path: Path):
    """Where summer time starts, 02:30 is no time; where it ends, 02:30
    happens twice. Either was taken silently (a page said "02.30 CET" for
    a time no clock showed, or the first of two instants an hour apart);
    each is an error on its line, with what to write."""
    project = _zone_project(tmp_path, "Europe/Amsterdam")
    _write(project, "jam-hilang", _item("Jam Hilang", "2024-03-31 02:30"), "2024/03")
    _write(project, "jam-ulang", _item("Jam Ulang", "2024-10-27 02:30"), "2024/10")
    # With its offset, a time of the repeated hour is plain.
    _write(
        project,
        "jam-ulang-jelas",
        _item("Jam Ulang Jelas", "2024-10-27T02:45+01:00"),
        "2024/10",
    )
    result = run_build(
        "--check", cwd=project, env={"KILAS_NOW": "2024-11-30T12:00+01:00"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [
        line
        for line in result.stderr.splitlines()
        if "jam-hilang" in line or "jam-ulang" in line
    ]
    assert lines == [
        'content/items/2024/03/jam-hilang.md:2: Date: "2024-03-31 02:30" is not'
        " a date: 02:30 on 2024-03-31 is no time in Europe/Amsterdam: the clocks"
        ' went forward that night. Did you mean "2024-03-31 03:30"?',
        'content/items/2024/10/jam-ulang.md:2: Date: "2024-10-27 02:30" is not a'
        " date: 02:30 on 2024-10-27 happens twice in Europe/Amsterdam (the clocks"
        " went back that night): write the offset of the one meant,"
        " 2024-10-27T02:30+02:00 or 2024-10-27T02:30+01:00",
    ]


@pytest.mark.parametrize(
    ("zone", "value", "read"),
    [
        ("America/New_York", "2024-03-10 02:05", None),  # skipped
        ("America/New_York", "2024-11-03 01:30", None),  # twice
        ("America/New_York", "2024-11-03T01:30-05:00", "2024-11-03T06:30:00+00:00"),
        ("America/New_York", "2024-11-03 02:00", "2024-11-03T07:00:00+00:00"),
        ("Europe/Amsterdam", "2024-03-31 03:00", "2024-03-31T01:00:00+00:00"),
        ("Asia/Jakarta", "2024-08-04 00:00", "2024-08-03T17:00:00+00:00"),
    ],
)
def test_wall_times_around_summer_time(zone: str, value: str, read: str | None):
    """Dates, Modified and KILAS_NOW are read by one function: a skipped or
    repeated clock time without an offset is refused, every other is one
    instant."""
    from zoneinfo import ZoneInfo

    from kilas_settings import NoSuchDate, parse_date

    if read is None:
        with pytest.raises(NoSuchDate):
            parse_date(value, ZoneInfo(zone))
    else:
        assert parse_date(value, ZoneInfo(zone)).astimezone(UTC).isoformat() == read


def test_the_news_window_counts_real_hours_across_a_change_of_clocks(
    project: Path, tmp_path: Path
):
    """48 hours before 28 October 2024, 12.00 CET is 26 October, 13.00
    CEST: the clocks went back between. An item of 12.30 CEST (48.5 hours
    old) was listed by counting 48 hours on the clock face."""
    _write(project, "lewat", _item("Kabar Lewat", "2024-10-26T12:30+02:00"), "2024/10")
    _write(project, "masuk", _item("Kabar Masuk", "2024-10-26T13:30+02:00"), "2024/10")
    output = tmp_path / "output"
    settings = _build(
        project,
        output,
        TIMEZONE="Europe/Amsterdam",
        KILAS_NOW="2024-10-28T12:00+01:00",
    )
    news = _news_dates(output)
    assert news == {"/2024/10/masuk/": "2024-10-26T13:30:00+02:00"}
    # The site stays right until the listed item is 48 hours old.
    until = _instant("2024-10-28T11:30:00Z").timestamp()
    assert settings["KILAS_STATS"]["valid_until"] == until


# -- English -----------------------------------------------------------------------------
def test_english_dates_are_written_one_way(project: Path, tmp_path: Path):
    """An English site wrote "Sunday, 4 August 2024" on an item's page and
    "Aug 4, 2024" in its lists and facts: every date a reader sees puts
    the day first, with Babel's English names."""
    _write(project, "larut", _item("Late News", "2024-08-04T16:59Z"))
    output = tmp_path / "output"
    _build(project, output, DEFAULT_LANG="en")
    dates = re.compile(
        r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*, \d{1,2} [A-Z][a-z]+ \d{4}"
        r"|\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}"
    )
    american = re.compile(
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}"
    )
    texts = {
        path.relative_to(output).as_posix(): " ".join(
            lxml.html.fromstring(path.read_bytes()).xpath("string(//main)").split()
        )
        for path in output.rglob("*.html")
    }
    assert {name: american.findall(text) for name, text in texts.items()} == {
        name: [] for name in texts
    }
    late = texts["2024/08/larut/index.html"]
    assert "Sunday, 4 August 2024 · 23:59 WIB" in late
    day = texts["linimasa/2024/08/04/index.html"]
    assert "Updated 5 Aug 2024, 08:00 WIB" in day
    assert len(dates.findall(" ".join(texts.values()))) > 50


def test_a_correction_says_when(newsroom):
    """A corrected item's dateline names the correction's time (``Modified``,
    as the README asks editors to set it) in the site's zone, with its
    machine date; the note itself follows the text."""
    tree = page(newsroom, "2024/07/dengan-ralat")
    assert _updated(tree) == ["Dikoreksi Rabu, 31 Juli 2024 · 09.00 WIB"]
    when = tree.xpath("//p[contains(@class, 'updated')]/time/@datetime")
    assert when == ["2024-07-31T09:00:00+07:00"]
    note = tree.xpath("//aside[contains(@class, 'correction')]")[0]
    assert " ".join(note.text_content().split()) == "Koreksi Angka korban diperbaiki."
    # An update without a correction is an update.
    assert _updated(page(newsroom, "2024/08/putin-tawarkan-bantuan-banjir-korea-utara"))
