"""A build that would change nothing does nothing (kilas.fastpath), and
anything that changes the site (a file, a setting, the command, the
environment, damage to output/ or the cache, time itself) makes a real
build. Figures of speed come from `invoke bench`, not from here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_build, snapshot
from lxml import etree

from kilas.build import build, cache_dir
from kilas.output import build_lock

NOW = "2024-08-06T12:00:00+07:00"


def _imports_of_a_build(project: Path, *args: str, env=None):
    """A build as a whole process, and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kilas.build", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    return result, imported


def _keys(folder: Path) -> dict[str, tuple]:
    """Every entry below ``folder`` with what any change to it changes."""
    keys = {}
    for path in [folder, *folder.rglob("*")]:
        st = path.lstat()
        keys[str(path.relative_to(folder))] = (
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
            st.st_ctime_ns,
        )
    return keys


def test_a_build_that_changes_nothing_does_not_start_pelican(project, tmp_path):
    output = tmp_path / "output"
    args = ("--output", str(output))
    result, imported = _imports_of_a_build(project, *args)
    assert "pelican" in imported
    before, site = _keys(output), snapshot(output)
    cache = _keys(cache_dir(output))

    result, imported = _imports_of_a_build(project, *args)
    assert re.search(
        r"\(7 items, 0 of \d+ pages rendered, 0 files updated\)", result.stdout
    )
    assert "pelican" not in imported and "jinja2" not in imported, sorted(imported)
    # Nothing in output/ or the cache was touched (not even a time).
    assert _keys(output) == before
    changed = {n for n, k in _keys(cache_dir(output)).items() if cache.get(n) != k}
    assert changed <= {"build.lock"}, changed

    # An item saved again with the same bytes is no change.
    item = project / "content/items/2024/08/banjir-hancurkan-4000-rumah.md"
    item.write_bytes(item.read_bytes())
    _, imported = _imports_of_a_build(project, *args)
    assert "pelican" not in imported

    # What makes a real build (each then no change again).
    theme = project / "theme/templates/partials/source_link.html"
    changes = {
        "an item's text": lambda: item.write_text(
            item.read_text(encoding="utf-8") + "\nKalimat baru.\n", encoding="utf-8"
        ),
        "a theme file": lambda: theme.write_text(
            theme.read_text(encoding="utf-8") + "\n", encoding="utf-8"
        ),
        "a plugin's code": lambda: (project / "plugins/kilas_sitemap/x.py").write_text(
            "X = 1\n", encoding="utf-8"
        ),
        "a registry": lambda: (project / "content/regions.yaml").write_text(
            (project / "content/regions.yaml").read_text(encoding="utf-8") + "\n",
            encoding="utf-8",
        ),
        "a page of output/ deleted": (output / "tentang/index.html").unlink,
        "a file added to output/": lambda: (output / "asing.html").write_text("x"),
        "a staged page damaged": lambda: (
            cache_dir(output) / "staging/tentang/index.html"
        ).write_text("<p"),
    }
    for name, change in changes.items():
        change()
        result, imported = _imports_of_a_build(project, *args)
        assert "pelican" in imported, name
        assert not (output / "asing.html").exists(), name
        _, imported = _imports_of_a_build(project, *args)
        assert "pelican" not in imported, name
    assert (output / "tentang/index.html").read_bytes() == site["tentang/index.html"]

    # Another command, setting or environment.
    for extra, env in (
        (("--siteurl", "https://kilas.example.org"), None),
        ((), {"KILAS_DRAFTS_NOTE": "1"}),
    ):
        _, imported = _imports_of_a_build(project, *args, *extra, env=env)
        assert "pelican" in imported, (extra, env)
    with (project / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("\nSITESUBTITLE = 'Ringkasan lain'\n")
    _, imported = _imports_of_a_build(project, *args)
    assert "pelican" in imported
    assert "Ringkasan lain" in (output / "index.html").read_text(encoding="utf-8")


def test_a_build_that_changes_nothing_waits_for_the_build_under_way(project, tmp_path):
    output = tmp_path / "output"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    cache = cache_dir(output)
    with build_lock(cache, output):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "kilas.build", "--output", str(output)],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        assert waiting.poll() is None  # waits for the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert f"another build (pid {os.getpid()}) is writing" in err
    assert "0 files updated" in out


def _news(site: Path) -> list[str]:
    sitemap = site / "news-sitemap.xml"
    if not sitemap.exists():
        return []
    return etree.parse(str(sitemap)).xpath("//*[local-name()='loc']/text()")


@pytest.fixture
def timed(project: Path) -> Path:
    """The project with an item 47 hours and 50 minutes before NOW (in the
    news window for ten more minutes) and one scheduled an hour after it."""
    items = project / "content/items/2024/08"
    for name, date in (
        ("masih-di-jendela", "2024-08-04T12:10+07:00"),
        ("terbit-nanti", "2024-08-06T13:00+07:00"),
    ):
        (items / f"{name}.md").write_text(
            f"Title: Kabar {name}\nDate: {date}\nCategory: Bencana\n"
            "Region: Korea Utara\nSource: SinarHarapan.id\n"
            f"Summary: Ringkasan {name}.\n\nIsi {name}.\n",
            encoding="utf-8",
        )
    return project


def test_time_alone_changes_the_site(timed, tmp_path, monkeypatch):
    """The site changes by itself when an item leaves the news sitemap's
    window or a scheduled item falls due: a build with nothing else changed
    builds again from that moment, never before, and never for an earlier
    "now"."""
    output = tmp_path / "output"

    def build_at(now: str) -> dict:
        monkeypatch.setenv("KILAS_NOW", now)
        return build(settings_file=timed / "pelicanconf.py", output=output)[
            "KILAS_STATS"
        ]

    assert not build_at(NOW).get("unchanged")
    assert any("masih-di-jendela" in url for url in _news(output))
    assert not list(output.rglob("terbit-nanti"))
    # The repository's item of 4 August 12:00 leaves the window after NOW.
    assert not build_at("2024-08-06T12:05:00+07:00").get("unchanged")
    assert build_at("2024-08-06T12:09:00+07:00").get("unchanged")
    assert not build_at("2024-08-06T11:00:00+07:00").get("unchanged")  # back
    # 12:10: the item leaves the window.
    assert not build_at("2024-08-06T12:10:01+07:00").get("unchanged")
    assert not any("masih-di-jendela" in url for url in _news(output))
    assert build_at("2024-08-06T12:59:00+07:00").get("unchanged")
    # 13:00: the scheduled item is due.
    assert not build_at("2024-08-06T13:00:00+07:00").get("unchanged")
    assert list(output.rglob("terbit-nanti"))
    assert any("terbit-nanti" in url for url in _news(output))
    assert build_at("2024-08-06T13:30:00+07:00").get("unchanged")


def test_links_in_a_loop_are_reported_not_a_traceback(project, tmp_path):
    """A link to itself, and a folder link back up the tree: the no-change
    check neither crashes nor walks for ever; the build names the file."""
    output = tmp_path / "output"
    assert run_build("--output", str(output), cwd=project).returncode == 0
    site = snapshot(output)
    items = project / "content" / "items"
    (items / "loop.md").symlink_to("loop.md")
    (items / "naik").symlink_to("..")
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "content/items/loop.md:" in result.stderr
    assert snapshot(output) == site
    (items / "loop.md").unlink()
    result = run_build("--output", str(output), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
