"""Tests of kilas.sitecheck on small synthetic sites (the HTML check really runs vnu)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kilas import sitecheck
from kilas.sitecheck import Problem

BASE = "/kilas/"
SITE_URL = "https://kilas.example/kilas"


def page(body: str, head: str = "", title: str = "Kilas") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="id">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        f"{head}"
        "</head>\n"
        "<body>\n"
        f"{body.strip()}\n"
        "</body>\n"
        "</html>\n"
    )


def atom(entries: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<title>Kilas</title>\n"
        f'<link href="{SITE_URL}/" rel="alternate"/>\n'
        f"<id>{SITE_URL}/</id>\n"
        "<updated>2024-05-01T08:00:00+07:00</updated>\n"
        f"{entries.strip()}\n"
        "</feed>\n"
    )


def atom_entry(slug: str, title: str) -> str:
    return (
        f"<entry><title>{title}</title>"
        f'<link href="{SITE_URL}/{slug}.html" rel="alternate"/>'
        f"<id>tag:kilas.example,2024-05-01:/kilas/{slug}.html</id>"
        "<updated>2024-05-01T08:00:00+07:00</updated>"
        "<author><name>Redaksi</name></author>"
        "<summary>Ringkasan berita.</summary></entry>\n"
    )


def rss(items: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0"><channel><title>Kilas</title>\n'
        f"<link>{SITE_URL}/</link><description>Berita ringkas</description>\n"
        f"{items.strip()}\n"
        "</channel></rss>\n"
    )


SITEMAP = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    f"<url><loc>{SITE_URL}/</loc></url>\n"
    "</urlset>\n"
)

GOOD_SITE = {
    "index.html": page(
        """
<header><a href="./">Kilas</a> <a href="#">atas</a> <a href="#top">puncak</a></header>
<main id="intro">
<h1>Kilas</h1>
<p><a href="wilayah/korea-utara/">Korea Utara</a>
<a href="wilayah/korea-utara/#ringkasan">ringkasan</a>
<a href="/kilas/tentang.html#tim">Tim</a> <a href="tentang.html">Tentang</a>
<a href="/kilas">beranda</a> <a href="wilayah/korea-utara">tanpa garis miring</a></p>
<p><a href="https://kilas.example/kilas/tentang.html">mutlak</a>
<a href="//kilas.example/kilas/">tanpa skema</a>
<a href="https://example.com/berita">situs lain</a>
<a href="mailto:redaksi@kilas.example">surel</a> <a href="tel:+62210000">telepon</a></p>
<p><img src="images/peta.png" srcset="images/peta.png 1x, images/peta%402x.png 2x"
alt="Peta"></p>
<p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt=""></p>
<p><a href="files/laporan%20tahunan.pdf#page=2">laporan tahunan</a>
<a href="feeds/all.atom.xml">Atom</a></p>
</main>
<script src="theme/js/app.js"></script>
""",
        head='<link rel="stylesheet" href="theme/css/style.css">\n'
        f'<link rel="canonical" href="{SITE_URL}/">\n'
        '<link rel="alternate" type="application/rss+xml" href="/kilas/feeds/all.rss.xml">\n',
    ),
    "tentang.html": page(
        '<section id="tim"><h1>Tim redaksi</h1><p><a href="./#intro">Beranda</a></p>'
        "</section>",
        title="Tentang",
    ),
    "wilayah/korea-utara/index.html": page(
        """
<h1>Korea Utara</h1>
<h2 id="ringkasan">Ringkasan</h2>
<p><a href="../../">Beranda</a> <a href="../../index.html#intro">intro</a>
<a href="../../tentang.html#tim">Tim</a></p>
""",
        head='<link rel="stylesheet" href="../../theme/css/style.css">\n',
        title="Korea Utara",
    ),
    "theme/css/style.css": "body { margin: 0; }\n",
    "theme/js/app.js": "console.log('kilas');\n",
    "images/peta.png": "png",
    "images/peta@2x.png": "png",
    "files/laporan tahunan.pdf": "pdf",
    "feeds/all.atom.xml": atom(atom_entry("satu", "Satu") + atom_entry("dua", "Dua")),
    "feeds/all.rss.xml": rss(
        f"<item><title>Satu</title><link>{SITE_URL}/satu.html</link>"
        f'<guid isPermaLink="true">{SITE_URL}/satu.html</guid></item>'
    ),
    "sitemap.xml": SITEMAP,
    "robots.txt": "User-agent: *\n",
}

BAD_SITE = {
    "index.html": page(
        """
<main id="intro">
<p><a href="hilang/">hilang</a></p>
<p><a href="tentang.html#tidak-ada">anchor</a></p>
<p><a href="#juga-tidak-ada">anchor di halaman ini</a></p>
<p><a href="/lain/halaman.html">situs lain di domain yang sama</a></p>
<p><a href="https://kilas.example/kilas/lenyap.html">mutlak</a></p>
<p><img src="images/tidak-ada.png" alt="gambar"></p>
</main>
"""
    ),
    "tentang.html": page(
        """
<section id="tim"><h1>Tim</h1></section>
<p id="tim">Redaksi</p>
<p>Alamat</p></div>
""",
        title="Tentang",
    ),
    "wilayah/korea-utara/index.html": page(
        '<p><a href="../../../luar.html">keluar dari /kilas/</a></p>',
        title="Korea Utara",
    ),
    "arsip 2024/café.html": page("<p>Arsip</p></section>", title="Arsip"),
    "feeds/all.atom.xml": atom(atom_entry("satu", "Satu")),
    "feeds/rusak.atom.xml": atom("<entry><title>Rusak</entry>"),
    "feeds/tanpa-id.rss.xml": rss(
        f"<item><title>Tanpa guid</title><link>{SITE_URL}/a.html</link></item>\n"
        '<item><title>Tanpa tautan</title><guid isPermaLink="false">kilas-b</guid></item>'
    ),
    "feeds/kosong.xml": "",
    "sitemap.xml": SITEMAP,
}


def build(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def line_of(site: Path, name: str, needle: str) -> int:
    """1-based number of the only line of a site file containing needle."""
    lines = (site / name).read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, (name, needle, found)
    return found[0]


def summary(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(p.path, p.line, p.message) for p in problems]


def assert_problems(
    problems: list[Problem], expected: list[tuple[str, int | None, str]]
):
    """problems match expected (path, line, message regex) one to one, in order."""
    assert len(problems) == len(expected), summary(problems)
    for problem, (path, line, pattern) in zip(problems, expected, strict=True):
        assert (problem.path, problem.line) == (path, line), summary(problems)
        assert re.search(pattern, problem.message), (problem.message, pattern)


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("good"), GOOD_SITE)


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("bad"), BAD_SITE)


def test_problem_str() -> None:
    assert str(Problem("link", "a/index.html", 12, "broken link")) == (
        "a/index.html:12: link: broken link"
    )
    assert str(Problem("feed", "feeds/all.atom.xml", None, "bad")) == (
        "feeds/all.atom.xml: feed: bad"
    )


def test_good_site_has_no_problem(good_site: Path) -> None:
    assert sitecheck.check_site(good_site, BASE, site_url=SITE_URL) == []


def test_html_errors_are_found(bad_site: Path) -> None:
    problems = sitecheck.check_html(bad_site)
    assert {p.check for p in problems} == {"html"}
    assert_problems(
        problems,
        [
            (
                "arsip 2024/café.html",
                line_of(bad_site, "arsip 2024/café.html", "Arsip</p>"),
                "Stray end tag “section”",
            ),
            (
                "tentang.html",
                line_of(bad_site, "tentang.html", '<p id="tim">'),
                "Duplicate ID “tim”",
            ),
            (
                "tentang.html",
                line_of(bad_site, "tentang.html", "</div>"),
                "Stray end tag “div”",
            ),
        ],
    )


def test_broken_links_are_found(bad_site: Path) -> None:
    def at(needle: str) -> int:
        return line_of(bad_site, "index.html", needle)

    wilayah = "wilayah/korea-utara/index.html"
    problems = sitecheck.check_links(bad_site, BASE, site_url=SITE_URL)
    assert {p.check for p in problems} == {"link"}
    assert_problems(
        problems,
        [
            (
                "index.html",
                at("hilang/"),
                r'^broken link: "hilang/" leads to /kilas/hilang/,',
            ),
            (
                "index.html",
                at("#tidak-ada"),
                r'^broken link: .*tentang\.html has no element with id="tidak-ada"',
            ),
            (
                "index.html",
                at("#juga-tidak-ada"),
                r'^broken link: .*index\.html has no element with id="juga-tidak-ada"',
            ),
            (
                "index.html",
                at("/lain/"),
                r'^link escapes the path prefix: "/lain/halaman',
            ),
            (
                "index.html",
                at("lenyap"),
                r"^broken link: .*/kilas/lenyap\.html, which does",
            ),
            (
                "index.html",
                at("tidak-ada.png"),
                r"^broken link: \"images/tidak-ada\.png\"",
            ),
            (
                wilayah,
                line_of(bad_site, wilayah, "luar.html"),
                r"^link escapes the path prefix: .* leads to /luar\.html, outside /kilas/",
            ),
        ],
    )


def test_absolute_links_are_external_without_site_url(bad_site: Path) -> None:
    messages = [p.message for p in sitecheck.check_links(bad_site, BASE)]
    assert len(messages) == 6
    assert not any("lenyap" in message for message in messages)


def test_feed_problems_are_found(bad_site: Path) -> None:
    def at(name: str, needle: str) -> int:
        return line_of(bad_site, name, needle)

    problems = sitecheck.check_feeds(bad_site)
    assert {p.check for p in problems} == {"feed"}
    assert_problems(
        problems,
        [
            ("feeds/kosong.xml", None, "^not a readable XML file$"),
            (
                "feeds/rusak.atom.xml",
                at("feeds/rusak.atom.xml", "<entry>"),
                "^the feed is not valid: mismatched tag$",
            ),
            (
                "feeds/tanpa-id.rss.xml",
                at("feeds/tanpa-id.rss.xml", "Tanpa guid"),
                '^entry "Tanpa guid" has no id$',
            ),
            (
                "feeds/tanpa-id.rss.xml",
                at("feeds/tanpa-id.rss.xml", "Tanpa tautan"),
                '^entry "Tanpa tautan" has no link$',
            ),
        ],
    )


def test_link_edge_cases(tmp_path: Path) -> None:
    site = build(
        tmp_path,
        {
            "index.html": page(
                """
<a name="lama"></a><p id="été">Musim panas</p>
<a href="#lama">name</a> <a href="#%C3%A9t%C3%A9">encoded</a> <a href="?q=1">query</a>
<a href="b">folder</a> <a href="b/#bagian">folder anchor</a> <a href="c">no suffix</a>
<a href="/">root</a> <a href="/b/#:~:text=halo">text fragment</a>
<img srcset="data:image/gif;base64,R0lGOD,lhAQABAIAAAP 1x" alt="">
<a href="kosong.html#x">empty page</a> <a href="http://[bad">malformed</a>
"""
            ),
            "b/index.html": page('<p id="bagian">B</p>'),
            "c": "plain file",
            "kosong.html": "",
        },
    )
    line = line_of(site, "index.html", "kosong.html#x")
    assert_problems(
        sitecheck.check_links(site),
        [
            ("index.html", line, 'kosong.html has no element with id="x"'),
            ("index.html", line, r'^malformed link "http://\[bad"'),
        ],
    )


@pytest.mark.parametrize(
    ("srcset", "urls"),
    [
        ("a.png", ["a.png"]),
        ("a.png 1x, b.png 2x", ["a.png", "b.png"]),
        ("a.png 480w,b.png 800w", ["a.png", "b.png"]),
        ("a.png, b.png", ["a.png", "b.png"]),
        (
            "data:image/png;base64,AAAA 1x, b.png 2x",
            ["data:image/png;base64,AAAA", "b.png"],
        ),
        (" , ", []),
    ],
)
def test_srcset_urls(srcset: str, urls: list[str]) -> None:
    assert sitecheck._srcset_urls(srcset) == urls


def test_main_on_good_site(good_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sitecheck.main([str(good_site), "--base-path", BASE]) == 0
    assert (
        capsys.readouterr().out == "site check: 0 problems in 3 HTML files, 2 feeds\n"
    )


def test_main_reports_problems(
    bad_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(bad_site), "--base-path", "kilas", "--site-url", SITE_URL]
    assert sitecheck.main([*argv, "--only", "link,feed"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "site check: 11 problems in 4 HTML files, 3 feeds"
    assert "feeds/kosong.xml: feed: not a readable XML file" in lines
    line = line_of(bad_site, "index.html", "hilang/")
    assert lines[0].startswith(f"index.html:{line}: link: broken link")


def test_main_rejects_unknown_check(bad_site: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sitecheck.main([str(bad_site), "--only", "link,spelling"])
    assert exit_info.value.code == 2
    with pytest.raises(ValueError, match="spelling"):
        sitecheck.check_site(bad_site, checks=("spelling",))


def test_missing_java_is_explained(
    bad_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sitecheck.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="default-jre-headless"):
        sitecheck.check_html(bad_site)
    assert sitecheck.main([str(bad_site), "--only", "html"]) == 2
    assert "default-jre-headless" in capsys.readouterr().err
