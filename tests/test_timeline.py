"""The timeline (plugin kilas_timeline and Pelican's period archives): the
index with its calendar, year, month and day pages, weekly editions, the home
page's latest edition. Fixture: tests/fixtures/taxonomy/ (see test_taxonomy).
"""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest
from conftest import PROJECT, listed, page

from kilas.build import BuildFailed, build
from kilas.sitecheck import check_site

FIXTURE = PROJECT / "tests" / "fixtures" / "taxonomy"
DAYS = [
    "2022/12/30",
    "2024/01/08",
    "2024/01/10",
    "2024/01/22",
    "2024/03/04",
    "2024/03/05",
    "2024/03/20",
    "2024/03/31",
    "2024/04/01",
    "2024/04/15",
    "2024/04/16",
    "2024/12/30",
]
WEEKS = [
    "2022-w52",
    "2024-w02",
    "2024-w04",
    "2024-w10",
    "2024-w12",
    "2024-w13",
    "2024-w14",
    "2024-w16",
    "2025-w01",
]
MONTHS = {"2022/12": 1, "2024/01": 4, "2024/03": 8, "2024/04": 7, "2024/12": 1}


@pytest.fixture(scope="module")
def fixture_site(taxonomy_site) -> Path:
    return taxonomy_site


def text(node) -> str:
    """Text with typogrify's no-break spaces as plain spaces."""
    value = node.value if hasattr(node, "value") else node.text_content()
    return value.replace("\xa0", " ").strip()


def neighbours(tree) -> tuple[list[str], list[str]]:
    """The previous and next links of the first period navigation."""
    nav = tree.xpath("//nav[@class='period-nav']")
    if not nav:
        return [], []
    return nav[0].xpath("a[@rel='prev']/@href"), nav[0].xpath("a[@rel='next']/@href")


def written(site: Path, pattern: str) -> list[str]:
    return sorted(
        p.parent.relative_to(site).as_posix()
        for p in site.glob(pattern + "/index.html")
    )


def test_a_day_page_for_each_day_with_items_only(fixture_site):
    assert written(fixture_site, "linimasa/[0-9]*/[0-9]*/[0-9]*") == [
        f"linimasa/{d}" for d in DAYS
    ]


def test_day_navigation_skips_empty_days(fixture_site):
    for index, day in enumerate(DAYS):
        before = [f"/linimasa/{DAYS[index - 1]}/"] if index else []
        after = [f"/linimasa/{DAYS[index + 1]}/"] if index + 1 < len(DAYS) else []
        assert neighbours(page(fixture_site, f"linimasa/{day}")) == (before, after)


def test_day_page_is_the_edition_grouped_by_category(fixture_site):
    day = page(fixture_site, "linimasa/2024/03/04")
    assert day.findtext(".//h1").endswith("Senin, 4 Maret 2024")
    # The newest item leads; the other categories follow by their newest
    # item (Nasional 09.00 before Ekonomi 08.00), not by a fixed list.
    assert listed(day, "//div[@class='edition-lead']") == ["/2024/03/berita-08/"]
    sections = day.xpath("//section[@class='edition-group']")
    assert [s.xpath("h2/a")[0].text for s in sections] == ["Nasional", "Ekonomi"]
    assert [listed(s, ".") for s in sections] == [
        ["/2024/03/berita-07/"],
        ["/2024/03/berita-06/"],
    ]
    summaries = day.xpath("//div[@class='digest-summary']")
    assert [text(s) for s in summaries] == [
        "Ringkasan berita 08.",
        "Ringkasan berita 07.",
        "Ringkasan berita 06.",
    ]
    # Under the day's heading, entries give the time, not the date again.
    times = [text(t) for t in day.xpath("//p[@class='meta']/time")]
    assert times == ["10.00 WIB", "09.00 WIB", "08.00 WIB"]
    links = day.xpath("//p[contains(@class, 'edition-summary')]/a/@href")
    assert links == ["/linimasa/2024/03/", "/edisi/2024-w10/"]


def test_weekly_editions_per_iso_week_and_navigation(fixture_site):
    assert written(fixture_site, "edisi/*") == [f"edisi/{w}" for w in WEEKS]
    for index, week in enumerate(WEEKS):
        before = [f"/edisi/{WEEKS[index - 1]}/"] if index else []
        after = [f"/edisi/{WEEKS[index + 1]}/"] if index + 1 < len(WEEKS) else []
        assert neighbours(page(fixture_site, f"edisi/{week}")) == (before, after)
    # 2024-12-30 is a Monday of ISO week 1 of 2025.
    new_year = page(fixture_site, "edisi/2025-w01")
    assert listed(new_year) == ["/2024/12/berita-21/"]
    w16 = page(fixture_site, "edisi/2024-w16")
    assert listed(w16, "//div[@class='edition-lead']") == ["/2024/04/berita-20/"]
    sections = w16.xpath("//section[@class='edition-group']")
    assert [s.xpath("h2/a")[0].text for s in sections] == ["Nasional", "Ekonomi"]
    assert [listed(s, ".") for s in sections] == [
        ["/2024/04/berita-19/", "/2024/04/berita-17/"],
        ["/2024/04/berita-18/", "/2024/04/berita-16/"],
    ]
    # A week's entries give the date and the time.
    first = w16.xpath("//section[@class='edition-group']//p[@class='meta']/time")[0]
    assert text(first) == "16 Apr 2024, 08.00 WIB"
    times = w16.xpath("//p[contains(@class, 'edition-summary')]/time/@datetime")
    assert times == ["2024-04-15", "2024-04-21"]


def test_edition_feed(fixture_site):
    parsed = feedparser.parse(fixture_site / "feeds/edisi.atom.xml")
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.link for e in parsed.entries] == [f"/edisi/{w}/" for w in reversed(WEEKS)]
    first = parsed.entries[-1]
    assert "2022" in first.title and "52" in first.title
    assert '<a href="/2022/12/berita-01/">Berita 01</a>' in text(first.content[0])
    assert len({e.id for e in parsed.entries}) == len(WEEKS)


def test_month_and_year_pages_skip_empty_periods(fixture_site):
    assert written(fixture_site, "linimasa/*/[0-9][0-9]") == [
        f"linimasa/{m}" for m in MONTHS
    ]
    months = list(MONTHS)
    for index, month in enumerate(months):
        tree = page(fixture_site, f"linimasa/{month}")
        before = [f"/linimasa/{months[index - 1]}/"] if index else []
        after = [f"/linimasa/{months[index + 1]}/"] if index + 1 < len(months) else []
        assert neighbours(tree) == (before, after)
        assert len(listed(tree)) == min(MONTHS[month], 10)
    march = page(fixture_site, "linimasa/2024/03")
    assert march.findtext(".//h1") == "Maret 2024"
    assert march.xpath("//ul[@class='day-list']/li/a/@href") == [
        f"/linimasa/{d}/" for d in DAYS if d.startswith("2024/03")
    ]
    assert written(fixture_site, "linimasa/2024/halaman/*") == [
        "linimasa/2024/halaman/2"
    ]
    assert len(listed(page(fixture_site, "linimasa/2024"))) == 10
    assert listed(page(fixture_site, "linimasa/2024/halaman/2"))[-2:] == [
        "/2024/01/berita-03/",
        "/2024/01/berita-02/",
    ]
    year = page(fixture_site, "linimasa/2024")
    assert year.findtext(".//h1") == "2024"
    assert neighbours(year) == (["/linimasa/2022/"], [])
    assert neighbours(page(fixture_site, "linimasa/2022")) == ([], ["/linimasa/2024/"])
    assert year.xpath("//ul[@class='month-list']/li/a/text()") == [
        "Januari",
        "Maret",
        "April",
        "Desember",
    ]


def test_timeline_index_draws_the_calendar(fixture_site):
    tree = page(fixture_site, "linimasa")
    years = tree.xpath("//section[@class='timeline-year']/h3/a/@href")
    assert years == ["/linimasa/2024/", "/linimasa/2022/"]
    months = tree.xpath("//table[@class='calendar-month']")
    assert [m.xpath("caption/a/@href")[0] for m in months] == [
        f"/linimasa/{m}/" for m in MONTHS
    ]
    counts = [count_of(m.xpath("caption/span")[0]) for m in months]
    assert counts == list(MONTHS.values())
    # Weekday labels are words, from Monday ("Sen"), each with its full name.
    heads = months[0].xpath("thead//th")
    assert [text(th.xpath("span[@aria-hidden]")[0]) for th in heads] == [
        "Sen",
        "Sel",
        "Rab",
        "Kam",
        "Jum",
        "Sab",
        "Min",
    ]
    assert text(heads[0].xpath("span[@class='visually-hidden']")[0]) == "Senin"
    cells = tree.xpath("//table[@class='calendar-month']//td[text() or a]")
    assert len(cells) == 31 + 31 + 31 + 30 + 31
    assert [text(c) for c in cells[:3]] == ["1", "2", "3"]  # day numbers
    # Every day with items is a link to its day page, named with its count.
    links = tree.xpath("//table[@class='calendar-month']//td/a")
    assert [a.get("href") for a in links] == [f"/linimasa/{d}/" for d in DAYS]
    assert [c for c in cells if c.get("class") != "level-0"] == [
        a.getparent() for a in links
    ]
    names = {a.get("href"): a.get("aria-label") for a in links}
    assert names["/linimasa/2024/03/04/"] == "4 Maret 2024: 3 berita"
    assert names["/linimasa/2024/03/05/"] == "5 Maret 2024: 2 berita"
    assert names["/linimasa/2022/12/30/"] == "30 Desember 2022: 1 berita"
    # Shades by the share of the busiest day drawn (3 items): 1, 2, 3 items.
    shades = {a.get("aria-label"): a.getparent().get("class") for a in links}
    assert shades["4 Maret 2024: 3 berita"] == "level-4"
    assert shades["5 Maret 2024: 2 berita"] == "level-3"
    assert shades["30 Desember 2022: 1 berita"] == "level-2"
    assert not tree.xpath("//script|//main//svg")


def count_of(element) -> int:
    return int(re.search(r"\d+", element.text_content()).group())


def test_calendar_levels():
    from kilas_timeline.calendar_grid import calendar_level

    assert calendar_level(0, 6) == 0
    assert [calendar_level(n, 6) for n in range(1, 7)] == [1, 2, 2, 3, 4, 4]
    assert calendar_level(1, 1) == 4  # the busiest day is the darkest


def test_home_shows_the_latest_edition(fixture_site):
    home = page(fixture_site, "")
    latest = home.xpath("//section[@class='home-main']")[0]
    assert latest.xpath(".//h1//time")[0].text == "Senin, 30 Desember 2024"
    assert listed(latest, ".") == ["/2024/12/berita-21/"]
    earlier = home.xpath("//section[@class='home-aside']/section/h3/a/@href")
    assert earlier == [f"/linimasa/{d}/" for d in reversed(DAYS[-7:-1])]
    assert not (fixture_site / "halaman").exists()


def test_fixture_site_passes_the_site_check(fixture_site):
    problems = check_site(fixture_site)
    assert problems == [], "\n".join(map(str, problems))


def test_bad_timeline_setting_fails_the_build(tmp_path, caplog):
    with pytest.raises(BuildFailed):
        build(
            PROJECT / "pelicanconf.py",
            content=FIXTURE,
            output=tmp_path / "output",
            extra={"TIMELINE_HOME_DAYS": -1},
        )
    assert "TIMELINE_HOME_DAYS = -1 is not allowed" in caplog.text


def test_repository_timeline(site):
    for path in (
        "linimasa/2024/08/04",
        "edisi/2024-w31",
        "wilayah/korea-utara",
        "cerita/banjir-korea-utara-2024",
        "sumber/sinarharapanid",
    ):
        assert (site / path / "index.html").is_file(), path
    assert page(site, "linimasa").xpath("//table[@class='calendar-month']//td/a")
    assert page(site, "linimasa/2024/08").findtext(".//h1") == "Agustus 2024"
    day = page(site, "linimasa/2024/08/04")
    assert len(listed(day)) == 3
    assert neighbours(day) == ([], ["/linimasa/2024/08/05/"])


def test_month_names_in_english(tmp_path):
    content = tmp_path / "content"
    (content / "items").mkdir(parents=True)
    (content / "sources.yaml").write_bytes((FIXTURE / "sources.yaml").read_bytes())
    (content / "items/banjir.md").write_text(
        "Title: Floods\nDate: 2024-08-04 10:30\nCategory: Bencana\nRegion: KP\n"
        "Source: Alpha\nSummary: Floods in the north-west.\n\nText.\n",
        encoding="utf-8",
    )
    output = tmp_path / "output"
    build(
        PROJECT / "pelicanconf.py",
        content=content,
        output=output,
        extra={"DEFAULT_LANG": "en"},
    )
    assert page(output, "linimasa/2024/08").findtext(".//h1") == "August 2024"
    day = page(output, "linimasa/2024/08/04")
    assert day.findtext(".//h1").endswith("Sunday, 4 August 2024")
    timeline = page(output, "linimasa")
    assert timeline.xpath("//ul[@class='month-list']/li/a/text()") == ["August"]
    assert timeline.xpath("//table/caption/a")[0].text == "August 2024"
    assert timeline.xpath("//td/a/@aria-label") == ["4 August 2024: 1 news item"]
    weekdays = timeline.xpath("//thead//th/span[@aria-hidden]/text()")
    assert weekdays == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert page(output, "wilayah/north-korea").findtext(".//h1").endswith("North Korea")
