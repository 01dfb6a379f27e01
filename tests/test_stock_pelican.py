"""Stock `pelican` with the project's settings and plugins builds the same
site as Kilas' runner (``python -m kilas.build``), byte for byte: none of the
runner's touch points in Pelican (kilas/pelican_coupling.py) changes what a
page shows. Pagefind's search bundle is left aside (its index files are named
by content hashes made in each run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, run_build, site_files

# One "now" for both builds (which items are scheduled, the news sitemap).
NOW = "2024-08-10T12:00:00+07:00"
FIXTURE = PROJECT / "tests" / "fixtures" / "taxonomy"
# Every kind of page, by where it is written; each must be in both builds.
KINDS = (
    "index.html",  # home, with its edition
    "404.html",
    "tentang/index.html",  # a page
    "kategori/",
    "wilayah/",
    "sumber/",
    "cerita/",  # stories
    "linimasa/",  # the timeline
    "edisi/",  # editions
    "tag/",
    "en/",  # translations
    "gambar/",  # photos and share cards
    "feeds/",
    "sitemap.xml",
    "robots.txt",
)


def _fixture_site(folder: Path) -> Path:
    """tests/fixtures/taxonomy (22 items, a draft, stories, sources with and
    without pages) with the repository's page and photo, and an item with a
    photo, a hidden item, a translation and a scheduled item."""
    content = folder / "content"
    shutil.copytree(FIXTURE, content)
    for part in ("pages", "images"):
        shutil.copytree(PROJECT / "content" / part, content / part)
    header = (
        "Date: {date}\nCategory: Nasional\nRegion: JP\nSource: Alpha\n"
        "Summary: Ringkasan {slug}.\n{extra}\nIsi {slug}.\n"
    )
    items = {
        "berfoto": ("2023-01-05 09:00", "Image: images/banjir-korea-utara.jpg\n"
                    "Image_Alt: Rumah terendam banjir\nImage_Credit: Reuters\n"),
        "tersembunyi": ("2023-01-04 09:00", "Status: hidden\n"),
        "terjemahan": ("2022-12-30 08:00", "Lang: en\nTranslation: true\n"
                       "Slug: berita-01\n"),
        "terjadwal": ("2024-09-01 09:00", ""),
    }  # fmt: skip
    for slug, (date, extra) in items.items():
        title = "Berita 01" if slug == "terjemahan" else slug.capitalize()
        (content / "items" / f"{slug}.md").write_text(
            f"Title: {title}\n" + header.format(date=date, slug=slug, extra=extra),
            encoding="utf-8",
        )
    return content


@pytest.mark.parametrize(
    ("site", "settings"),
    [
        ("repository", "pelicanconf.py"),
        ("repository", "publishconf.py"),
        ("fixture", "pelicanconf.py"),
    ],
)
def test_stock_pelican_builds_the_same_files_and_bytes(tmp_path, site, settings):
    content = PROJECT / "content" if site == "repository" else _fixture_site(tmp_path)
    stock, ours = tmp_path / "stock", tmp_path / "kilas"
    pelican = Path(sys.executable).with_name("pelican")
    command = [str(pelican), str(content), "-s", str(PROJECT / settings)]
    command += ["-o", str(stock), "--cache-path", str(tmp_path / "cache")]
    result = subprocess.run(
        command,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KILAS_NOW": NOW},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_build(
        "--settings",
        settings,
        "--content",
        str(content),
        "--output",
        str(ours),
        env={"KILAS_NOW": NOW},
    )
    assert result.returncode == 0, result.stderr
    expected, found = site_files(stock), site_files(ours)
    for kind in KINDS:
        assert any(name.startswith(kind) for name in expected), (site, kind)
    assert (stock / "pagefind").is_dir() and (ours / "pagefind").is_dir()
    assert sorted(found) == sorted(expected)
    differ = [name for name in expected if expected[name] != found[name]]
    assert differ == [], f"kilas.build and stock pelican differ in {differ}"
