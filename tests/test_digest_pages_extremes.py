"""The digest's own pages as a newsroom uses them, at their edges: items of
the same minute, places inside places, pinned items, stories moved, days
with nothing to show. Each test builds a small site from items it writes
(the repository's registries, no items of its own) with a fixed "now"."""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import feedparser
import pytest
from conftest import PROJECT, listed, page

from kilas.build import build

NOW = "2025-01-10T12:00+07:00"


def write_item(content: Path, name: str, date: str, **fields: str) -> None:
    """An item of ``content/items/<name>.md``; ``fields`` add or replace
    header fields (``Story="Banjir"``; a value of "" leaves the field out)."""
    header = {
        "Title": f"Berita {name}",
        "Date": date,
        "Category": "Nasional",
        "Region": "Indonesia",
        "Source": "SinarHarapan.id",
        **{key.replace("__", "-"): value for key, value in fields.items()},
        "Summary": f"Ringkasan {name}.",
    }
    lines = [f"{key}: {value}" for key, value in header.items() if value]
    path = content / "items" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + f"\n\nIsi {name}.\n", encoding="utf-8")


@pytest.fixture
def content(tmp_path) -> Path:
    """The repository's content folder without its items."""
    folder = tmp_path / "content"
    shutil.copytree(PROJECT / "content", folder)
    shutil.rmtree(folder / "items")
    return folder


def build_site(content: Path, output: Path, **extra) -> Path:
    build(
        content=content,
        output=output,
        extra={"KILAS_NOW": NOW, "SEARCH_INDEX": False, **extra},
    )
    return output


def slugs(site: Path, path: str) -> list[str]:
    """The item slugs a listing page shows, in page order."""
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in listed(page(site, path))]


# -- items of the same minute ---------------------------------------------------
def test_items_of_one_minute_keep_one_order_on_every_page(content, tmp_path):
    """Three items of 08.00 (a province's, its country's, and one naming
    both) come in one order on every page listing them, whatever page
    gathers them (a country's page gathers its provinces' items after its
    own), and previous/next walk that order back (the item above is the
    newer one). A file name's order and the slug's differ on purpose."""
    write_item(content, "lama", "2025-01-02 07:00", Region="Jawa Tengah")
    write_item(content, "a-jateng", "2025-01-02 08:00", Region="Jawa Tengah")
    write_item(content, "b-indonesia", "2025-01-02 08:00")
    write_item(
        content,
        "sub/0-kedua",
        "2025-01-02 08:00",
        Slug="c-jabar",
        Region="Jawa Barat; Indonesia",
    )
    write_item(content, "baru", "2025-01-02 09:00", Region="Jawa Barat")
    for name in ("lama", "a-jateng", "b-indonesia", "sub/0-kedua", "baru"):
        path = content / "items" / f"{name}.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("Summary:", "Story: Hari Sibuk\nTags: sibuk\nSummary:"),
            encoding="utf-8",
        )
    site = build_site(content, tmp_path / "output")
    expected = ["baru", "a-jateng", "b-indonesia", "c-jabar", "lama"]
    pages = [
        "linimasa/2025/01",
        "linimasa/2025",
        "wilayah/indonesia",
        "tag/sibuk",
        "kategori/nasional",
        "cerita/hari-sibuk",
        "",
    ]
    for path in pages:
        assert slugs(site, path) == expected, path
    # A province's page keeps the same order among its own.
    assert slugs(site, "wilayah/jawa-barat") == ["baru", "c-jabar"]
    # The day and week open with the lead item; the rest keep the order.
    for path in ("linimasa/2025/01/02", "edisi/2025-w01"):
        assert slugs(site, path) == expected, path
    # Previous (older) and next (newer) follow the lists read upwards.
    chronological = expected[::-1]
    for older, newer in pairwise(chronological):
        tree = page(site, f"2025/01/{newer}")
        assert tree.xpath("//a[@rel='prev']/@href") == [f"/2025/01/{older}/"], newer
        tree = page(site, f"2025/01/{older}")
        assert tree.xpath("//a[@rel='next']/@href") == [f"/2025/01/{newer}/"], older


# -- the edition feed --------------------------------------------------------------
def edition_ids(site: Path) -> dict[str, str]:
    parsed = feedparser.parse(site / "feeds/edisi.atom.xml")
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {entry.link: entry.id for entry in parsed.entries}


def test_an_editions_feed_id_stays_when_its_first_item_changes(content, tmp_path):
    """A weekly edition is one entry for feed readers whatever its items do:
    an item dated back to the week's Monday (a late digest) or the week's
    first item hidden must not make it a new entry (the id took the date of
    the week's first item). The week across the new year is one of them."""
    write_item(content, "rabu", "2025-01-01 10:00")
    write_item(content, "kamis", "2025-01-02 10:00")
    write_item(content, "pekan-lalu", "2024-12-27 10:00")
    site = build_site(content, tmp_path / "output")
    before = edition_ids(site)
    assert set(before) == {"/edisi/2024-w52/", "/edisi/2025-w01/"}
    write_item(content, "senin", "2024-12-30 09:00")
    after = edition_ids(build_site(content, tmp_path / "output"))
    assert after == before
    write_item(content, "senin", "2024-12-30 09:00", Status="hidden")
    write_item(content, "rabu", "2025-01-01 10:00", Status="hidden")
    assert edition_ids(build_site(content, tmp_path / "output")) == before


# -- a story's dates ---------------------------------------------------------------
def story_dates(site: Path, slug: str) -> str:
    """The story header's dates as a reader sees them."""
    tree = page(site, f"cerita/{slug}")
    meta = tree.xpath("//header[contains(@class, 'story-header')]//p[@class='meta']")
    spans = meta[0].xpath("./span[time]")
    assert len(spans) == 1
    return " ".join(spans[0].text_content().split())


def test_a_story_of_one_day_gives_that_day_once(content, tmp_path):
    """A story of one item, or of items all on one day (in the site's zone:
    23.30 WIB and 00.30 WITA the next day are the same day in Jakarta),
    says the day, not "2 Jan 2025 – 2 Jan 2025"; a story over two years
    gives both ends."""
    write_item(content, "tunggal", "2024-02-29 12:00", Story="Cerita Tunggal")
    write_item(content, "pagi", "2025-01-02 08:00", Story="Satu Hari")
    write_item(content, "malam", "2025-01-03 00:30 WITA", Story="Satu Hari")
    write_item(content, "akhir", "2024-12-31 23:50", Story="Dua Tahun")
    write_item(content, "awal", "2025-01-01 00:10", Story="Dua Tahun")
    site = build_site(content, tmp_path / "output")
    assert story_dates(site, "cerita-tunggal") == "29 Feb 2024"
    assert story_dates(site, "satu-hari") == "2 Jan 2025"
    assert story_dates(site, "dua-tahun") == "31 Des 2024 – 1 Jan 2025"
    tree = page(site, "cerita/satu-hari")
    times = tree.xpath("//header//p[@class='meta']//time/@datetime")
    assert len(times) == 1 and times[0].startswith("2025-01-02")


# -- sources -----------------------------------------------------------------------
def test_a_source_only_ever_cited_says_so(content, tmp_path):
    """An agency no item digests but items cite has a page whose description
    (what search engines and share cards show) says it is cited, not "0
    news items digested"; its count on the index is the citing one."""
    write_item(
        content,
        "kutip-kcna",
        "2024-05-09 10:00",
        Region="Korea Utara",
        Source="Reuters",
        Cites="KCNA",
    )
    site = build_site(content, tmp_path / "output")
    tree = page(site, "sumber/kcna")
    description = tree.xpath("//meta[@name='description']/@content")[0]
    assert description == "KCNA (Kantor berita): dikutip 1 berita"
    assert tree.xpath("//section[@class='source-items']") == []
    index = page(site, "sumber")
    counts = index.xpath("//a[.='KCNA']/following-sibling::span[@class='count']")
    assert " ".join(counts[0].text_content().split()) == "dikutip 1 berita"
