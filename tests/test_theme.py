"""The theme: every page is ours, valid, accessible, light, and speaks the
site's language (Indonesian, or English with DEFAULT_LANG = "en")."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PROJECT, run_build
from lxml import html

from kilas import browser, catalogs
from kilas.build import load_settings
from kilas.sitecheck import check_html

SAMPLE = "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/"
SAMPLE_EN = "en/" + SAMPLE
TEMPLATES = PROJECT / "theme" / "templates"
FIXTURES = PROJECT / "tests" / "fixtures" / "theme"
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PAGE_BUDGET = 30 * 1024  # bytes an article page may load, images aside
# Interface words of the Indonesian catalog that must not show on an English site.
INDONESIAN_UI = (
    "Beranda",
    "Sumber",
    "Wilayah",
    "Kategori",
    "Halaman",
    "Lewati",
    "Arsip",
    "Terbit",
    "Diperbarui",
    "Koreksi",
    "Cerita",
    "Mengutip",
    "Edisi",
    "butir",
    "menit",
    "terkait",
    "sebelumnya",
    "berikutnya",
    "Juga dalam",
)
# Elements holding an item's own words (titles, summaries, bodies, notes, terms).
ITEM_TEXT_CLASSES = (
    "digest-title",
    "digest-summary",
    "article-title",
    "summary",
    "article-body",
    "correction-text",
    "pager-title",
    "page-body",
    "kicker",
)
ITEM_TEXT = " | ".join(
    [
        *(
            f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
            for name in ITEM_TEXT_CLASSES
        ),
        "//dl[@class='article-meta']/dd",
        "//ul[@class='archive-list']//a",
        "//ul[@class='term-list']//a",
        "//section[@class='edition-group']/h2/a",
    ]
)


def _page(site: Path, path: str):
    file = site / path
    if file.is_dir() or path.endswith("/") or not path:
        file = file / "index.html"
    return html.fromstring(file.read_bytes())


def _html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def page_kinds(site: Path) -> dict[str, str]:
    """One URL path per kind of page: numbers and slugs of the path are
    replaced by placeholders, so `2024/08/x/` and `2024/08/y/` are one kind,
    `2024/08/04/` (a day) another, `kategori/x/` a third."""
    kinds: dict[str, str] = {}
    for file in _html_pages(site):
        parts = file.relative_to(site).parts
        words = [parts[0] if not parts[0].isdigit() else "#"]
        words += ["#" if part.isdigit() else "*" for part in parts[1:]]
        path = file.relative_to(site).as_posix().removesuffix("index.html")
        kinds.setdefault("/".join(words), path)
    return kinds


# --- every page is ours --------------------------------------------------------------


def test_every_template_pelican_emits_is_in_the_theme(site):
    settings_templates = ["article", "page", "category", "tag", "author"]
    from kilas.build import load_settings

    settings = load_settings(PROJECT / "pelicanconf.py")
    for name in [*settings["DIRECT_TEMPLATES"], *settings_templates]:
        assert (TEMPLATES / f"{name}.html").is_file(), f"theme lacks {name}.html"
    for page in _html_pages(site):
        root = html.fromstring(page.read_bytes())
        assert root.xpath("//meta[@name='generator']/@content") == ["Kilas"], page


def test_a_missing_template_fails_the_build(project, tmp_path):
    (project / "theme" / "templates" / "tag.html").unlink()
    result = run_build("--output", str(tmp_path / "out"), cwd=project)
    assert result.returncode == 1
    assert "unable to load tag[.html]" in result.stderr
    assert not (tmp_path / "out").exists()


# --- valid, no script, no other host --------------------------------------------------


def test_whole_site_has_zero_vnu_errors(site):
    assert check_html(site) == []


def test_no_javascript_and_no_other_host(site):
    for page in _html_pages(site):
        root = html.fromstring(page.read_bytes())
        scripts = [
            s for s in root.iter("script") if s.get("type") != "application/ld+json"
        ]
        if page.relative_to(site).as_posix() == load_settings()["SEARCH_SAVE_AS"]:
            continue  # the search page is the one page allowed a script
        assert scripts == [], f"{page}: scripts are allowed on the search page only"
        for element in root.xpath("//link[@rel='stylesheet' or @rel='icon']|//img"):
            url = element.get("href") or element.get("src")
            assert not urlsplit(url).netloc, f"{page}: {url} is on another host"


# --- pages --------------------------------------------------------------------------


def test_article_page_shows_every_part(site):
    page = _page(site, SAMPLE)
    assert page.xpath("//html/@lang") == ["id"]
    header = page.xpath("//header[@class='article-header']")[0]
    assert header.xpath(".//time")[0].text == "Minggu, 4 Agustus 2024 · 10.30 WIB"
    assert header.xpath(".//p[@class='meta']/span")[0].text == "1 menit baca"
    assert page.xpath("//p[@class='kicker']/a/@href") == ["/kategori/internasional/"]
    assert page.xpath("//aside[contains(@class,'correction')]//p")[0].text_content()
    # The photo (plugin kilas_images): its largest copy's size, credited.
    image = page.xpath("//figure[@class='photo']//img")[0]
    assert (image.get("width"), image.get("height")) == ("1600", "1067")
    assert (
        "Foto: Ilustrasi Redaksi Kilas" in page.xpath("//figcaption")[0].text_content()
    )
    pager = page.xpath("//nav[contains(@class,'article-pager')]")[0]
    assert pager.get("aria-label") == "Butir sebelumnya dan berikutnya"
    assert pager.xpath("./a/@rel") == [
        "next"
    ]  # the first item of the day has none before
    assert pager.xpath("./a/@href") == ["/2024/08/banjir-hancurkan-4000-rumah/"]
    related = page.xpath("//section[@class='related']//h3/a/@href")
    assert 3 <= len(related) <= 5
    assert "/" + SAMPLE not in related
    assert "/2024/08/kim-jong-un-tanggapi-tawaran-putin/" in related


def test_translations_link_each_other_with_hreflang(site):
    original, translation = _page(site, SAMPLE), _page(site, SAMPLE_EN)
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in original.xpath("//link[@rel='alternate'][@hreflang]")
    }
    assert alternates == {"id": "/" + SAMPLE, "en": "/" + SAMPLE_EN}
    back = translation.xpath("//link[@rel='alternate'][@hreflang='id']/@href")
    assert back == ["/" + SAMPLE]
    assert original.xpath("//a[@hreflang='en']/@href") == ["/" + SAMPLE_EN]
    assert translation.xpath("//a[@hreflang='id']/@href") == ["/" + SAMPLE]
    # The English page's interface is the site's (Indonesian), marked as such.
    assert translation.xpath("//html/@lang") == ["en"]
    assert translation.xpath("//header[@class='site-header']/@lang") == ["id"]
    assert translation.xpath("//p[@class='meta']/@lang") == ["id"]


def test_home_shows_latest_edition_by_category_then_previous_days(site):
    home = _page(site, "")
    assert home.findtext(".//h1") == "Edisi terbaru"
    assert home.xpath("//p[@class='lede']/time/@datetime") == ["2024-09-02"]
    groups = home.xpath("//section[@class='home-main']/section[@class='edition-group']")
    assert [g.findtext("h2/a") for g in groups] == ["Internasional"]
    assert groups[0].xpath(".//div[@class='digest-summary']")
    days = home.xpath("//section[@class='home-aside']/section/h3//time/@datetime")
    assert days == ["2024-08-05", "2024-08-04"]
    assert home.xpath("//nav//a[@aria-current='page']/@href") == ["/"]


def test_reading_time_and_related_items_rules():
    sys.path.insert(0, str(PROJECT / "plugins"))
    from kilas_related.kilas_related import DEFAULTS
    from kilas_theme.kilas_theme import reading_minutes

    assert reading_minutes("<p>" + "kata " * 200 + "</p>") == 1
    assert reading_minutes("<p>" + "kata " * 201 + "</p>") == 2
    assert reading_minutes("") == 1
    assert DEFAULTS["KILAS_RELATED_MAX"] == 4


# --- language -----------------------------------------------------------------------


def test_every_msgid_has_an_indonesian_translation():
    assert catalogs.untranslated("id") == [], (
        "run `invoke translations` and translate the new msgids in "
        "theme/translations/id/LC_MESSAGES/messages.po"
    )


def test_catalog_template_is_up_to_date():
    pot = catalogs.read_catalog("id")  # parsed for its ids only
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.extract()}
    in_po = {m.id if isinstance(m.id, str) else m.id[0] for m in pot}
    assert extracted - {""} <= in_po


@pytest.fixture(scope="module")
def english_site(tmp_path_factory) -> Path:
    from conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("en") / "project")
    shutil.rmtree(project / "content" / "items")
    shutil.copytree(FIXTURES / "items", project / "content" / "items")
    (project / "enconf.py").write_text(
        "import os\nimport sys\n\nsys.path.append(os.curdir)\n"
        "from pelicanconf import *  # noqa: F403\n\nDEFAULT_LANG = 'en'\n",
        encoding="utf-8",
    )
    output = project / "output"
    result = run_build("--settings", "enconf.py", "--output", str(output), cwd=project)
    assert result.returncode == 0, result.stderr
    return output


def _interface_text(page: Path) -> str:
    root = html.fromstring(page.read_bytes())
    for element in root.xpath(ITEM_TEXT):
        element.drop_tree()
    texts = [root.find("body").text_content()]
    texts += root.xpath("//@aria-label|//link/@title")
    return "\n".join(texts)


def test_english_site_has_english_interface(english_site):
    article = _page(english_site, SAMPLE)
    assert article.xpath("//html/@lang") == ["en"]
    assert (
        article.xpath("//header[@class='article-header']//time")[0].text
        == "Sunday, 4 August 2024 · 10:30 WIB"
    )
    assert article.findtext(".//a[@class='skip-link']") == "Skip to content"
    assert article.xpath("//a[@hreflang='id']/@href") == ["/id/" + SAMPLE]
    assert (
        "Also in Indonesian:"
        in article.xpath("//div[@class='translations']")[0].text_content()
    )
    translation = _page(english_site, "id/" + SAMPLE)
    assert translation.xpath("//link[@hreflang='en']/@href") == ["/" + SAMPLE]
    pattern = re.compile(r"\b(" + "|".join(INDONESIAN_UI) + r")\b")
    for page in _html_pages(english_site):
        found = pattern.findall(_interface_text(page))
        assert not found, f"{page.relative_to(english_site)}: Indonesian {found}"


# --- in a browser: axe-core, weight --------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as instance:
        yield instance


def test_axe_finds_no_violation_on_any_page_type(site, chromium):
    assert AXE.is_file(), "axe-core is missing: run `npm ci` (invoke test --setup)"
    kinds = page_kinds(site)
    assert len(kinds) >= 10, kinds  # home, article, translation, page, lists, 404...
    failures = []
    with browser.served(site) as base:
        page = chromium.new_page()
        for path in kinds.values():
            page.set_viewport_size({"width": 1280, "height": 800})
            page.emulate_media(color_scheme="light")
            page.goto(base + path)
            page.add_script_tag(path=str(AXE))
            for width in browser.WIDTHS:
                for scheme in browser.SCHEMES:
                    page.set_viewport_size({"width": width, "height": 800})
                    page.emulate_media(color_scheme=scheme)
                    result = page.evaluate(
                        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                        " resultTypes: ['violations']})",
                        AXE_TAGS,
                    )
                    failures += [
                        f"/{path} {width}px {scheme}: {v['id']}: {v['help']}: "
                        + json.dumps([n["target"] for n in v["nodes"]])
                        for v in result["violations"]
                    ]
            for width in (320, 375, 1440):  # narrowest, a common phone, widest
                page.set_viewport_size({"width": width, "height": 800})
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                if overflow > 0:
                    failures.append(
                        f"/{path} {width}px: {overflow}px wider than the screen"
                    )
    assert failures == [], "\n".join(failures)


def _record(requests: list, request) -> None:
    requests.append(request)


@pytest.mark.parametrize("path", ["", SAMPLE])
def test_page_weight_scripts_and_hosts(site, chromium, path):
    loaded = []
    with browser.served(site) as base:
        page = chromium.new_page()
        page.on("requestfinished", lambda request: _record(loaded, request))
        page.goto(base + path, wait_until="load")
        origin = urlsplit(base).netloc
        sizes = {}
        for request in loaded:
            assert urlsplit(request.url).netloc == origin, f"other host: {request.url}"
            assert request.resource_type != "script", f"script: {request.url}"
            if request.resource_type != "image":
                sizes[request.url] = len(request.response().body())
        page.close()
    total = sum(sizes.values())
    assert total <= PAGE_BUDGET, f"{total} bytes: {sizes}"


def test_stylesheet_has_schemes_print_and_no_fonts():
    css = (PROJECT / "theme" / "static" / "css" / "kilas.css").read_text("utf-8")
    assert "@media (prefers-color-scheme: dark)" in css
    assert "@media print" in css
    assert "@font-face" not in css
    assert "url(" not in css  # nothing loaded from the stylesheet


def test_english_site_is_valid_html(english_site):
    assert check_html(english_site) == []


def test_theme_tasks_are_listed():
    import subprocess

    listing = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("translations", "screenshots", "lighthouse"):
        assert f"  {name} " in listing, listing
