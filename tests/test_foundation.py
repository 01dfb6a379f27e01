"""The foundation: the repository's site builds, links its items, fails
atomically, and the editor's tasks work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT, run_build, run_invoke, snapshot
from lxml import html

SAMPLE = "2024/08/putin-tawarkan-bantuan-banjir-korea-utara/index.html"


def _page(site: Path, path: str):
    return html.fromstring((site / path).read_bytes())


def test_sample_item_page(site):
    page = _page(site, SAMPLE)
    assert page.findtext(".//h1").startswith("Putin Tawarkan Bantuan Kemanusiaan")
    published = page.xpath("//div[@class='dateline']//time")[0]
    assert published.get("datetime") == "2024-08-04T10:30:00+07:00"
    assert published.text_content() == "Minggu, 4 Agustus 2024 · 10.30 WIB"
    meta = page.xpath("//dl[@class='article-meta']")[0].text_content()
    assert "SinarHarapan.id" in meta
    assert "Korea Utara, Rusia" in meta
    assert "KCNA, Reuters" in meta
    assert page.xpath("//html/@lang") == ["id"]


def test_index_links_to_sample_item(site):
    links = _page(site, "index.html").xpath("//main//a/@href")
    assert "/" + SAMPLE.removesuffix("index.html") in links


def test_no_page_uses_pelican_simple_theme(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'class="skip-link"' in text, f"{page} was not rendered by our theme"


def test_failed_build_leaves_output_byte_identical(project, tmp_path):
    output = tmp_path / "output"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    before = snapshot(output)
    broken = project / "content/items/2024/08/rusak.md"
    broken.write_text("Title: Rusak\nDate: kemarin\n\nIsi.\n", encoding="utf-8")
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    assert "content/items/2024/08/rusak.md" in result.stderr
    assert "output/ was left as it was" in result.stderr
    assert snapshot(output) == before
    assert broken.read_text(encoding="utf-8") == "Title: Rusak\nDate: kemarin\n\nIsi.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".kilas-cache",
        "output",
        "project",
    ]


def test_new_item_passes_check(project):
    result = run_invoke(
        project,
        "new",
        "Banjir Susulan di Sinuiju",
        "--region",
        "KP; Rusia",
        "--source",
        "sinar harapan",
        "--category",
        "bencana",
    )
    assert result.returncode == 0, result.stderr
    path = project / result.stdout.strip()
    text = path.read_text(encoding="utf-8")
    assert "Region: Korea Utara; Rusia" in text
    assert "Source: SinarHarapan.id" in text
    assert "Category: Bencana" in text
    check = run_invoke(project, "check")
    assert check.returncode == 0, check.stderr
    assert not (project / "output").exists()
    again = run_invoke(
        project,
        "new",
        "Banjir Susulan di Sinuiju",
        "--region",
        "KP",
        "--source",
        "KCNA",
        "--category",
        "Bencana",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_new_item_refuses_unknown_values(project):
    result = run_invoke(
        project,
        "new",
        "Judul",
        "--region",
        "Korea Utaraa",
        "--source",
        "Reuter",
        "--category",
        "Bencana",
    )
    assert result.returncode == 1
    assert 'Did you mean "Korea Utara"?' in result.stderr
    assert 'Did you mean "Reuters"?' in result.stderr


def test_invoke_list_shows_every_task():
    listing = run_invoke(PROJECT, "--list").stdout
    for name in (
        "build",
        "rebuild",
        "clean",
        "serve",
        "livereload",
        "preview",
        "new",
        "check",
        "test",
        "gh-pages",
        "check-site",
        "bench",
    ):
        assert f"  {name} " in listing, listing


def test_tasks_run_from_any_folder_of_the_project(project):
    """invoke finds tasks.py from content/ (and deeper); every path is the
    project's, not the folder's: the site lands in the project's output/."""
    items = project / "content" / "items"
    result = run_invoke(project, "check", cwd=items)
    assert result.returncode == 0, result.stderr
    assert "every item is valid" in result.stdout
    result = run_invoke(project, "build", cwd=project / "content")
    assert result.returncode == 0, result.stderr
    assert "built output/" in result.stdout
    assert (project / "output" / "index.html").is_file()
    assert not (project / "content" / "output").exists()
    assert not (items / "output").exists()


def test_preview_builds_with_the_publish_settings(project):
    """As in Pelican's quickstart: `invoke preview` builds output/ with
    publishconf.py (absolute links to its SITEURL), and serves nothing."""
    result = run_invoke(project, "preview", cwd=project / "content", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "serving" not in result.stdout
    home = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://kilas.github.io/"' in home


def test_repository_content_checks_clean():
    result = run_build("--check")
    assert result.returncode == 0, result.stderr
    assert "content is valid" in result.stdout


def test_ruff_clean():
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_build_inside_a_running_event_loop(tmp_path):
    """`invoke livereload` builds inside tornado's event loop: every plugin
    (Pagefind's asyncio client included) must cope with a running loop."""
    import asyncio

    from kilas.build import build

    async def inside_a_loop():
        return build(
            settings_file=PROJECT / "pelicanconf.py", output=tmp_path / "output"
        )

    settings = asyncio.run(inside_a_loop())
    assert settings["KILAS_STATS"]["items"] == 7
    assert (tmp_path / "output/pagefind/2024/pagefind-entry.json").is_file()


def test_the_suite_says_a_low_disk_first(project):
    """CI once ran on a disk with 0.7 GB free: hundreds of tests ended in
    "No space left on device" errors. `invoke test` says a low disk first,
    in one line, before it installs or runs anything."""
    env = {**os.environ, "KILAS_TEST_DISK_GB": "1000000"}
    run = subprocess.run(
        [sys.executable, "-m", "invoke", "test", "--setup"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the test suite needs about 1000000.0 GB there" in run.stderr, run.stderr
    assert "set TMPDIR to a folder on a larger disk" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == "", run.stdout
