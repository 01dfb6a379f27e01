"""Search: Pagefind indexes the items during the build and the search page
finds them in a real browser, at the root and under a /kilas/ prefix."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from conftest import add_item, copy_project, run_build, search_shards
from playwright.sync_api import Browser, Page, sync_playwright

from kilas.browser import CHROMIUM_FLAGS, chromium_path
from kilas.build import cache_dir
from kilas.serve import make_server

SAMPLE = "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/"
SAMPLE_TITLE = "Putin Tawarkan Bantuan Kemanusiaan untuk Korban Banjir Korea Utara"
BUDGET = 300 * 1024  # bytes of pagefind/ a one-word search may transfer


def _serve(root: Path, prefix: str, port: int = 0):
    server = make_server(root, port, prefix)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def root_url(site: Path) -> Iterator[str]:
    """The development build served at the root."""
    server = _serve(site, "/")
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def prefixed_site(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prefixed") / "output"


@pytest.fixture(scope="module")
def prefixed_url(prefixed_site: Path) -> Iterator[str]:
    """A publish build for http://127.0.0.1:PORT/kilas, served there, with
    the index in two shards (at most 3 items a shard: August 2024 and
    September 2024), so searches there go through merged shards."""
    output = prefixed_site
    project = copy_project(output.parent / "project")
    with (project / "publishconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nSEARCH_SHARD_ITEMS = 3\n")
    server = make_server(output, 0, "/kilas/")
    url = f"http://127.0.0.1:{server.server_address[1]}/kilas"
    result = run_build(
        "--settings",
        "publishconf.py",
        "--output",
        str(output),
        "--siteurl",
        url,
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url + "/"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["root", "prefix"])
def base_url(request) -> str:
    return request.getfixturevalue(
        "root_url" if request.param == "root" else "prefixed_url"
    )


def _until(page: Page, condition, seconds: float = 30) -> None:
    """Wait for ``condition()``, polled from here: the pages' CSP forbids the
    string evaluation ``page.wait_for_function`` uses."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def _search(page: Page, base: str, query: str) -> list[str]:
    page.goto(base + "cari/")
    field = page.locator("#search-q")
    field.wait_for(state="visible")  # the script shows the form once Pagefind loads
    assert page.locator("label[for=search-q]").is_visible()
    field.fill(query)
    field.press("Enter")
    _until(
        page,
        lambda: (
            page.locator("#search-results li").count() > 0
            and query in (page.locator("#search-status").text_content() or "")
        ),
    )
    return page.locator("#search-results li h2 a").evaluate_all(
        "links => links.map(a => a.href)"
    )


def test_banjir_finds_sample_and_region_narrows(browser: Browser, base_url: str):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    links = _search(page, base_url, "banjir")
    assert base_url + SAMPLE in links[:3], links
    titles = [
        title.replace("\xa0", " ")  # typogrify's widont
        for title in page.locator("#search-results li h2 a").all_text_contents()
    ]
    assert SAMPLE_TITLE in titles  # the headline, not the site name
    assert all("Kilas" not in title for title in titles)
    before = len(links)

    region = page.locator("#search-region")
    assert page.locator("label[for=search-region]").is_visible()
    options = region.locator("option").all_text_contents()
    assert any(option.startswith("Korea Selatan") for option in options), options
    region.select_option(
        label=next(o for o in options if o.startswith("Korea Selatan"))
    )
    _until(page, lambda: 0 < page.locator("#search-results li").count() < before)
    narrowed = page.locator("#search-results li h2 a").evaluate_all(
        "links => links.map(a => a.href)"
    )
    assert 0 < len(narrowed) < before
    assert set(narrowed) <= set(links)
    assert "region=Korea+Selatan" in page.url  # the search can be bookmarked
    assert errors == []
    page.close()


def test_search_without_javascript_points_to_the_timeline(browser: Browser, root_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(root_url + "cari/")
    assert page.locator("#search-form").is_hidden()
    notice = page.locator("p.search-notice").first
    assert notice.is_visible()
    assert "JavaScript" in notice.inner_text()
    link = notice.locator("a")
    assert link.get_attribute("href") == "/linimasa/"  # SEARCH_BROWSE_URL
    link.click()
    assert page.url == root_url + "linimasa/"
    context.close()


def test_one_word_search_stays_within_budget(
    browser: Browser, prefixed_url: str, prefixed_site: Path
):
    page = browser.new_page()
    sizes: dict[str, int] = {}

    def count(request) -> None:
        if "/pagefind/" not in request.url:
            return
        measured = request.sizes()
        # The worker script's body is not reported to the page: our server
        # sends files as they are (no compression), so a file's size is its body.
        path = urlsplit(request.url).path.removeprefix("/kilas/")
        body = max(measured["responseBodySize"], (prefixed_site / path).stat().st_size)
        sizes[request.url] = body + measured["responseHeadersSize"]

    page.on("requestfinished", count)
    _search(page, prefixed_url, "banjir")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    print(f"pagefind bytes for a one-word search: {total} in {len(sizes)} requests")
    for url, size in sorted(sizes.items()):
        print(f"  {size:>7} {url.rsplit('/pagefind/', 1)[1]}")
    assert sizes, "no request reached pagefind/"
    assert total <= BUDGET, sizes
    page.close()


def test_only_item_bodies_are_indexed_in_the_site_language(site: Path):
    entry = json.loads((site / "pagefind" / "2024" / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["id"]
    assert entry["languages"]["id"]["wasm"] == "id"  # Indonesian stemming
    items = [
        p
        for p in site.rglob("index.html")
        if 'class="article"' in p.read_text(encoding="utf-8")
    ]
    assert search_shards(site) == {"2024": len(items)} == {"2024": 8}


def test_shards_split_a_full_year_by_months_and_the_page_lists_them(
    prefixed_url: str, prefixed_site: Path
):
    # Seven items and a translation: seven in August 2024, one in September.
    assert search_shards(prefixed_site) == {"2024-09": 1, "2024-08": 7}
    form = lxml.html.parse(str(prefixed_site / "cari" / "index.html")).find(
        ".//form[@id='search-form']"
    )
    assert form.get("data-shards") == "2024-09 2024-08"  # newest first


def test_a_rebuild_indexes_again_only_the_shard_whose_pages_changed(
    project: Path, tmp_path: Path
):
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nSEARCH_SHARD_ITEMS = 3\n")
    output = tmp_path / "out"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    # The build writes into the staging folder, and output/ then switches to
    # it: a kept shard's files are the staged ones, not written again.
    staged = cache_dir(output) / "staging" / "pagefind"
    inodes = {
        output / "pagefind" / p.relative_to(staged): p.stat().st_ino
        for p in staged.rglob("*.pf_meta")
    }
    assert {p.parent.name for p in inodes} == {"2024-08", "2024-09"}
    item = project / "content" / "items" / "2024" / "08"
    edited = sorted(item.rglob("*.md"))[0]
    with edited.open("a", encoding="utf-8") as handle:
        handle.write("\nKata baru: mercusuar.\n")
    result = run_build("--output", str(output), "-v", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "2 shard(s), 1 indexed again" in result.stdout + result.stderr
    for path, inode in inodes.items():
        kept = path.exists() and path.stat().st_ino == inode
        assert kept == (path.parent.name == "2024-09"), path
    assert search_shards(output) == {"2024-09": 1, "2024-08": 7}


def test_only_the_search_page_loads_search_code(site: Path):
    loaders = {}
    for path in site.rglob("*.html"):
        root = lxml.html.parse(str(path)).getroot()
        scripts = [
            script.get("src") or "inline"
            for script in root.iter("script")
            if script.get("type") != "application/ld+json"
        ]
        if scripts:
            loaders[path.relative_to(site).as_posix()] = scripts
    assert loaders == {"cari/index.html": ["/theme/js/search.js"]}
    search_page = lxml.html.parse(str(site / "cari" / "index.html")).getroot()
    assert search_page.find(".//script").get("defer") is not None


def test_hidden_items_are_built_but_not_searchable(project: Path, tmp_path: Path):
    add_item(project, "tersembunyi", "Catatan Tersembunyi", "hidden", "Isi catatan.")
    output = tmp_path / "out"
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (output / "2024" / "08" / "tersembunyi" / "index.html").is_file()
    assert search_shards(output) == {"2024": 8}  # the seven items and the translation


def test_search_index_writes_only_inside_the_output(project: Path, tmp_path: Path):
    output = tmp_path / "out"
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stderr
    assert (output / "pagefind" / "2024" / "pagefind.js").is_file()
    # The build's OUTPUT_PATH is a staging folder in the build cache, which
    # also keeps the last index to reuse while the pages are unchanged.
    cache = cache_dir(output)
    written = [
        path
        for root in (tmp_path, project)
        for path in root.rglob("*pagefind*")
        if path.is_file()
    ]
    outside = [
        path
        for path in written
        if not path.is_relative_to(output) and not path.is_relative_to(cache)
    ]
    assert written and outside == []
    assert (cache / "staging" / "pagefind" / "2024" / "pagefind.js").is_file()


def _results(page: Page) -> list[dict]:
    return page.eval_on_selector_all(
        "#search-results li",
        """items => items.map(li => ({
            href: li.querySelector('h2 a').href,
            headline: li.querySelector('h2 a').textContent,
            meta: [...li.querySelectorAll('.meta > *')].map(e => e.textContent),
            datetime: (li.querySelector('.meta time') || {}).dateTime,
            excerpt: li.querySelector('.search-excerpt').textContent,
            also: [...li.querySelectorAll('.search-translation a')].map(a => a.href),
            top: li.getBoundingClientRect().top,
        }))""",
    )


def test_results_say_when_and_who_and_fold_translations(browser: Browser, root_url):
    page = browser.new_page(viewport={"width": 375, "height": 667})
    _search(page, root_url, "putin")
    results = _results(page)
    hrefs = [r["href"] for r in results]
    # The English translation is not a result of its own: the original is,
    # with a link to it; the count says so.
    assert root_url + SAMPLE in hrefs
    assert root_url + "en/" + SAMPLE not in hrefs
    sample = results[hrefs.index(root_url + SAMPLE)]
    assert sample["also"] == [root_url + "en/" + SAMPLE]
    assert page.inner_text("#search-status").startswith(f"{len(results)} hasil")
    assert sample["meta"] == [
        "4 Agu 2024, 10.30 WIB",
        "Internasional",
        "SinarHarapan.id",
    ]
    assert sample["datetime"] == "2024-08-04T10:30:00+07:00"
    for result in results:
        headline = result["headline"].replace("\xa0", " ")
        excerpt = result["excerpt"].replace("\xa0", " ")
        # The excerpt is the item's text, not its category and headline, cut
        # between words and marked with an ellipsis.
        assert not excerpt.startswith(headline[:20]), excerpt
        assert not excerpt.startswith("Internasional")
        assert excerpt.endswith(" …") or len(excerpt.split()) < 30, excerpt
    # An English word finds the item once, through its translation.
    _search(page, root_url, "offers")
    assert [r["href"] for r in _results(page)] == [root_url + SAMPLE]
    page.close()


def test_first_result_is_on_a_phones_first_screen(browser: Browser, root_url):
    page = browser.new_page(viewport={"width": 375, "height": 667})
    _search(page, root_url, "banjir")
    assert _results(page)[0]["top"] < 667
    # The filters are folded behind a control on a phone.
    assert page.locator("#search-filters").get_attribute("open") is None
    assert page.locator("#search-region").is_hidden()
    page.locator("#search-filters summary").click()
    assert page.locator("#search-region").is_visible()
    page.close()


def test_filter_counts_match_the_pages(browser: Browser, root_url, site: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(root_url + "cari/")
    page.locator("#search-q").wait_for(state="visible")
    assert page.locator("#search-filters").get_attribute("open") is not None
    options = page.locator("#search-category option").all_text_contents()[1:]
    counts = dict(option.rsplit(" (", 1) for option in options)
    for name, count in counts.items():
        category = lxml.html.parse(
            str(site / "kategori" / name.lower() / "index.html")
        ).getroot()
        lede = category.xpath("//p[@class='lede']")[0].text_content()
        assert lede.split()[0] == count.rstrip(")"), (name, lede)
    assert sum(int(c.rstrip(")")) for c in counts.values()) == 7  # not 8
    page.close()
