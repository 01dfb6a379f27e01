"""Region, source and story pages (plugin kilas_taxonomy) on fixture content
with known counts, and on the repository's content.

Fixture (tests/fixtures/taxonomy/): items berita-01 .. berita-21 in date
order; odd numbers are in Japan (11 items), even numbers in Vietnam (10);
numbers divisible by 3 digest Beta (7), the rest Alpha (14); 01-12 cite Delta,
01, 02 and 04 cite Beta; 04, 08 and 13 form the story "Topan Contoh". A draft
uses Thailand, Gamma and the story "Cerita Draf"; Epsilon is never used.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from conftest import PROJECT, listed, page
from lxml import html

from kilas import browser
from kilas.build import BuildFailed, build
from kilas.sitecheck import check_site

FIXTURE = PROJECT / "tests" / "fixtures" / "taxonomy"


def items(numbers) -> list[str]:
    """Item URLs of berita-NN, in the order given."""
    months = ["2022/12"] + ["2024/01"] * 4 + ["2024/03"] * 8 + ["2024/04"] * 7
    months.append("2024/12")
    return [f"/{months[n - 1]}/berita-{n:02d}/" for n in numbers]


@pytest.fixture(scope="module")
def fixture_site(taxonomy_site) -> Path:
    return taxonomy_site


def count_of(element) -> int:
    return int(re.search(r"\d+", element.text_content()).group())


def test_region_pages_newest_first_paginated_at_the_boundary(fixture_site):
    japan = page(fixture_site, "wilayah/jepang")
    assert listed(japan) == items(range(21, 1, -2))
    assert japan.xpath("//nav[@class='pager']//a[@rel='next']/@href") == [
        "/wilayah/jepang/halaman/2/"
    ]
    second = page(fixture_site, "wilayah/jepang/halaman/2")
    assert listed(second) == items([1])
    assert second.xpath("//nav[@class='pager']//a/@rel") == ["prev"]
    assert not (fixture_site / "wilayah/jepang/halaman/3").exists()
    vietnam = page(fixture_site, "wilayah/vietnam")
    assert listed(vietnam) == items(range(20, 0, -2))
    assert not vietnam.xpath("//nav[@class='pager']")
    assert not (fixture_site / "wilayah/vietnam/halaman").exists()


def test_index_pages_list_every_term_with_its_count(fixture_site):
    regions = page(fixture_site, "wilayah")
    rows = regions.xpath("//ul[@class='term-list']/li")
    assert [r.xpath("a/@href")[0] for r in rows] == [
        "/wilayah/jepang/",
        "/wilayah/vietnam/",
    ]
    assert [count_of(r.xpath("span")[0]) for r in rows] == [11, 10]
    sources = page(fixture_site, "sumber")
    rows = sources.xpath("//ul[@class='term-list']/li")
    assert [r.xpath("a/@href")[0] for r in rows] == [
        "/sumber/alpha/",
        "/sumber/beta/",
        "/sumber/delta/",
    ]
    counts = [[int(n) for n in re.findall(r"\d+", r.text_content())] for r in rows]
    # Delta digests nothing: only its citations are counted, no "0 berita".
    assert counts == [[14], [7, 3], [12]]
    stories = page(fixture_site, "cerita")
    assert stories.xpath("//ul[@class='term-list']/li/a/@href") == [
        "/cerita/topan-contoh/"
    ]
    assert count_of(stories.xpath("//ul[@class='term-list']/li/span")[0]) == 3


def test_source_page_lists_digested_and_citing_items_apart(fixture_site):
    alpha = page(fixture_site, "sumber/alpha")
    digested = [n for n in range(21, 0, -1) if n % 3]
    assert listed(alpha, "//section[@class='source-items']") == items(digested[:10])
    assert listed(page(fixture_site, "sumber/alpha/halaman/2")) == items(digested[10:])
    assert not alpha.xpath("//section[@class='source-citing']")
    beta = page(fixture_site, "sumber/beta")
    assert listed(beta, "//section[@class='source-items']") == items(
        [21, 18, 15, 12, 9, 6, 3]
    )
    assert listed(beta, "//section[@class='source-citing']") == items([4, 2, 1])
    assert not (fixture_site / "sumber/beta/dikutip").exists()
    # Delta digests nothing and is cited by 12 items: 10 shown, all on their page.
    delta = page(fixture_site, "sumber/delta")
    assert listed(delta, "//section[@class='source-items']") == []
    assert listed(delta, "//section[@class='source-citing']") == items(range(12, 2, -1))
    assert delta.xpath("//section[@class='source-citing']//p/a/@href") == [
        "/sumber/delta/dikutip/"
    ]
    assert listed(page(fixture_site, "sumber/delta/dikutip")) == items(range(12, 2, -1))
    assert listed(page(fixture_site, "sumber/delta/dikutip/halaman/2")) == items([2, 1])


def test_story_page_is_a_timeline_newest_first(fixture_site):
    story = page(fixture_site, "cerita/topan-contoh")
    assert listed(story, "//ol[@class='story-timeline']") == items([13, 8, 4])
    days = story.xpath("//ol[@class='story-timeline']/li/h2")
    assert [d.get("id") for d in days] == ["2024-03-31", "2024-03-04", "2024-01-10"]
    assert [d.xpath("a") for d in days] == [[], [], []]  # headings, not links
    latest = story.xpath("//*[@class='story-latest']")
    assert len(latest) == 1
    assert listed(latest[0], ".") == items([13])
    # The lede says what happened last: the latest item and its summary.
    lede = story.xpath("//div[contains(@class, 'story-lede')]")[0]
    assert lede.xpath(".//a/@href") == items([13])
    assert "Ringkasan berita 13." in lede.text_content().replace("\xa0", " ")
    terms = story.xpath("//dl[@class='story-terms']/dd")
    assert terms[0].xpath(".//a/@href") == ["/wilayah/jepang/", "/wilayah/vietnam/"]
    assert terms[1].xpath(".//a/@href") == [
        "/sumber/alpha/",
        "/sumber/beta/",
        "/sumber/delta/",
    ]


def test_empty_terms_produce_no_page(fixture_site):
    for path in (
        "wilayah/thailand",
        "sumber/gamma",
        "sumber/epsilon",
        "cerita/cerita-draf",
        "feeds/wilayah/thailand.atom.xml",
        "feeds/sumber/gamma.atom.xml",
        "feeds/sumber/epsilon.atom.xml",
        "feeds/cerita/cerita-draf.atom.xml",
    ):
        assert not (fixture_site / path).exists(), path
    draft = page(fixture_site, "draf/draf")
    meta = draft.xpath("//dl[@class='article-meta']")[0]
    assert "Thailand" in meta.text_content()
    assert "Gamma" in meta.text_content()
    links = meta.xpath(".//a/@href")
    assert "https://gamma.example/" in links  # the outlet's website, not our page
    for missing in ("/wilayah/thailand/", "/sumber/gamma/", "/cerita/cerita-draf/"):
        assert missing not in links


def test_item_meta_links_every_term_page(fixture_site):
    item = html.fromstring((fixture_site / "2024/01/berita-04/index.html").read_bytes())
    links = item.xpath("//dl[@class='article-meta']//a/@href")
    for expected in (
        "/sumber/alpha/",
        "/sumber/delta/",
        "/sumber/beta/",
        "/wilayah/vietnam/",
        "/cerita/topan-contoh/",
    ):
        assert expected in links


@pytest.mark.parametrize(
    ("feed", "expected"),
    [
        ("wilayah/jepang", items(range(21, 0, -2))),
        ("wilayah/vietnam", items(range(20, 0, -2))),
        ("sumber/beta", items([21, 18, 15, 12, 9, 6, 4, 3, 2, 1])),
        ("sumber/delta", items(range(12, 0, -1))),
        ("sumber/alpha", items([n for n in range(21, 0, -1) if n % 3])),
        ("cerita/topan-contoh", items([13, 8, 4])),
    ],
)
def test_term_feeds_parse_with_the_expected_entries(fixture_site, feed, expected):
    parsed = feedparser.parse(fixture_site / "feeds" / f"{feed}.atom.xml")
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.link for e in parsed.entries] == expected
    assert parsed.feed.links[0].href  # the feed names its own address
    term = page(fixture_site, feed)
    assert term.xpath("//link[@type='application/atom+xml']/@href")[-1] == (
        f"/feeds/{feed}.atom.xml"
    )


def test_every_feed_parses(fixture_site):
    feeds = sorted((fixture_site / "feeds").rglob("*.atom.xml"))
    assert [f.relative_to(fixture_site / "feeds").as_posix() for f in feeds] == [
        "cerita/topan-contoh.atom.xml",
        "edisi.atom.xml",
        "kategori/ekonomi.atom.xml",
        "kategori/nasional.atom.xml",
        "semua.atom.xml",
        "sumber/alpha.atom.xml",
        "sumber/beta.atom.xml",
        "sumber/delta.atom.xml",
        "wilayah/jepang.atom.xml",
        "wilayah/vietnam.atom.xml",
    ]
    for feed in feeds:
        parsed = feedparser.parse(feed)
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert parsed.entries, feed


def test_bad_taxonomy_setting_fails_the_build(tmp_path, caplog):
    output = tmp_path / "output"
    with pytest.raises(BuildFailed):
        build(
            PROJECT / "pelicanconf.py",
            content=FIXTURE,
            output=output,
            extra={"KILAS_TAXONOMIES": {"region": {"attr": "regions", "oder": "x"}}},
        )
    assert "KILAS_TAXONOMIES['region']: unknown key(s) oder" in caplog.text
    assert not output.exists()


def test_repository_content_has_region_story_and_source_pages(site):
    korea = page(site, "wilayah/korea-utara")
    assert korea.findtext(".//h1").endswith("Korea Utara")
    assert len(listed(korea)) == 7
    story = page(site, "cerita/banjir-korea-utara-2024")
    assert len(listed(story)) == 5
    source = page(site, "sumber/sinarharapanid")
    assert source.findtext(".//h1").endswith("SinarHarapan.id")
    assert len(listed(source, "//section[@class='source-items']")) == 7
    kcna = page(site, "sumber/kcna")
    assert len(listed(kcna, "//section[@class='source-citing']")) == 5


# -- the region hierarchy ------------------------------------------------------------
HIERARCHY = {
    # slug: (Region as written, month/day of the item)
    "jabar": ("Jabar", "08-01"),
    "jakarta": ("Jakarta", "08-02"),
    "asean": ("ASEAN", "08-03"),
    "vietnam": ("Vietnam", "08-04"),
    "gaza": ("Gaza", "08-05"),
    "korut": ("Korut", "08-06"),
}


@pytest.fixture(scope="module")
def hierarchy_site(tmp_path_factory) -> Path:
    """Items about a province, a city that is a province, a grouping, a member
    country, an area and a country outside the grouping."""
    root = tmp_path_factory.mktemp("hierarchy")
    content = root / "content"
    content.mkdir()
    (content / "items").mkdir()
    (content / "sources.yaml").write_bytes(
        (PROJECT / "tests/fixtures/contract/sources.yaml").read_bytes()
    )
    shutil.copytree(FIXTURE / "extra", content / "extra")  # favicon, robots.txt
    for slug, (region, day) in HIERARCHY.items():
        (content / "items" / f"{slug}.md").write_text(
            f"Title: Butir {slug}\nDate: 2024-{day} 10:30\nCategory: Internasional\n"
            f"Region: {region}\nSource: SinarHarapan.id\nSummary: Ringkasan.\n\n"
            "Isi.\n",
            encoding="utf-8",
        )
    output = root / "output"
    build(content=content, output=output)
    return output


def _items(slugs) -> list[str]:
    return [f"/2024/08/{slug}/" for slug in slugs]


def test_province_page_links_to_its_country_which_lists_its_items(hierarchy_site):
    jabar = page(hierarchy_site, "wilayah/jawa-barat")
    assert jabar.xpath("string(//h1)") == "Wilayah: Jawa Barat"
    assert jabar.xpath("//p[@class='lede']/a[.='Indonesia']/@href") == [
        "/wilayah/indonesia/"
    ]
    indonesia = page(hierarchy_site, "wilayah/indonesia")
    # No item names Indonesia: its page exists for its provinces' items.
    assert listed(indonesia) == _items(["jakarta", "jabar"])
    within = indonesia.xpath("//section[@class='region-within']//li")
    assert [li.xpath("string(a)") for li in within] == ["DKI Jakarta", "Jawa Barat"]
    assert [count_of(li.xpath("span")[0]) for li in within] == [1, 1]
    assert count_of(indonesia.xpath("//p[@class='lede']")[0]) == 2


def test_grouping_page_gathers_its_members_items(hierarchy_site):
    asean = page(hierarchy_site, "wilayah/asean")
    # The grouping's own item, its member Vietnam's and Indonesia's provinces'.
    assert listed(asean) == _items(["vietnam", "asean", "jakarta", "jabar"])
    members = asean.xpath("//section[@class='region-members']//li/a/text()")
    assert members == ["Indonesia", "Vietnam"]
    # A grouping no item names gets no page (Vietnam is in Asia Tenggara).
    assert not (hierarchy_site / "wilayah/asia-tenggara").exists()
    gaza = page(hierarchy_site, "wilayah/jalur-gaza")
    assert gaza.xpath("//p[@class='lede']/a/text()")[0] == "Palestina"
    assert listed(page(hierarchy_site, "wilayah/palestina")) == _items(["gaza"])
    assert listed(page(hierarchy_site, "wilayah/korea-utara")) == _items(["korut"])


def test_index_feeds_and_search_filters_follow_the_hierarchy(hierarchy_site):
    index = page(hierarchy_site, "wilayah")
    counts = {
        li.xpath("string(a)"): count_of(li.xpath("span")[0])
        for li in index.xpath("//ul[@class='term-list']/li")
    }
    assert counts["Indonesia"] == 2 and counts["ASEAN"] == 4
    assert counts["Jawa Barat"] == 1 and counts["Palestina"] == 1
    feed = feedparser.parse(hierarchy_site / "feeds/wilayah/indonesia.atom.xml")
    assert [e.link.rsplit("/", 2)[-2] for e in feed.entries] == ["jakarta", "jabar"]
    feed = feedparser.parse(hierarchy_site / "feeds/wilayah/asean.atom.xml")
    assert len(feed.entries) == 4
    item = page(hierarchy_site, "2024/08/jabar")
    filters = item.xpath("//data[@data-pagefind-filter='region[value]']/@value")
    assert sorted(filters) == ["ASEAN", "Indonesia", "Jawa Barat"]
    sitemap = (hierarchy_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "/wilayah/indonesia/" in sitemap and "/wilayah/asean/" in sitemap


def test_hierarchy_pages_are_valid_linked_and_accessible(hierarchy_site):
    assert check_site(hierarchy_site) == []
    axe = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
    violations = []
    with browser.chromium() as chromium, browser.served(hierarchy_site) as base:
        # axe is an inline script, which the pages' CSP forbids: this context
        # lets the test's own tool in (test_security checks the CSP).
        tab = chromium.new_context(bypass_csp=True).new_page()
        for path in ("wilayah/indonesia/", "wilayah/asean/", "wilayah/jawa-barat/"):
            tab.goto(base + path)
            tab.add_script_tag(path=str(axe))
            result = tab.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                " resultTypes: ['violations']})",
                tags,
            )
            violations += [f"{path}: {v['id']}" for v in result["violations"]]
    assert violations == []
