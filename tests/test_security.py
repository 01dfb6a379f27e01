"""Item bodies through the sanitiser, and the Content-Security-Policy of every
page: a hostile body builds to pages and feeds with none of its code, a normal
body is untouched, every page kind carries the policy, and search still works
under it in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import kilas_render as rendering
import pytest
from conftest import page
from kilas_contract.contract import item_parts
from lxml import etree, html

from kilas import browser
from kilas.build import build

HOSTILE = """Title: Kabar Berbahaya
Date: 2024-08-05 10:00
Category: Bencana
Region: Korea Utara
Source: SinarHarapan.id
Summary: Ringkasan kabar berbahaya.

Paragraf pembuka yang aman.

<script>alert("skrip")</script>

<iframe src="https://contoh.example/sematan"></iframe>

<img src="{static}/images/banjir-korea-utara.jpg" alt="banjir" onerror="alert('gambar')">

[tautan jahat](javascript:alert('tautan')) dan
<a href=" JaVaScRiPt:alert(1)">tautan mentah</a>

<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
![gambar data](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)

<svg onload="alert('svg')"><circle r="5"/></svg>

<p style="position:fixed;top:0" onclick="alert('klik')">Paragraf bergaya</p>

<object data="x.swf"></object><form action="https://contoh.example"><input name="q"></form>

Paragraf penutup yang aman.
"""

# What must never reach a page or a feed.
FORBIDDEN = re.compile(
    r"<script(?![^>]*application/ld\+json)(?![^>]*src=)|<iframe"
    r"|<object|<form(?![^>]*search-form)|\son[a-z]+\s*=|javascript:|data:text|data:image"
    r"|alert\(",
    re.IGNORECASE,
)


def _line(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if marker in line)


def _site(project: Path, output: Path, settings: str = "pelicanconf.py"):
    return build(
        settings_file=project / settings,
        output=output,
        extra={"SEARCH_INDEX": False},
    )


def test_hostile_body_builds_without_any_of_it(project: Path, tmp_path: Path, caplog):
    item = project / "content/items/2024/08/kabar-berbahaya.md"
    item.write_text(HOSTILE, encoding="utf-8")
    output = tmp_path / "output"
    with caplog.at_level(25):
        _site(project, output)
    notices = [r.getMessage() for r in caplog.records if r.levelno == 25]
    path = "content/items/2024/08/kabar-berbahaya.md"
    removals = [n.split(path, 1)[1] for n in notices if path in n and ": Body: " in n]
    expected = [
        ("<script>", "<script>"),
        ("<iframe", "<iframe>"),
        ("onerror=", "onerror= on <img>"),
        ("(javascript:", "javascript: address in href= of <a>"),
        ("JaVaScRiPt:", "javascript: address in href= of <a>"),
        ('"data:text', "data: address in href= of <a>"),
        ("(data:image", "data: address in src= of <img>"),
        ("<svg", "<svg>"),
        ('style="', "style= on <p>"),
        ('onclick="', "onclick= on <p>"),
        ("<object", "<object>"),
        ("<form", "<form>"),
        ("<input", "<input>"),
    ]
    for marker, what in expected:
        line = _line(HOSTILE, marker)
        assert any(r.startswith(f":{line}: Body: {what} removed") for r in removals), (
            marker,
            removals,
        )
    assert len(removals) == len(expected), removals

    body = page(output, "2024/08/kabar-berbahaya").xpath(
        "//div[@class='article-body']"
    )[0]
    text = etree.tostring(body, encoding="unicode")
    assert not FORBIDDEN.search(text), FORBIDDEN.search(text)
    words = " ".join(body.text_content().replace("\xa0", " ").split())
    assert "Paragraf pembuka yang aman." in words
    assert "Paragraf penutup yang aman." in words
    assert "Paragraf bergaya" in words
    assert not body.xpath(".//svg | .//object | .//form | .//input | .//*[@style]")
    assert body.xpath(".//img[@alt='banjir']/@src") == [
        "/images/banjir-korea-utara.jpg"
    ]
    assert body.xpath(".//a[.='tautan jahat']") and not body.xpath(".//a/@href")

    for built in output.rglob("*.html"):
        found = FORBIDDEN.search(built.read_text(encoding="utf-8"))
        assert not found, (built, found)
    for feed in output.rglob("*.atom.xml"):
        parsed = feedparser.parse(feed.read_bytes())
        for entry in parsed.entries:
            for value in [entry.summary, *(c.value for c in entry.get("content", []))]:
                assert not FORBIDDEN.search(value), (feed, FORBIDDEN.search(value))
    entry = next(
        e
        for e in feedparser.parse(
            (output / "feeds/semua.atom.xml").read_bytes()
        ).entries
        if "kabar-berbahaya" in e.link
    )
    assert "Paragraf penutup yang&nbsp;aman" in entry.content[0].value


NORMAL = """Pembuka dengan "kutip" dan 'apostrof' -- pada 1990-an, kata NATO.

| Negara | Rumah |
|:-------|------:|
| Korea Utara | 4.100 |
| Rusia | 0 |

Catatan kaki[^1] dan *penekanan*, **tebal**, `kode` serta [tautan](https://sinarharapan.id/)
dan [tautan dalam]({filename}/items/2024/08/banjir-hancurkan-4000-rumah.md).

> Kutipan panjang dari laporan.

Istilah
:   Definisinya.

1. satu
2. dua

*[NATO]: North Atlantic Treaty Organization

[^1]: Isi catatan kaki.
"""


def _canonical(fragment: str) -> str:
    """A fragment as its parsed tree (entities and spelling of markup aside)."""
    root = html.fragment_fromstring(fragment, create_parent="div")
    return etree.tostring(root, method="c14n").decode()


def test_normal_body_renders_as_without_the_sanitiser(project: Path):
    from kilas.build import load_settings

    settings = load_settings(project / "pelicanconf.py")
    settings["KILAS_TYPOGRIFY"] = True
    options = rendering.render_options(settings, item_parts)
    body, _, _, removed = rendering.render(NORMAL, None, None, options)
    assert removed == ()
    # The footnote's way back is titled in the site's language (not the
    # sanitiser's doing): the same on both sides.
    unsanitised = rendering._typogrify(options)(
        rendering._footnote_backs(
            rendering.sanitise.align_cells(
                rendering._markdown(options).reset().convert(NORMAL)
            ),
            settings["DEFAULT_LANG"],
        )
    )
    assert _canonical(body) == _canonical(unsanitised)
    tree = html.fragment_fromstring(body, create_parent="div")
    assert tree.xpath("//td[@class='align-right']")
    assert tree.xpath("//abbr[@title='North Atlantic Treaty Organization']")
    assert tree.xpath("//div[@class='footnote']//li[@id='fn:1']")
    assert tree.xpath("//span[@class='caps']")
    assert tree.xpath("//dl/dt") and tree.xpath("//blockquote")
    assert "{filename}/items/2024/08/banjir-hancurkan-4000-rumah.md" in body
    assert "\u201ckutip\u201d" in body and "\u2013" in body  # oldschool: -- is –


def test_normal_body_on_the_page(project: Path, tmp_path: Path):
    item = project / "content/items/2024/08/kabar-biasa.md"
    header = HOSTILE.split("\n\n", 1)[0].replace("Kabar Berbahaya", "Kabar Biasa")
    item.write_text(f"{header}\n\n{NORMAL}", encoding="utf-8")
    output = tmp_path / "output"
    _site(project, output)
    body = page(output, "2024/08/kabar-biasa").xpath("//div[@class='article-body']")[0]
    assert body.xpath(".//a[.='tautan dalam']/@href") == [
        "/2024/08/banjir-hancurkan-4000-rumah/"
    ]
    assert body.xpath(".//th[@class='align-left']")
    assert body.xpath(".//a[@class='footnote-ref']/@href") == ["#fn:1"]


# -- Content-Security-Policy ----------------------------------------------------
def _policy(tree) -> dict[str, list[str]]:
    metas = tree.xpath("//head/meta[@http-equiv='Content-Security-Policy']")
    assert len(metas) == 1
    head = tree.xpath("//head")[0]
    first_script = head.xpath("./script")
    if first_script:
        assert head.index(metas[0]) < head.index(first_script[0])
    directives = {}
    for part in metas[0].get("content").split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("settings", ["pelicanconf.py", "publishconf.py"])
def test_every_page_carries_the_csp(project: Path, tmp_path: Path, settings: str):
    draft = project / "content/items/2024/08/draf-csp.md"
    draft.write_text(
        HOSTILE.replace("Summary:", "Status: draft\nSummary:"), encoding="utf-8"
    )
    output = tmp_path / "output"
    _site(project, output, settings)
    kinds = set()
    for built in sorted(output.rglob("*.html")):
        relative = built.relative_to(output).as_posix()
        tree = html.fromstring(built.read_bytes())
        policy = _policy(tree)
        wasm = ["'wasm-unsafe-eval'"] if relative == "cari/index.html" else []
        assert policy["script-src"] == ["'self'", *wasm], relative
        assert policy["default-src"] == ["'self'"]
        assert "style-src" not in policy  # default-src: no inline style
        assert policy["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in str(policy) and "'unsafe-eval'" not in str(
            policy
        )
        # Nothing the policy would block: no inline script or style.
        for script in tree.xpath("//script"):
            assert script.get("src") or script.get("type") == "application/ld+json"
        assert not tree.xpath("//style | //*[@style]"), relative
        kinds.add(relative.split("/")[0] if "/" in relative else relative)
    expected = {"index.html", "404.html", "2024", "en", "kategori", "tag", "wilayah"}
    expected |= {"sumber", "cerita", "linimasa", "edisi", "cari", "tentang"}
    if settings == "pelicanconf.py":
        expected.add("draf")
    assert expected <= kinds, expected - kinds


@pytest.fixture(scope="module")
def csp_site(tmp_path_factory) -> Path:
    """The repository's site with its search index and a hostile item."""
    project = tmp_path_factory.mktemp("csp")
    from conftest import copy_project

    copy_project(project)
    (project / "content/items/2024/08/kabar-berbahaya.md").write_text(
        HOSTILE, encoding="utf-8"
    )
    output = project / "output"
    build(settings_file=project / "pelicanconf.py", output=output)
    return output


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as instance:
        yield instance


def _visit(chromium, url: str, block_worker: bool = False):
    page_ = chromium.new_page()
    messages, dialogs = [], []
    page_.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page_.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page_.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    if block_worker:
        page_.route("**/pagefind-worker.js", lambda r: r.fulfill(status=404, body=""))
    page_.goto(url)
    return page_, messages, dialogs


@pytest.mark.parametrize("block_worker", [False, True])
def test_search_works_under_the_csp(csp_site: Path, chromium, block_worker: bool):
    """Pagefind searches in a worker; when the worker cannot run it falls back
    to WebAssembly in the page, which needs 'wasm-unsafe-eval'."""
    with browser.served(csp_site) as base:
        page_, messages, _ = _visit(chromium, base + "cari/?q=banjir", block_worker)
        page_.locator("#search-results li").first.wait_for()
        assert page_.locator("#search-results li").count() >= 5
        page_.close()
    errors = [m for m in messages if m.startswith(("error", "pageerror"))]
    assert errors == []
    fallback = any("falling back to main thread" in m for m in messages)
    assert fallback == block_worker


def test_pages_load_without_csp_violations(csp_site: Path, chromium):
    with browser.served(csp_site) as base:
        for path in (
            "",
            "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/",
            "2024/08/kabar-berbahaya/",
            "linimasa/",
            "404.html",
        ):
            page_, messages, dialogs = _visit(chromium, base + path)
            page_.wait_for_load_state("load")
            page_.close()
            assert messages == [], (path, messages)
            assert dialogs == [], (path, dialogs)


@pytest.mark.parametrize(
    "policy",
    [
        "default-src 'self'",
        {"default-src": "'self'"},
        {"default-src": ["'self'\"><script>"]},
        {"script src": ["'self'"]},
        {"script-src": ["'self'; img-src *"]},
    ],
)
def test_a_bad_csp_setting_stops_the_build(project: Path, tmp_path: Path, policy):
    from kilas.build import BuildFailed

    with pytest.raises(BuildFailed):
        build(
            settings_file=project / "pelicanconf.py",
            output=tmp_path / "output",
            extra={"KILAS_CSP": policy, "SEARCH_INDEX": False},
        )
    assert not (tmp_path / "output").exists()
