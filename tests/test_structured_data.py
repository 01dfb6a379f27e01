"""JSON-LD, OpenGraph, Twitter, canonical and description tags."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import PROJECT, build_published

SITE_URL = "https://example.org/kilas"
SAMPLE = "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/"
OFFSET = re.compile(r"T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")

TRICKY_ITEM = """\
Title: Warga Bertanya "Kapan Air Surut?" </script><b>x</b>
Date: 2024-08-06 07:00
Category: Bencana
Region: Korea Utara
Source: SinarHarapan.id
Source_URL: https://sinarharapan.id/contoh-laporan
Slug: warga-bertanya
Summary: Warga menulis "</script><script>alert(1)</script>" & bertanya kapan
    air surut.

Isi singkat.
"""


def _build(project: Path, output: Path, **extra) -> None:
    build_published(project, output, SITE_URL, **extra)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("structured") / "output"
    _build(PROJECT, output)
    return output


def _page(site: Path, url: str) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(site / url / "index.html")).getroot()


def _jsonld(root: lxml.html.HtmlElement) -> list[dict]:
    found = []
    for script in root.xpath("//script[@type='application/ld+json']"):
        data = json.loads(script.text)
        found.extend(data if isinstance(data, list) else [data])
    return found


def _meta(root: lxml.html.HtmlElement, key: str) -> list[str]:
    return root.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")


def test_news_article_has_every_property(published: Path):
    graph = _jsonld(_page(published, SAMPLE))
    article = next(d for d in graph if d["@type"] == "NewsArticle")
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == (
        "Putin Tawarkan Bantuan Kemanusiaan untuk Korban Banjir Korea\xa0Utara"
    )
    assert article["datePublished"] == "2024-08-04T10:30:00+07:00"
    assert article["dateModified"] == "2024-08-05T08:00:00+07:00"
    for key in ("datePublished", "dateModified"):
        assert OFFSET.search(article[key])
        assert datetime.fromisoformat(article[key]).utcoffset() is not None
    assert article["author"] == {"@type": "Organization", "name": "Redaksi Kilas"}
    assert article["publisher"]["name"] == "Kilas"
    assert article["publisher"]["logo"]["url"] == f"{SITE_URL}/favicon.svg"
    # The photo's 16:9, 4:3 and 1:1 crops, the first credited (kilas_images).
    first, *others = article["image"]
    urls = [first["url"], *others]
    assert [url.rsplit("-", 1)[1] for url in urls] == ["16x9.jpg", "4x3.jpg", "1x1.jpg"]
    assert all(url.startswith(f"{SITE_URL}/gambar/foto/") for url in urls)
    assert first["creditText"].startswith("Ilustrasi Redaksi Kilas")
    assert (first["width"], first["height"]) == (1200, 675)
    assert article["articleSection"] == "Internasional"
    assert article["inLanguage"] == "id"
    places = article["contentLocation"]
    assert [(p["@type"], p["name"]) for p in places] == [
        ("Place", "Korea Utara"),
        ("Place", "Rusia"),
    ]
    based_on = article["isBasedOn"]
    assert based_on["publisher"]["name"] == "SinarHarapan.id"
    assert [c["publisher"]["name"] for c in article["citation"]] == ["KCNA", "Reuters"]
    assert article["mainEntityOfPage"] == {
        "@type": "WebPage",
        "@id": f"{SITE_URL}/{SAMPLE}",
    }
    assert "banjir" in article["keywords"]


def test_breadcrumb_on_articles(published: Path):
    graph = _jsonld(_page(published, SAMPLE))
    crumbs = next(d for d in graph if d["@type"] == "BreadcrumbList")
    items = crumbs["itemListElement"]
    assert [i["position"] for i in items] == [1, 2, 3]
    assert [i["item"] for i in items] == [
        f"{SITE_URL}/",
        f"{SITE_URL}/kategori/internasional/",
        f"{SITE_URL}/{SAMPLE}",
    ]


def test_translation_says_its_language(published: Path):
    root = _page(published, "en/" + SAMPLE)
    article = next(d for d in _jsonld(root) if d["@type"] == "NewsArticle")
    assert article["inLanguage"] == "en"
    assert _meta(root, "og:locale") == ["en_US"]
    assert _meta(root, "og:locale:alternate") == ["id_ID"]


def test_open_graph_and_twitter_on_article(published: Path):
    root = _page(published, SAMPLE)
    assert _meta(root, "og:type") == ["article"]
    assert _meta(root, "og:locale") == ["id_ID"]
    assert _meta(root, "og:url") == [f"{SITE_URL}/{SAMPLE}"]
    assert _meta(root, "article:published_time") == ["2024-08-04T10:30:00+07:00"]
    assert _meta(root, "article:modified_time") == ["2024-08-05T08:00:00+07:00"]
    assert _meta(root, "article:section") == ["Internasional"]
    assert _meta(root, "article:tag") == [
        "banjir",
        "bantuan kemanusiaan",
        "Kim Jong Un",
        "Vladimir Putin",
    ]
    # The photo cropped to a 1200x630 share card (plugin kilas_images).
    (card,) = _meta(root, "og:image")
    assert card.startswith(f"{SITE_URL}/gambar/foto/")
    assert card.endswith("-card.jpg")
    assert _meta(root, "og:image:width") == ["1200"]
    assert _meta(root, "twitter:card") == ["summary_large_image"]
    assert _meta(root, "og:title")[0].startswith("Putin Tawarkan Bantuan")
    assert _meta(root, "og:description")[0].startswith("Putin menawarkan bantuan")


def test_every_page_has_canonical_and_description(published: Path):
    pages = sorted(published.rglob("*.html"))
    assert len(pages) > 20
    for path in pages:
        root = lxml.html.parse(str(path)).getroot()
        relative = path.relative_to(published).as_posix()
        descriptions = _meta(root, "description")
        assert len(descriptions) == 1 and descriptions[0].strip(), relative
        canonical = root.xpath("//link[@rel='canonical']/@href")
        if relative == "404.html":
            assert canonical == []
            continue
        assert canonical == [f"{SITE_URL}/{relative.removesuffix('index.html')}"]
        assert _meta(root, "og:type") == (
            ["article"] if root.xpath("//article[@class='article']") else ["website"]
        ), relative


def test_everything_is_escaped(project: Path, tmp_path: Path):
    (project / "content" / "items" / "2024" / "08" / "warga-bertanya.md").write_text(
        TRICKY_ITEM, encoding="utf-8"
    )
    output = tmp_path / "output"
    _build(project, output)
    page = output / "2024" / "08" / "warga-bertanya" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "<script><" not in text and "alert(1)</script>" not in text
    root = lxml.html.parse(str(page)).getroot()
    scripts = root.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    article = next(d for d in _jsonld(root) if d["@type"] == "NewsArticle")
    assert "</script>" in article["description"]  # intact once parsed
    assert article["isBasedOn"]["url"] == "https://sinarharapan.id/contoh-laporan"
    description = _meta(root, "description")[0]
    # typogrify curls the quotes; the markup arrives as text, escaped once
    assert "“</script><script>alert(1)</script>” & bertanya" in description
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in text
    assert _meta(root, "og:description") == [description]
    assert "Kapan Air Surut?" in _meta(root, "og:title")[0]
    assert "</script><b>x</b>" not in text


def test_home_page_says_what_the_site_is(published: Path):
    graph = _jsonld(_page(published, ""))
    website = next(d for d in graph if d["@type"] == "WebSite")
    assert website["name"] == "Kilas"
    assert website["url"] == f"{SITE_URL}/"
    assert website["description"] == "Ringkasan berita dari banyak sumber"
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == (
        f"{SITE_URL}/cari/?q={{search_term_string}}"
    )
    assert action["query-input"] == "required name=search_term_string"
    latest = next(d for d in graph if d["@type"] == "ItemList")
    urls = [entry["url"] for entry in latest["itemListElement"]]
    assert urls[0] == f"{SITE_URL}/2024/09/latar-pakta-kemitraan-rusia-korea-utara/"
    assert len(urls) == latest["numberOfItems"] == 7
    assert latest["itemListOrder"].endswith("ItemListOrderDescending")


def test_story_page_has_an_item_list_newest_first(published: Path):
    graph = _jsonld(_page(published, "cerita/banjir-korea-utara-2024"))
    (item_list,) = graph
    assert item_list["@type"] == "ItemList"
    assert item_list["name"] == "Cerita: Banjir Korea Utara 2024"
    assert item_list["url"] == f"{SITE_URL}/cerita/banjir-korea-utara-2024/"
    assert item_list["itemListOrder"].endswith("ItemListOrderDescending")
    elements = item_list["itemListElement"]
    assert [e["position"] for e in elements] == [1, 2, 3, 4, 5]
    assert elements[0]["url"] == (
        f"{SITE_URL}/2024/08/kim-periksa-wilayah-terdampak-banjir/"
    )
    assert elements[-1]["url"] == f"{SITE_URL}/{SAMPLE}"


def test_every_page_has_its_own_title_and_description(published: Path):
    seen_titles: dict[str, str] = {}
    seen_descriptions: dict[str, str] = {}
    for path in sorted(published.rglob("*.html")):
        relative = path.relative_to(published).as_posix()
        root = lxml.html.parse(str(path)).getroot()
        (title,) = _meta(root, "og:title")
        (description,) = _meta(root, "og:description")
        assert title != "Kilas", relative
        assert title not in seen_titles, (relative, seen_titles.get(title))
        assert description not in seen_descriptions, (
            relative,
            seen_descriptions.get(description),
        )
        seen_titles[title] = seen_descriptions[description] = relative
    assert len(seen_titles) > 40
