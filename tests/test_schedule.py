"""Dates in the site's zone, the build's "now", scheduled items and drafts.

Every test builds a copy of the project with real Pelican. "Absent" means
absent from every file of the output (Pagefind's compressed index files
decompressed first), by slug and by title.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import page, search_shards
from lxml import html

from kilas.build import build

JAKARTA_NOW = "2024-08-06T12:00:00+07:00"


def _write(project: Path, name: str, text: str, folder: str = "2024/08") -> Path:
    path = project / "content" / "items" / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _item(title: str, date: str, extra: str = "", body: str = "") -> str:
    return (
        f"Title: {title}\nDate: {date}\nCategory: Bencana\nRegion: Korea Utara\n"
        f"Source: SinarHarapan.id\n{extra}Summary: Ringkasan {title}.\n\n"
        f"{body or 'Isi ' + title}.\n"
    )


def _build(project: Path, output: Path, settings: str = "pelicanconf.py", **extra):
    return build(settings_file=project / settings, output=output, extra=extra)


def _check(project: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m kilas.build --check ARGS`` in ``project`` at JAKARTA_NOW."""
    return subprocess.run(
        [sys.executable, "-m", "kilas.build", *args, "--check"],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(os.environ, KILAS_NOW=JAKARTA_NOW),
        check=False,
    )


def _texts(site: Path) -> dict[str, str]:
    """Every file of a built site as text, gzip members decompressed."""
    texts = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        texts[path.relative_to(site).as_posix()] = data.decode("utf-8", "replace")
    return texts


def _mentions(site: Path, *needles: str) -> list[str]:
    return sorted(
        f"{name}: {needle}"
        for name, text in _texts(site).items()
        for needle in needles
        if needle in text or needle in name
    )


def _time(tree, where: str = "//article//time") -> tuple[str, str]:
    element = tree.xpath(where)[0]
    return element.get("datetime"), element.text_content().strip()


# -- dates --------------------------------------------------------------------
def test_offset_and_z_dates_are_shown_and_filed_in_wib(project: Path, tmp_path: Path):
    _write(project, "tokyo-malam", _item("Kabar Tokyo Malam", "2024-08-04T01:30+09:00"))
    _write(project, "zulu-pagi", _item("Kabar Zulu Pagi", "2024-08-04T03:30Z"))
    # 1 September 00:30 in Tokyo is 31 August in Jakarta: URL and month follow.
    _write(
        project,
        "akhir-bulan",
        _item("Kabar Akhir Bulan", "2024-09-01T00:30+09:00"),
        folder="2024/09",
    )
    output = tmp_path / "output"
    _build(project, output, KILAS_NOW="2024-09-30T00:00+07:00", SEARCH_INDEX=False)

    tokyo = page(output, "2024/08/tokyo-malam")
    assert _time(tokyo) == (
        "2024-08-03T23:30:00+07:00",
        "Sabtu, 3 Agustus 2024 · 23.30 WIB",
    )
    zulu = page(output, "2024/08/zulu-pagi")
    assert _time(zulu) == (
        "2024-08-04T10:30:00+07:00",
        "Minggu, 4 Agustus 2024 · 10.30 WIB",
    )
    late = page(output, "2024/08/akhir-bulan")
    assert _time(late)[0] == "2024-08-31T22:30:00+07:00"
    assert not (output / "2024/09/akhir-bulan").exists()

    def links(path: str) -> set[str]:
        return set(page(output, path).xpath("//main//a/@href"))

    assert "/2024/08/tokyo-malam/" in links("linimasa/2024/08/03")
    assert "/2024/08/tokyo-malam/" not in links("linimasa/2024/08/04")
    assert "/2024/08/zulu-pagi/" in links("linimasa/2024/08/04")
    assert "/2024/08/akhir-bulan/" in links("linimasa/2024/08/31")
    assert "/2024/08/akhir-bulan/" in links("linimasa/2024/08")
    assert "/2024/08/akhir-bulan/" not in links("linimasa/2024/09")

    feed = feedparser.parse((output / "feeds/semua.atom.xml").read_bytes())
    published = {entry.link: entry.published for entry in feed.entries}
    assert published["/2024/08/tokyo-malam/"] == "2024-08-03T23:30:00+07:00"
    assert published["/2024/08/zulu-pagi/"] == "2024-08-04T10:30:00+07:00"


def test_dates_as_indonesian_editors_write_them(project: Path, tmp_path: Path):
    """A time with a dot (10.30) is half past ten, not ten o'clock; WIB, WITA
    and WIT after a time are the zones' offsets."""
    for slug, date in (
        ("titik", "2024-08-04 10.30"),
        ("makassar", "2024-08-04 10.30 WITA"),
        ("jayapura", "2024-08-04 10:30 WIT"),
        ("jakarta", "2024-08-04 10:30 wib"),
    ):
        _write(project, slug, _item(f"Kabar {slug}", date))
    output = tmp_path / "output"
    _build(project, output, KILAS_NOW="2024-09-30T00:00+07:00", SEARCH_INDEX=False)
    shown = {
        slug: _time(page(output, f"2024/08/{slug}"))
        for slug in ("titik", "makassar", "jayapura", "jakarta")
    }
    assert shown == {
        "titik": ("2024-08-04T10:30:00+07:00", "Minggu, 4 Agustus 2024 · 10.30 WIB"),
        "makassar": ("2024-08-04T09:30:00+07:00", "Minggu, 4 Agustus 2024 · 09.30 WIB"),
        "jayapura": ("2024-08-04T08:30:00+07:00", "Minggu, 4 Agustus 2024 · 08.30 WIB"),
        "jakarta": ("2024-08-04T10:30:00+07:00", "Minggu, 4 Agustus 2024 · 10.30 WIB"),
    }


@pytest.mark.parametrize(
    ("zone", "label", "shown"),
    [
        ("Asia/Jakarta", "WIB", "10.30"),
        ("Asia/Makassar", "WITA", "11.30"),
        ("Asia/Jayapura", "WIT", "12.30"),
    ],
)
def test_times_carry_the_site_zone_abbreviation(
    project: Path, tmp_path: Path, zone: str, label: str, shown: str
):
    _write(project, "zona", _item("Kabar Zona", "2024-08-04T10:30+07:00"))
    output = tmp_path / "output"
    _build(project, output, TIMEZONE=zone, SEARCH_INDEX=False)
    tree = page(output, "2024/08/zona")
    assert _time(tree)[1] == f"Minggu, 4 Agustus 2024 · {shown} {label}"
    # An item written without an offset is in the site's zone.
    sample = page(output, "2024/08/putin-tawarkan-bantuan-banjir-korea-utara")
    assert _time(sample)[1] == f"Minggu, 4 Agustus 2024 · 10.30 {label}"


def test_english_interface_still_says_wib(project: Path, tmp_path: Path):
    output = tmp_path / "output"
    _build(project, output, DEFAULT_LANG="en", SEARCH_INDEX=False)
    sample = page(output, "2024/08/putin-tawarkan-bantuan-banjir-korea-utara")
    assert _time(sample)[1] == "Sunday, 4 August 2024 · 10:30 WIB"


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_date_filters_print_what_babel_prints(zone: str, lang: str):
    """The filters remember Babel's text by the parts of a value a pattern
    reads (the day, the hour and minute, the zone's offset): two times of one
    day, one clock time on two days, both sides of a change of daylight
    saving time, other offsets and naive times each print as Babel does."""
    from babel.dates import format_date, format_skeleton
    from kilas_i18n.kilas_i18n import DateFilters
    from kilas_settings import zone_abbreviation

    tz = ZoneInfo(zone)
    moments = [
        datetime(2024, 3, 31, 0, 30, tzinfo=UTC) + timedelta(minutes=37 * n)
        for n in range(60)  # 37 hours across Europe's change to summer time
    ]
    moments += [
        datetime(2024, 10, 27, 2, 30, fold=0),  # naive: the site's zone
        datetime(2024, 10, 27, 2, 30, fold=1),
        datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo("America/New_York")),
        datetime(2024, 8, 4, 10, 30, tzinfo=timezone(timedelta(hours=9))),
        datetime(2024, 8, 4, 23, 59, tzinfo=UTC),
    ]
    filters = DateFilters(lang, zone)
    patterns = {
        "long_date": "EEEE, d MMMM y",
        "plain_date": "d MMMM y",
        "medium_date": "d MMM y",
        "month_year": "LLLL y",
        "year": "y",
    }
    for moment in moments * 2:  # the second round is read from memory
        local = moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)
        for name, pattern in patterns.items():
            expected = format_date(local, pattern, locale=lang)
            assert getattr(filters, name)(moment) == expected, (name, moment)
        assert filters.long_date(local.date()) == format_date(
            local.date(), "EEEE, d MMMM y", locale=lang
        )
        time = format_skeleton("Hm", local, locale=lang)
        assert filters.short_time(moment) == time, moment
        abbreviation = zone_abbreviation(local, lang)
        assert filters.zone(moment) == abbreviation, moment
        assert filters.long_datetime(moment) == (
            f"{format_date(local, 'EEEE, d MMMM y', locale=lang)} · {time}"
            f" {abbreviation}"
        )
    if zone == "Europe/Berlin":  # winter and summer time, named in German
        assert {filters.zone(m) for m in moments} == {"MEZ", "MESZ"}


def test_a_stale_timezone_label_stops_the_build(project: Path, tmp_path: Path):
    from kilas.build import BuildFailed

    with pytest.raises(BuildFailed):
        _build(project, tmp_path / "output", TIMEZONE_LABEL="WITA")
    assert not (tmp_path / "output").exists()


# -- scheduling -----------------------------------------------------------------
EMBARGO_TITLE = "Embargo Pelabuhan Nampo Dibuka"
EMBARGO_SLUG = "embargo-pelabuhan-nampo"
EMBARGO_EN_TITLE = "Nampo Port Embargo Lifted"
# What typogrify leaves of the titles as typed (it joins the last two words).
EMBARGO_WORDS = (EMBARGO_SLUG, "Embargo Pelabuhan Nampo", "Nampo Port Embargo")


def _embargoed(project: Path) -> None:
    _write(
        project,
        EMBARGO_SLUG,
        _item(
            EMBARGO_TITLE, "2024-08-06T15:00+07:00", "Slug: embargo-pelabuhan-nampo\n"
        ),
    )
    # Its translation is dated earlier, yet waits for the item it translates.
    _write(
        project,
        "nampo-port-embargo",
        _item(
            EMBARGO_EN_TITLE,
            "2024-08-06T09:00+07:00",
            "Lang: en\nTranslation: true\nSlug: embargo-pelabuhan-nampo\n",
        ),
        folder="en",
    )


def test_a_scheduled_item_is_nowhere_until_its_time(project: Path, tmp_path: Path):
    _embargoed(project)
    output = tmp_path / "output"
    before = _build(project, output, KILAS_NOW=JAKARTA_NOW, SEARCH_INDEX=True)
    assert _mentions(output, *EMBARGO_WORDS) == []
    # 6 items and a translation published by then (one item is of September)
    assert search_shards(output) == {"2024": 7}
    schedule = [(e["date"], e["path"]) for e in before["KILAS_SCHEDULE"]]
    assert schedule == [
        (
            "2024-08-06T15:00:00+07:00",
            "items/2024/08/embargo-pelabuhan-nampo.md",
        ),
        ("2024-08-06T15:00:00+07:00", "items/en/nampo-port-embargo.md"),
        (
            "2024-09-02T10:00:00+07:00",
            "items/2024/09/latar-pakta-kemitraan-rusia-korea-utara.md",
        ),
    ]

    # The same output folder, one build after its time: everywhere.
    _build(project, output, KILAS_NOW="2024-08-06T15:00:00+07:00", SEARCH_INDEX=True)
    item = page(output, f"2024/08/{EMBARGO_SLUG}")
    assert item.xpath("//h1")[0].text_content().replace("\xa0", " ") == EMBARGO_TITLE
    assert (output / f"en/2024/08/{EMBARGO_SLUG}/index.html").is_file()
    url = f"/2024/08/{EMBARGO_SLUG}/"
    home = page(output, "")
    assert url in home.xpath("//main//a/@href")
    assert url in page(output, "linimasa/2024/08/06").xpath("//main//a/@href")
    feed = feedparser.parse((output / "feeds/semua.atom.xml").read_bytes())
    assert url in [entry.link for entry in feed.entries]
    assert url in (output / "sitemap.xml").read_text(encoding="utf-8")
    assert url in (output / "news-sitemap.xml").read_text(encoding="utf-8")
    assert search_shards(output) == {"2024": 9}
    assert any(
        "Embargo Pelabuhan Nampo" in text
        for name, text in _texts(output).items()
        if name.startswith("pagefind/") and "fragment" in name
    )


def test_check_and_the_build_list_scheduled_items_in_wib(project: Path):
    _embargoed(project)
    env = dict(os.environ, KILAS_NOW="2024-08-06T05:00Z")  # 12.00 WIB
    # The second build finds nothing changed: it says the same.
    for args in (["--check"], ["--output", "output"], ["--output", "output"]):
        result = subprocess.run(
            [sys.executable, "-m", "kilas.build", *args],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "3 item(s) scheduled" in result.stderr
        assert "now is 2024-08-06 12:00 WIB" in result.stderr
        assert (
            "2024-08-06 15:00 WIB  content/items/2024/08/embargo-pelabuhan-nampo.md"
            f" ({EMBARGO_TITLE})" in result.stderr
        )
        assert (
            "2024-08-06 15:00 WIB  content/items/en/nampo-port-embargo.md"
            f" ({EMBARGO_EN_TITLE})" in result.stderr
        )
    assert "0 files updated" in result.stdout
    assert _mentions(project / "output", *EMBARGO_WORDS) == []


@pytest.mark.parametrize(
    ("now", "said"),
    [
        ("besok pagi", "is not an ISO 8601 date and time"),
        ("2024-08-06 24:00", "is not a date: 24:00 is 00:00 of the next day;"
         " write 2024-08-07 00:00"),
    ],
)  # fmt: skip
def test_bad_now_stops_the_build(project: Path, tmp_path: Path, now, said):
    result = subprocess.run(
        [sys.executable, "-m", "kilas.build", "--output", str(tmp_path / "out")],
        cwd=project,
        capture_output=True,
        text=True,
        env=dict(os.environ, KILAS_NOW=now),
        check=False,
    )
    assert result.returncode == 1
    assert f"KILAS_NOW = '{now}' (environment variable) {said}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_modified_in_the_future_is_refused(project: Path, tmp_path: Path):
    _write(
        project,
        "nanti",
        _item("Kabar Nanti", "2024-08-05 10:00", "Modified: 2024-08-07 10:00\n"),
    )
    result = _check(project)
    assert result.returncode == 1
    assert (
        "content/items/2024/08/nanti.md:6: Modified: 2024-08-07T10:00:00+07:00 is"
        " later than the build's time (2024-08-06T12:00+07:00)"
    ) in result.stderr


# -- drafts -----------------------------------------------------------------------
def test_drafts_are_previews_in_development_and_absent_from_a_publish_build(
    project: Path, tmp_path: Path
):
    title = "Draf Rahasia Banjir Susulan"
    _write(project, "draf-rahasia", _item(title, "2024-08-05 10:00", "Status: draft\n"))
    # A page's draft too, under the same draf/ (not Pelican's drafts/pages/x.html).
    (project / "content" / "pages" / "draf-halaman.md").write_text(
        "Title: Halaman Draf Rahasia\nStatus: draft\n\nIsi.\n", encoding="utf-8"
    )
    development = tmp_path / "dev"
    _build(project, development, SEARCH_INDEX=False)
    heading = page(development, "draf/draf-rahasia").xpath("//h1")[0]
    assert heading.text_content().replace("\xa0", " ") == title
    assert page(development, "draf/halaman/draf-halaman").xpath("//h1")
    assert not (development / "drafts").exists()

    published = tmp_path / "published"
    _build(project, published, "publishconf.py", SEARCH_INDEX=True)
    assert _mentions(published, "draf-rahasia", "Draf Rahasia Banjir") == []
    assert _mentions(published, "draf-halaman", "Halaman Draf") == []
    assert not (published / "draf").exists()
    assert search_shards(published) == {"2024": 8}


def _translation(title: str, slug: str, extra: str = "") -> str:
    return _item(
        title, "2024-08-05 12:00", f"Lang: en\nTranslation: true\nSlug: {slug}\n{extra}"
    )


def test_a_translation_follows_its_draft_original(project: Path, tmp_path: Path):
    """The original back to draft: its translation is a draft with it (a
    preview in development, absent from a publish build), not a build that
    fails on Pelican's "All items ... are translations"."""
    draft = _item("Asli Ditahan", "2024-08-05 10:00", "Status: draft\n")
    _write(project, "asli", draft)
    _write(project, "asli-en", _translation("Held Original", "asli"), folder="en")
    development = tmp_path / "dev"
    _build(project, development, SEARCH_INDEX=False)
    assert page(development, "draf/en/asli").xpath("//h1")[0].text_content() == (
        "Held\xa0Original"
    )
    assert not (development / "en/2024/08/asli").exists()
    published = tmp_path / "published"
    _build(project, published, "publishconf.py", SEARCH_INDEX=False)
    assert _mentions(published, "asli", "Held Original", "Asli Ditahan") == []


def test_a_translation_without_its_original_names_the_slug_meant(
    project: Path, tmp_path: Path
):
    """A translation's slug that matches no original (a typo), or a status
    apart from its original's, is the contract's problem on its Translation
    line, not Pelican's "All items ... are translations"."""
    _write(project, "banjir-susulan", _item("Banjir Susulan", "2024-08-05 10:00"))
    _write(project, "typo-en", _translation("Typo", "banjir-susula"), folder="en")
    _write(
        project,
        "hidden-en",
        _translation("Hidden", "banjir-susulan", "Status: hidden\n"),
        folder="en",
    )
    result = subprocess.run(
        [sys.executable, "-m", "kilas.build", "--output", str(tmp_path / "out")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    said = result.stderr
    assert "are translations" not in said
    assert (
        "items/en/typo-en.md:7: Translation: is true, but no item that is not a"
        ' translation has the slug "banjir-susula"'
    ) in said
    assert 'Did you mean "banjir-susulan"?' in said
    assert (
        "items/en/hidden-en.md:7: Translation: the original is published and"
        " this translation hidden: give it 'Status: published' too"
    ) in said


def test_source_link_on_item_page_lists_and_feeds(project: Path, tmp_path: Path):
    report = "https://sinarharapan.id/berita/banjir?id=1&x=<2>"
    _write(
        project,
        "bersumber",
        _item("Kabar Bersumber", "2024-08-05 10:00", f"Source_URL: {report}\n"),
    )
    output = tmp_path / "output"
    _build(project, output, SEARCH_INDEX=False)
    # "<" and ">" are no characters of an address: sent percent-encoded.
    published = "https://sinarharapan.id/berita/banjir?id=1&x=%3C2%3E"
    wanted = ("Baca laporan asli di SinarHarapan.id", published)
    # On a page the link names its item too, unseen (a screen reader's list
    # of links tells reports of one outlet apart); a feed shows the words.
    heard = (f"{wanted[0]}: Kabar\N{NO-BREAK SPACE}Bersumber", published)

    def source_links(tree) -> list[tuple[str, str]]:
        return [
            (p.text_content().strip(), p.xpath(".//a/@href")[0])
            for p in tree.xpath("//p[@class='source-link']")
        ]

    item = page(output, "2024/08/bersumber")
    assert source_links(item) == [heard]
    (unseen,) = item.xpath("//p[@class='source-link']//span[@class='visually-hidden']")
    assert unseen.text == ": Kabar\N{NO-BREAK SPACE}Bersumber"
    summary = item.xpath("//div[@class='summary']")[0]
    assert summary.getnext().get("class") == "source-link"
    for listing in (
        "kategori/bencana",
        "linimasa/2024/08/05",
        "sumber/sinarharapanid",
    ):
        assert heard in source_links(page(output, listing)), listing
    # items without Source_URL have no such link
    sample = page(output, "2024/08/putin-tawarkan-bantuan-banjir-korea-utara")
    assert source_links(sample) == []
    facts = item.xpath("//dt[.='Sumber']/following-sibling::dd[1]")[0].text_content()
    assert "SinarHarapan.id (situs web) (laporan asli)" in " ".join(facts.split())

    feed = feedparser.parse((output / "feeds/semua.atom.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.endswith("/bersumber/"))
    for text in (entry.summary, entry.content[0].value):
        link = html.fromstring(text).xpath("//p[@class='source-link']")[-1]
        assert link.text_content() == wanted[0]
        assert link.xpath(".//a/@href") == [published]
    other = next(e for e in feed.entries if "putin-tawarkan" in e.link)
    assert "source-link" not in other.summary + other.content[0].value


def test_a_link_to_a_held_back_item_is_named(project: Path, tmp_path: Path):
    from kilas.build import BuildFailed

    _embargoed(project)
    _write(
        project,
        "draf-tertaut",
        _item("Draf Tertaut", "2024-08-05 09:00", "Status: draft\n"),
    )
    _write(
        project,
        "penaut",
        _item(
            "Kabar Penaut",
            "2024-08-05 10:00",
            body="Lihat [nanti]({filename}embargo-pelabuhan-nampo.md) dan"
            " [draf]({filename}/items/2024/08/draf-tertaut.md)",
        ),
    )
    # Development builds show the draft (a preview) but not the scheduled item.
    for settings in ("pelicanconf.py", "publishconf.py"):
        output = tmp_path / settings
        with pytest.raises(BuildFailed):
            _build(project, output, settings, KILAS_NOW=JAKARTA_NOW, SEARCH_INDEX=False)
        assert not output.exists()
    held = ["scheduled for 2024-08-06 15:00 WIB", "a draft, left out of this build"]
    result = _check(project, "--settings", "publishconf.py")
    lines = [line for line in result.stderr.splitlines() if "penaut.md" in line]
    assert lines == [
        "content/items/2024/08/penaut.md:8: Body: links to embargo-pelabuhan-nampo.md,"
        f" which is {held[0]}: the link would lead nowhere; link it once it is"
        " published, or hold this item back too",
        "content/items/2024/08/penaut.md:8: Body: links to"
        f" /items/2024/08/draf-tertaut.md, which is {held[1]}: the link would lead"
        " nowhere; link it once it is published, or hold this item back too",
    ]
    # A summary's link too (Pelican said "Unable to find ...", no item named).
    _write(project, "penaut", _item("Kabar Penaut", "2024-08-05 10:00"))
    _write(
        project,
        "ringkas",
        _item("Kabar Ringkas", "2024-08-05 11:00").replace(
            "Summary: Ringkasan Kabar Ringkas.",
            "Summary: Lihat [nanti]({filename}embargo-pelabuhan-nampo.md).",
        ),
    )
    with pytest.raises(BuildFailed):
        _build(project, tmp_path / "ringkas", KILAS_NOW=JAKARTA_NOW, SEARCH_INDEX=False)
    result = _check(project)
    assert (
        "content/items/2024/08/ringkas.md:6: Summary: links to"
        f" embargo-pelabuhan-nampo.md, which is {held[0]}"
    ) in result.stderr, result.stderr
    assert "Unable to find" not in result.stderr
