"""Language and time as an Indonesian newsroom lives them: items in English
(or with a region in their language code) on the Indonesian site, words of
the interface and of the content each marked with their language, and the
site's zone wherever the newsroom is.

Sites are built from a copy of the project with real Pelican and a fixed
``KILAS_NOW``; pages are read with lxml.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from conftest import copy_project, page
from test_newsroom_time import _build, _write

from kilas.sitecheck import check_html


def _item(title: str, date: str, extra: str = "", region: str = "Korea Utara") -> str:
    return (
        f"Title: {title}\nDate: {date}\nCategory: Internasional\nRegion: {region}\n"
        f"Source: SinarHarapan.id\n{extra}Summary: {title}.\n\n{title}.\n"
    )


def _jsonld(tree, kind: str) -> dict:
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        data = json.loads(script)
        for part in data if isinstance(data, list) else [data]:
            if part.get("@type") == kind:
                return part
    raise AssertionError(f"no {kind}")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """The repository's items, and items in other languages written as
    editors write their codes: ``en-GB``, ``ms``, a translation in ``ar-EG``."""
    project = copy_project(tmp_path_factory.mktemp("mixed") / "project")
    # 23.30 WITA is 22.30 WIB: Monday 5 August in the site's zone.
    _write(
        project,
        "seoul-red-cross",
        _item(
            "Seoul Offers Flood Aid Through the Red Cross",
            "2024-08-05 23:30 WITA",
            "Lang: en-GB\nTags: floods, Red Cross\n",
            "Korea Selatan",
        ),
    )
    _write(
        project,
        "bantuan-malaysia",
        _item(
            "Bantuan dari Malaysia",
            "2024-08-05 08:00",
            "Lang: ms\nImage: https://example.org/bantuan.jpg\n"
            "Image_Alt: Kotak bantuan di lapangan terbang\nImage_Credit: Bernama\n",
        ),
    )
    _write(
        project,
        "kabar-kairo",
        _item("Kairo Kirim Bantuan", "2024-08-05 07:00", region="Mesir"),
    )
    _write(
        project,
        "kabar-kairo-ar",
        _item(
            "القاهرة ترسل المساعدات",
            "2024-08-05 07:00",
            "Lang: ar-EG\nTranslation: true\nSlug: kabar-kairo\n",
            "Mesir",
        ),
    )
    output = tmp_path_factory.mktemp("mixed") / "output"
    _build(project, output)
    return output


# -- a language code with a region or a script ----------------------------------------
def test_an_item_in_british_english_speaks_english(mixed):
    """``Lang: en-GB`` is English: the page's interface and dates are the
    English catalog's and Babel's, not the site's Indonesian."""
    tree = page(mixed, "en-GB/2024/08/seoul-red-cross")
    assert tree.xpath("//html/@lang") == ["en-GB"]
    assert tree.findtext(".//a[@class='skip-link']") == "Skip to content"
    dateline = tree.xpath("//div[@class='dateline']//time")[0]
    assert dateline.text == "Monday, 5 August 2024 · 22:30 WIB"
    assert dateline.get("datetime") == "2024-08-05T22:30:00+07:00"
    assert tree.xpath("//div[@class='dateline']/p[@class='meta']/span/text()") == [
        "1 minute read"
    ]
    assert tree.xpath("//meta[@property='og:locale']/@content") == ["en_GB"]
    assert _jsonld(tree, "NewsArticle")["inLanguage"] == "en-GB"
    # Listed on the Indonesian site, it is marked as English there.
    day = page(mixed, "linimasa/2024/08/05")
    assert day.xpath("//article[.//a[contains(@href, 'seoul-red-cross')]]/@lang") == [
        "en-GB"
    ]


def test_languages_are_named_and_written_with_their_region(mixed):
    """A translation in ``ar-EG`` is named "bahasa Arab (Mesir)" (not "ar-EG"),
    written right to left, and its locale is OpenGraph's ``ar_EG``; a
    language without a region takes CLDR's likely one (``ms``: ``ms_MY``)."""
    original = page(mixed, "2024/08/kabar-kairo")
    assert original.xpath("string(//div[@class='translations']/p)").startswith(
        "Juga dalam bahasa Arab (Mesir):"
    )
    assert original.xpath("//meta[@property='og:locale:alternate']/@content") == [
        "ar_EG"
    ]
    translation = page(mixed, "ar-EG/2024/08/kabar-kairo")
    assert translation.xpath("//h1[@class='article-title']/@dir") == ["rtl"]
    assert translation.xpath("//meta[@property='og:locale']/@content") == ["ar_EG"]
    malay = page(mixed, "ms/2024/08/bantuan-malaysia")
    assert malay.xpath("//meta[@property='og:locale']/@content") == ["ms_MY"]
    # Malay has no catalog: the interface stays Indonesian, marked so.
    assert malay.xpath("//header[@class='site-header']/@lang") == ["id"]


def _lang(element) -> str:
    """The language an element's text is in: its own ``lang`` or its
    nearest ancestor's."""
    return element.xpath("ancestor-or-self::*[@lang][1]/@lang")[0]


def test_interface_words_and_item_words_carry_their_own_language(mixed):
    """In the facts box of an English item's page, "website" is English (the
    interface) though the outlet's name beside it is in the site's language,
    and the item's tags are in the item's language; a remote photo's link
    says "Foto:" in the interface's language and its description in the
    item's."""
    tree = page(mixed, "en-GB/2024/08/seoul-red-cross")
    facts = tree.xpath("//dl[@class='article-meta']")[0]
    website = facts.xpath(".//a[@rel='external']")[0]
    assert website.text == "website"
    assert _lang(website) == "en"
    source = facts.xpath(".//a[contains(@href, '/sumber/')]")[0]
    assert _lang(source) == "id"
    tags = facts.xpath(".//a[contains(@href, '/tag/')]")
    assert [t.text for t in tags] == ["floods", "Red Cross"]
    assert {_lang(t) for t in tags} == {"en-GB"}
    regions = facts.xpath(".//a[contains(@href, '/wilayah/')]")
    assert {_lang(r) for r in regions} == {"id"}
    malay = page(mixed, "ms/2024/08/bantuan-malaysia")
    link = malay.xpath("//figure[@class='photo']/a")[0]
    assert link.text_content() == "Foto: Kotak bantuan di lapangan terbang"
    assert _lang(link) == "id"
    assert _lang(link.xpath("span")[0]) == "ms"


def test_pages_in_other_languages_are_valid_html(mixed):
    assert check_html(mixed) == []


# -- the site's zone ------------------------------------------------------------------
def test_every_zone_has_a_name_in_both_languages():
    """A zone whose country speaks a language CLDR has no data for (Timor-
    Leste's Tetum, Papua New Guinea's Hiri Motu) is named by its offset: the
    build used to stop on every item with no reason given."""
    from kilas_settings import zone_abbreviation

    for zone in sorted(available_timezones()):
        when = datetime(2024, 8, 5, 10, 30, tzinfo=ZoneInfo(zone))
        for lang in ("id", "en"):
            assert zone_abbreviation(when, lang), (zone, lang)


def test_a_newsroom_in_dili_builds_with_its_offset(project: Path, tmp_path: Path):
    output = tmp_path / "output"
    _build(project, output, TIMEZONE="Asia/Dili")
    tree = page(output, "2024/08/putin-tawarkan-bantuan-banjir-korea-utara")
    time = tree.xpath("//div[@class='dateline']//time")[0]
    assert time.text == "Minggu, 4 Agustus 2024 · 10.30 GMT+09:00"
    assert time.get("datetime") == "2024-08-04T10:30:00+09:00"


def test_a_correction_notice_says_what_the_page_will_show(project: Path, caplog):
    """A corrected item's page says "Dikoreksi" (or "Corrected") with the
    time of Modified, not "Diperbarui": the notice asking for Modified says
    so in no word of one language."""
    _write(
        project,
        "ralat-tanpa-waktu",
        _item("Kabar Ralat", "2024-08-05 08:00", "Correction: Angka diperbaiki.\n"),
    )
    with caplog.at_level(logging.INFO):
        _build(project, project / "output")
    said = [r.getMessage() for r in caplog.records if "Correction:" in r.getMessage()]
    assert len(said) == 1, said
    assert "Diperbarui" not in said[0]
    assert "the page then says when it was corrected" in said[0]
